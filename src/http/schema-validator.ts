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
import { err, SchemaCompileError, typedChecks, typelessChecks, type Check, type Holder, type Json, type SchemaError } from './schema-keywords';

export { SchemaCompileError, type SchemaError } from './schema-keywords';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number']);
const KNOWN = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'minProperties', 'items',
  'minLength', 'maxLength', 'minimum', 'maximum', 'enum', 'anyOf', 'format', 'title', 'description',
]);

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
  const typeless = typelessChecks(schema, at, compile);
  const typed = typedChecks(schema, at, compile);
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
