// Request validation for fastify without ajv. Fastify loads ajv, ajv-formats
// and fast-json-stringify when it is constructed, and they held ~5 MB of the
// router's idle memory (64 MB budget) to check a handful of small schemas.
// This compiler covers the JSON Schema subset the routes use and behaves as
// fastify's ajv did with the router's options: coerceTypes 'array',
// removeAdditional true, allErrors true, the same error objects and messages
// (clients see them in 400s). test/http/schema-validator.test.ts holds it to
// ajv on generated inputs. A schema using anything else throws at start-up:
// nothing is silently left unchecked.
import type { FastifyServerOptions } from 'fastify';
import { isRfc3339DateTime } from './date-time';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/** An error as fastify's schemaErrorFormatter and our 400 bodies read it (ajv's shape). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

type Json = unknown;
type Holder = Record<string | number, Json>;
/**
 * One value under validation. `v` is what the keywords see; coercion writes
 * it back to holder[key] as well. They differ in one case, as in ajv: a
 * one-item array unwrapped for a type its item does not have either, which
 * the remaining keywords (and anyOf siblings) then see unwrapped.
 */
interface Cell {
  h: Holder;
  k: string | number;
  v: Json;
  /** The cell of the containing value; its chain of keys is the instancePath. */
  p: Cell | null;
}
/** Validates a cell, pushing errors unless `errors` is null; true when valid. */
type Check = (c: Cell, errors: SchemaError[] | null) => boolean;

const NO_HOLDER: Holder = {};

/**
 * A cell for the values a schema node checks one after another (the items of
 * an array, an object's properties): made once, when the schema compiles,
 * since validation is synchronous and a node never checks two values at once.
 */
function reusableCell(): Cell {
  return { h: NO_HOLDER, k: 0, v: undefined, p: null };
}

/** Lets go of the request's data once a node is done with it. */
function clear(c: Cell): void {
  c.h = NO_HOLDER;
  c.v = undefined;
  c.p = null;
}

export class SchemaCompileError extends Error {
  readonly code = 'SY_ERR_SCHEMA';
}

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number']);
const KNOWN = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'minProperties', 'items',
  'minLength', 'maxLength', 'minimum', 'maximum', 'enum', 'anyOf', 'format', 'title', 'description',
]);

/** The JSON Pointer of a cell's value, built only for an error. */
function pathOf(c: Cell): string {
  let path = '';
  for (let x: Cell = c; x.p !== null; x = x.p) path = `/${typeof x.k === 'number' ? x.k : pointer(x.k)}${path}`;
  return path;
}

function err(c: Cell, schemaPath: string, keyword: string, params: Record<string, unknown>, message: string): SchemaError {
  return { instancePath: pathOf(c), schemaPath, keyword, params, message };
}

function isType(t: string, v: Json): boolean {
  switch (t) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    default: return typeof v === 'number' && Number.isInteger(v);
  }
}

/** ajv's scalar coercions; undefined when there is none. */
function coerce(t: string, v: Json): Json {
  const kind = typeof v;
  switch (t) {
    case 'string':
      if (kind === 'number' || kind === 'boolean') return String(v);
      return v === null ? '' : undefined;
    case 'number':
    case 'integer': {
      if (kind === 'boolean' || v === null) return Number(v);
      if (kind !== 'string' || v === '') return undefined;
      const n = Number(v);
      // Stricter than ajv, which turns "Infinity" into a number that then
      // slips past every limit (its limits skip non-finite numbers).
      if (!Number.isFinite(n) || (t === 'integer' && n % 1 !== 0)) return undefined;
      return n;
    }
    case 'array':
      return kind === 'string' || kind === 'number' || kind === 'boolean' || v === null ? [v] : undefined;
    default:
      return undefined;
  }
}

/** Length in code points, as ajv counts it: a surrogate pair is one character. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

function compile(schema: Record<string, unknown>, at: string): Check {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new SchemaCompileError(`${at}: a schema must be an object`);
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k)) throw new SchemaCompileError(`${at}: keyword "${k}" is not supported by the router's schema validator`);
  }
  const type = schema.type;
  if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type))) {
    throw new SchemaCompileError(`${at}: type ${JSON.stringify(type)} is not supported (one of ${[...TYPES].join(', ')})`);
  }
  if (schema.format !== undefined && schema.format !== 'date-time') throw new SchemaCompileError(`${at}: format ${JSON.stringify(schema.format)} is not supported`);
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
    throw new SchemaCompileError(`${at}: additionalProperties may only be false`);
  }
  const typeless = typelessChecks(schema, at);
  const typed = typedChecks(schema, at);
  const groupType = type === 'integer' ? 'number' : type;
  if (type === undefined && typed.length > 0) throw new SchemaCompileError(`${at}: keywords that depend on a type need "type"`);

  // ajv coerces to every type here but object; an object is only checked.
  const coercible = type !== undefined && type !== 'object';
  return (cell, errors) => {
    let valid = true;
    let typeError = false;
    if (type !== undefined && !isType(type, cell.v)) {
      // coerceTypes 'array': a one-item array stands for its item.
      if (coercible && type !== 'array' && Array.isArray(cell.v) && cell.v.length === 1) cell.v = cell.v[0];
      const c = !coercible ? undefined : isType(type, cell.v) ? cell.v : coerce(type, cell.v);
      if (c === undefined) {
        typeError = true;
        valid = false;
      } else {
        cell.v = c;
        cell.h[cell.k] = c;
      }
    }
    // A coercible type's error comes before every other; an object's after the typeless keywords.
    if (typeError && coercible && errors !== null) errors.push(err(cell, `${at}/type`, 'type', { type }, `must be ${type}`));
    for (const check of typeless) if (!check(cell, errors)) valid = false;
    if (typeError && !coercible && errors !== null) errors.push(err(cell, `${at}/type`, 'type', { type }, `must be ${type}`));
    if (typed.length > 0 && isType(groupType as string, cell.v)) {
      for (const check of typed) if (!check(cell, errors)) valid = false;
    }
    return valid;
  };
}

/** enum and anyOf: checked whatever the value's type. */
function typelessChecks(schema: Record<string, unknown>, at: string): Check[] {
  const out: Check[] = [];
  if (schema.enum !== undefined) {
    const allowed = schema.enum;
    if (!Array.isArray(allowed) || allowed.some((a) => typeof a !== 'string' && typeof a !== 'number')) {
      throw new SchemaCompileError(`${at}/enum: only strings and numbers are supported`);
    }
    const set = new Set<unknown>(allowed);
    out.push((c, errors) => {
      if (set.has(c.v)) return true;
      if (errors !== null) errors.push(err(c, `${at}/enum`, 'enum', { allowedValues: allowed }, 'must be equal to one of the allowed values'));
      return false;
    });
  }
  if (schema.anyOf !== undefined) {
    if (!Array.isArray(schema.anyOf) || schema.anyOf.length === 0) throw new SchemaCompileError(`${at}/anyOf: must be a non-empty array`);
    const branches = schema.anyOf.map((s, i) => compile(s as Record<string, unknown>, `${at}/anyOf/${i}`));
    // Scalar branches go first without making errors: most values pass one
    // (a severity name fails the integer branch on every event). Only when all
    // fail do they run again, for the errors, from the value as it came:
    // errors never steer a check, so the second run coerces (and writes back)
    // as the first did.
    const quietFirst = schema.anyOf.every(scalarSchema);
    out.push((c, errors) => {
      if (quietFirst || errors === null) {
        const v = c.v;
        for (const b of branches) if (b(c, null)) return true;
        if (errors === null) return false;
        c.v = v;
        for (const b of branches) b(c, errors);
      } else {
        const before = errors.length;
        // The first branch that passes wins and its siblings' errors are
        // dropped; a branch that fails may still have coerced the value.
        for (const b of branches) {
          if (b(c, errors)) {
            errors.length = before;
            return true;
          }
        }
      }
      errors.push(err(c, `${at}/anyOf`, 'anyOf', {}, 'must match a schema in anyOf'));
      return false;
    });
  }
  return out;
}

/** A branch whose checks can change nothing but the value itself. */
function scalarSchema(s: unknown): boolean {
  const o = s as Record<string, unknown>;
  return (o.type === 'string' || o.type === 'integer' || o.type === 'number') && o.anyOf === undefined;
}

/** The checks for the schema's type, in ajv's keyword order; run only on a value of that type. */
function typedChecks(schema: Record<string, unknown>, at: string): Check[] {
  const out: Check[] = [];
  const limit = (k: string): number | undefined => {
    const v = schema[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaCompileError(`${at}/${k}: must be a number`);
    return v;
  };
  const maximum = limit('maximum');
  const minimum = limit('minimum');
  if (maximum !== undefined) {
    out.push((c, errors) => {
      if ((c.v as number) <= maximum) return true;
      if (errors !== null) errors.push(err(c, `${at}/maximum`, 'maximum', { comparison: '<=', limit: maximum }, `must be <= ${maximum}`));
      return false;
    });
  }
  if (minimum !== undefined) {
    out.push((c, errors) => {
      if ((c.v as number) >= minimum) return true;
      if (errors !== null) errors.push(err(c, `${at}/minimum`, 'minimum', { comparison: '>=', limit: minimum }, `must be >= ${minimum}`));
      return false;
    });
  }
  const maxLength = limit('maxLength');
  const minLength = limit('minLength');
  if (maxLength !== undefined) {
    out.push((c, errors) => {
      if (codePoints(c.v as string) <= maxLength) return true;
      if (errors !== null) errors.push(err(c, `${at}/maxLength`, 'maxLength', { limit: maxLength }, `must NOT have more than ${maxLength} characters`));
      return false;
    });
  }
  if (minLength !== undefined) {
    out.push((c, errors) => {
      if (codePoints(c.v as string) >= minLength) return true;
      if (errors !== null) errors.push(err(c, `${at}/minLength`, 'minLength', { limit: minLength }, `must NOT have fewer than ${minLength} characters`));
      return false;
    });
  }
  if (schema.format !== undefined) {
    out.push((c, errors) => {
      if (isRfc3339DateTime(c.v as string)) return true;
      if (errors !== null) errors.push(err(c, `${at}/format`, 'format', { format: 'date-time' }, 'must match format "date-time"'));
      return false;
    });
  }
  if (schema.items !== undefined) {
    const item = compile(schema.items as Record<string, unknown>, `${at}/items`);
    const cell = reusableCell();
    out.push((c, errors) => {
      const arr = c.v as Holder & Json[];
      let valid = true;
      cell.h = arr;
      cell.p = c;
      for (let i = 0; i < arr.length; i++) {
        cell.k = i;
        cell.v = arr[i];
        if (!item(cell, errors)) valid = false;
      }
      clear(cell);
      return valid;
    });
  }
  out.push(...objectChecks(schema, at));
  return out;
}

/** JSON Pointer escaping for property names in instancePath. */
function pointer(name: string): string {
  if (name.indexOf('~') < 0 && name.indexOf('/') < 0) return name;
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function objectChecks(schema: Record<string, unknown>, at: string): Check[] {
  const out: Check[] = [];
  const minProperties = schema.minProperties;
  if (minProperties !== undefined) {
    if (typeof minProperties !== 'number') throw new SchemaCompileError(`${at}/minProperties: must be a number`);
    out.push((c, errors) => {
      if (Object.keys(c.v as object).length >= minProperties) return true;
      if (errors !== null) errors.push(err(c, `${at}/minProperties`, 'minProperties', { limit: minProperties }, `must NOT have fewer than ${minProperties} properties`));
      return false;
    });
  }
  if (schema.required !== undefined) {
    const required = schema.required;
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) throw new SchemaCompileError(`${at}/required: must be an array of names`);
    out.push((c, errors) => {
      const obj = c.v as Holder;
      let valid = true;
      for (const name of required as string[]) {
        if (obj[name] !== undefined) continue;
        if (errors !== null) errors.push(err(c, `${at}/required`, 'required', { missingProperty: name }, `must have required property '${name}'`));
        valid = false;
      }
      return valid;
    });
  }
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const names = Object.keys(props);
  if (schema.additionalProperties === false) {
    // removeAdditional: what the schema does not name is dropped, not refused.
    const known = new Set(names);
    out.push((c) => {
      const obj = c.v as Holder;
      for (const name of Object.keys(obj)) if (!known.has(name)) delete obj[name];
      return true;
    });
  }
  if (names.length > 0) {
    const checks = names.map((n) => [n, compile(props[n], `${at}/properties/${pointer(n)}`)] as const);
    const cell = reusableCell();
    out.push((c, errors) => {
      const obj = c.v as Holder;
      let valid = true;
      cell.h = obj;
      cell.p = c;
      for (const [name, check] of checks) {
        const v = obj[name];
        if (v === undefined) continue;
        cell.k = name;
        cell.v = v;
        if (!check(cell, errors)) valid = false;
      }
      clear(cell);
      return valid;
    });
  }
  return out;
}

/** A validation function as fastify calls it: true, false with `.errors`, or `{ value }` when the root was coerced. */
export interface Validate {
  (data: unknown): boolean | { value: unknown };
  errors: SchemaError[] | null;
}

/** Compiles one schema; throws SchemaCompileError for anything outside the supported subset. */
export function compileSchema(schema: Record<string, unknown>): Validate {
  const check = compile(schema, '#');
  const fn = ((data: unknown) => {
    const root: Holder = { v: data };
    const errors: SchemaError[] = [];
    const ok = check({ h: root, k: 'v', v: data, p: null }, errors);
    fn.errors = ok ? null : errors;
    if (!ok) return false;
    return root.v === data ? true : { value: root.v };
  }) as Validate;
  fn.errors = null;
  return fn;
}

/**
 * fastify's `schemaController.compilersFactory`: our validator, and a
 * serializer builder that refuses response schemas (replies are plain
 * JSON.stringify; fast-json-stringify is what this avoids loading).
 */
export const compilersFactory = {
  buildValidator: () => ({ schema }: { schema: Record<string, unknown> }) => compileSchema(schema),
  buildSerializer: () => ({ url }: { url: string }) => {
    throw new SchemaCompileError(`${url}: response schemas are not supported; replies are serialized with JSON.stringify`);
  },
  // fastify's types name ajv's compiler signature; at run time it calls the
  // route compiler with { schema, method, url, httpPart }, as above.
} as unknown as CompilersFactory;
