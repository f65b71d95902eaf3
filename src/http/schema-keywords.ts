// The keywords of the router's request validator (schema-validator.ts says
// why it exists), each compiled once into a check over a Cell. What they
// accept, the order they report in and their messages are ajv's, as fastify
// ran it with the router's options (the tests hold them to ajv).
import { isRfc3339DateTime } from './date-time';

/** An error as fastify's schemaErrorFormatter and our 400 bodies read it (ajv's shape). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

export type Json = unknown;
export type Holder = Record<string | number, Json>;
/**
 * One value under validation. `v` is what the keywords see; coercion writes
 * it back to holder[key] as well. They differ in one case, as in ajv: a
 * one-item array unwrapped for a type its item does not have either, which
 * the remaining keywords (and anyOf siblings) then see unwrapped.
 */
export interface Cell {
  h: Holder;
  k: string | number;
  v: Json;
  /** The cell of the containing value; its chain of keys is the instancePath. */
  p: Cell | null;
}
/** Validates a cell, pushing errors unless `errors` is null; true when valid. */
export type Check = (c: Cell, errors: SchemaError[] | null) => boolean;

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

/** The JSON Pointer of a cell's value, built only for an error. */
function pathOf(c: Cell): string {
  let path = '';
  for (let x: Cell = c; x.p !== null; x = x.p) path = `/${typeof x.k === 'number' ? x.k : pointer(x.k)}${path}`;
  return path;
}

export function err(c: Cell, schemaPath: string, keyword: string, params: Record<string, unknown>, message: string): SchemaError {
  return { instancePath: pathOf(c), schemaPath, keyword, params, message };
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

/** Compiles a subschema (schema-validator.ts's compile), for the keywords that hold one. */
export type Compile = (schema: Record<string, unknown>, at: string) => Check;

/** enum and anyOf: checked whatever the value's type. */
export function typelessChecks(schema: Record<string, unknown>, at: string, compile: Compile): Check[] {
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
export function typedChecks(schema: Record<string, unknown>, at: string, compile: Compile): Check[] {
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
  out.push(...objectChecks(schema, at, compile));
  return out;
}

/** JSON Pointer escaping for property names in instancePath. */
function pointer(name: string): string {
  if (name.indexOf('~') < 0 && name.indexOf('/') < 0) return name;
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function objectChecks(schema: Record<string, unknown>, at: string, compile: Compile): Check[] {
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
