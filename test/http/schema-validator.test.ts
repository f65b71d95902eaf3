// The router's request validator against the one it replaced: fastify's ajv
// compiler with fastify's defaults and the router's allErrors, as the oracle.
// Same verdict, same coerced data, same errors, on generated requests for
// every schema the routes use; plus what the validator refuses to compile.
import t from 'tap';
import Fastify from 'fastify';
import { drainSchemas } from '../../src/http/drains-api';
import { compileSchema, compilersFactory, SchemaCompileError } from '../../src/http/schema-validator';
import { eventsBodySchema, FACILITIES, SEVERITIES } from '../../src/inputs/http-events-body';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ajvCompiler = require('@fastify/ajv-compiler') as () => (ext: object, opts: object) => (r: { schema: object }) => {
  (data: unknown, ctx?: object): boolean;
  errors?: Array<Record<string, unknown>> | null;
};
const buildAjv = ajvCompiler()({}, { customOptions: { allErrors: true } });

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Runs a validator the way fastify does (root mutation through the request object for ajv). */
function viaAjv(schema: object, data: unknown) {
  const fn = buildAjv({ schema });
  const req: Record<string, unknown> = { body: clone(data) };
  const ok = fn(req.body, { parentData: req, parentDataProperty: 'body' });
  const errors = ok ? null : (fn.errors ?? []).map(({ instancePath, schemaPath, keyword, params, message }) => ({ instancePath, schemaPath, keyword, params, message }));
  return { ok, data: req.body, errors };
}

function viaOurs(schema: object, data: unknown) {
  const fn = compileSchema(schema as Record<string, unknown>);
  const req: Record<string, unknown> = { body: clone(data) };
  const ret = fn(req.body);
  if (typeof ret === 'object') req.body = ret.value;
  return { ok: ret !== false, data: req.body, errors: ret === false ? fn.errors : null };
}

/** ajv turns "Infinity" into a number that passes every limit; the router refuses it (a documented difference). */
function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasNonFinite);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasNonFinite);
  return false;
}

// A small deterministic PRNG, so a failure names a case that can be rerun.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const DATE_TIMES = [
  '2026-11-22T03:00:00Z', '2026-11-22t03:00:00.123z', '2026-11-22 03:00:00+01:00', '2026-11-22T03:00:00+0100', '2026-11-22T03:00:00-05',
  '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2000-02-29T12:00:00Z', '1900-02-29T12:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z', '2026-01-00T00:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22T23:60:00Z', '2026-11-22T23:59:60Z', '2026-11-22T22:59:60-01:00',
  '2026-11-22T23:59:60+00:30', '2026-11-22T00:59:60+01:00', '2026-11-22T23:58:60Z', '2026-11-22T23:59:61Z', '2026-11-22T03:00:00+24:00',
  '2026-11-22T03:00:00+01:60', '2026-11-22T03:00:00', '2026-11-22', '03:00:00Z', '2026-11-22TT03:00:00Z', '2026-11-22\t03:00:00Z',
  '2026-11-22T3:00:00Z', '26-11-22T03:00:00Z', '2026-11-22T03:00:00.Z', '2026-11-22T03:00:00,5Z', ' 2026-11-22T03:00:00Z', 'yesterday', '',
];

function scalarPool(r: () => number): unknown[] {
  return [
    undefined, null, true, false, 0, 1, 3, 7, 8, -1, 23, 24, 2.5, 9.5, 1e21, '3', ' 3 ', '0x3', '1e0', '7.0', '-0', '', 'x', 'Infinity', '-Infinity',
    'NaN', 'true', 'err', 'emerg', 'local7', 'LOCAL7', 'kern', [], [3], ['3'], ['err'], [1, 2], {}, { a: 1 }, 'h'.repeat(255), 'h'.repeat(256),
    '\u{1f600}'.repeat(255), 'é'.repeat(256), DATE_TIMES[Math.floor(r() * DATE_TIMES.length)], Date.parse('2026-11-22T03:00:00Z'),
    ...Object.keys(SEVERITIES).slice(0, 2), ...Object.keys(FACILITIES).slice(-2),
  ];
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function genEvent(r: () => number): unknown {
  if (r() < 0.05) return pick(r, [null, 'just a string', 5, [], [{ hostname: 'a' }]]);
  const pool = scalarPool(r);
  const ev: Record<string, unknown> = {};
  for (const f of ['hostname', 'tag', 'message', 'severity', 'facility', 'time', 'extra']) {
    const roll = r();
    if (roll < 0.15) continue;
    if (roll < 0.55 && f !== 'extra') ev[f] = goodValue(r, f);
    else ev[f] = pick(r, pool);
  }
  return ev;
}

function goodValue(r: () => number, f: string): unknown {
  switch (f) {
    case 'hostname': return pick(r, ['api-prod', 'h', 'web.example.com']);
    case 'tag': return pick(r, ['app[1]', 'web.1', 'cron:']);
    case 'message': return pick(r, ['hello', '', 'ünïcode ✓']);
    case 'severity': return pick(r, [0, 7, 'err', 'info', '5']);
    case 'facility': return pick(r, [0, 23, 'local0', 'kern', '16']);
    default: return pick(r, [...DATE_TIMES.slice(0, 5), 1764000000000]);
  }
}

function genDrainBody(r: () => number): unknown {
  if (r() < 0.05) return pick(r, [null, 'x', 3, [], [{ hostname: 'a', endpoint: 'b' }]]);
  const pool = scalarPool(r);
  const body: Record<string, unknown> = {};
  for (const f of ['hostname', 'endpoint', 'extra', 'other']) {
    const roll = r();
    if (roll < 0.3) continue;
    body[f] = roll < 0.6 ? pick(r, ['web', 'syslog+tls://logs.example.com:6514', 'x'.repeat(1024), 'x'.repeat(1025), 'e'.repeat(8193)]) : pick(r, pool);
  }
  return body;
}

function genParams(r: () => number): unknown {
  const pool = scalarPool(r);
  return r() < 0.2 ? {} : { id: r() < 0.5 ? '00000000-0000-4000-8000-000000000000' : pick(r, pool) };
}

const CASES: Array<[string, object, (r: () => number) => unknown]> = [
  ['events body', eventsBodySchema, (r) => Array.from({ length: Math.floor(r() * 4) }, () => genEvent(r))],
  ['drain create', drainSchemas.create, genDrainBody],
  ['drain update', drainSchemas.update, genDrainBody],
  ['drain id params', drainSchemas.idParams, genParams],
  ['drain list query', drainSchemas.listQuery, (r) => (r() < 0.3 ? {} : { hostname: r() < 0.5 ? 'web' : pick(r, scalarPool(r)) })],
];

for (const [name, schema, gen] of CASES) {
  t.test(`${name}: the same verdict, data and errors as fastify's ajv`, async (t) => {
    const r = rng(name.length * 7919);
    let compared = 0;
    let invalid = 0;
    for (let i = 0; i < 3000; i++) {
      const input = gen(r);
      const want = viaAjv(schema, input);
      if (hasNonFinite(want.data)) continue;
      const got = viaOurs(schema, input);
      compared++;
      if (!want.ok) invalid++;
      // One assertion per case would drown the report: fail on the first difference, naming the input.
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        t.same(got, want, `case ${i}: ${JSON.stringify(input)}`);
        return;
      }
    }
    t.ok(compared > 2500, `${compared} cases compared`);
    t.ok(invalid > 50 && compared - invalid > 50, `both verdicts exercised: ${invalid} invalid of ${compared}`);
  });
}

t.test('"Infinity" is no severity: refused, where ajv let it through', async (t) => {
  const ev = { hostname: 'h', tag: 't', message: 'm', severity: 'Infinity' };
  t.equal(viaAjv(eventsBodySchema, [ev]).ok, true, 'ajv accepted it');
  const got = viaOurs(eventsBodySchema, [ev]);
  t.equal(got.ok, false);
  t.match(got.errors, [{ instancePath: '/0/severity', keyword: 'type' }, { instancePath: '/0/severity', keyword: 'enum' }, { keyword: 'anyOf' }]);
});

t.test('a coerced root comes back as { value }', async (t) => {
  const fn = compileSchema({ type: 'array', items: { type: 'integer' } });
  t.same(fn('5'), { value: [5] });
  t.equal(fn([1, 2]), true);
  t.equal(fn({}), false);
  t.same(fn.errors, [{ instancePath: '', schemaPath: '#/type', keyword: 'type', params: { type: 'array' }, message: 'must be array' }]);
});

t.test('keywords outside the subset fail at compile time with SY_ERR_SCHEMA', async (t) => {
  const bad: Array<[object, RegExp]> = [
    [{ type: 'object', properties: { a: { type: 'string', pattern: '^a' } } }, /#\/properties\/a: keyword "pattern" is not supported/],
    [{ type: ['string', 'null'] }, /type \["string","null"\] is not supported/],
    [{ type: 'boolean' }, /type "boolean" is not supported/],
    [{ type: 'string', format: 'email' }, /format "email" is not supported/],
    [{ type: 'object', additionalProperties: { type: 'string' } }, /additionalProperties may only be false/],
    [{ minLength: 1 }, /need "type"/],
    [{ anyOf: [] }, /anyOf: must be a non-empty array/],
    [{ type: 'string', enum: [null] }, /enum: only strings and numbers/],
    [{ type: 'object', default: {} }, /keyword "default" is not supported/],
    [{ $ref: '#/definitions/x' }, /keyword "\$ref" is not supported/],
  ];
  for (const [schema, msg] of bad) {
    t.throws(() => compileSchema(schema as Record<string, unknown>), { code: 'SY_ERR_SCHEMA', message: msg }, JSON.stringify(schema));
    t.ok(SchemaCompileError);
  }
});

t.test('in fastify: a 400 names every problem; a route with a response schema fails at ready', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory } });
  app.post('/d', { schema: { body: drainSchemas.create } }, async (req) => req.body);
  const bad = await app.inject({ method: 'POST', url: '/d', payload: { hostname: '', extra: 1 } });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().message, "body must have required property 'endpoint', body/hostname must NOT have fewer than 1 characters");
  const ok = await app.inject({ method: 'POST', url: '/d', payload: { hostname: 'web', endpoint: 'syslog://x:1', extra: 1 } });
  t.same(ok.json(), { hostname: 'web', endpoint: 'syslog://x:1' }, 'what the schema does not name is dropped');
  const none = await app.inject({ method: 'POST', url: '/d' });
  t.equal(none.json().message, 'body must be object', 'no body at all');
  await app.close();

  const withResponse = Fastify({ schemaController: { compilersFactory } });
  withResponse.get('/r', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}));
  await t.rejects(async () => { await withResponse.ready(); }, { code: 'FST_ERR_SCH_SERIALIZATION_BUILD', message: /response schemas are not supported/ });
});
