// Drain URLs → typed specs, checked before anything opens a socket.
//
// Every kind declares its schemes and the query parameters it understands; a
// parameter nobody understands is an error (a typo should not silently fall
// back to a default). Parameters every drain accepts:
//   name=<label>              label in metrics and logs (default: URL without credentials/query)
//   policy=backpressure|block|drop, buffer_bytes=N, buffer_messages=N, grace=<ms>
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors';
import type { Drain } from './drain';
import type { BufferOptions, OverflowPolicy } from './drain-types';
import type { StreamLinkPool } from './syslog/link-pool';

export interface DrainSpec<O = unknown> {
  kind: string;
  /** As configured; may carry credentials. */
  url: string;
  /** Safe for logs and metric labels. */
  label: string;
  /** The URL with its password masked, for API responses. */
  masked: string;
  buffer: Partial<BufferOptions>;
  options: O;
}

export interface DrainContext {
  logger: Logger;
  /** Defaults for the ring; the spec's own `buffer` overrides them. */
  buffer: BufferOptions;
  connectTimeoutMs: number;
  writeTimeoutMs: number;
  /** How long a stream drain with little queued may wait for more before writing (0: never). */
  lingerMs?: number;
  /** Syslog stream drains naming the same endpoint share one connection from here (absent: one each). */
  links?: StreamLinkPool;
  /** Shared services some kinds need (the persistent store, ...), by name. */
  services: Record<string, unknown>;
}

export interface DrainKind<O = any> {
  kind: string;
  schemes: readonly string[];
  params: readonly string[];
  /** Throws drainUrlError for anything wrong; no I/O. */
  parse(u: URL, scheme: string): O;
  create(spec: DrainSpec<O>, ctx: DrainContext): Drain;
}

const COMMON_PARAMS = ['name', 'policy', 'buffer_bytes', 'buffer_messages', 'grace'];
const kinds = new Map<string, DrainKind>();

export function registerDrainKind(k: DrainKind): void {
  for (const s of k.schemes) kinds.set(s, k);
}

export function drainUrlError(url: string, reason: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_DRAIN_URL', `invalid drain URL ${maskUrl(url)}: ${reason}`);
}

export function parseDrainUrl(url: string): DrainSpec {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw drainUrlError(url, 'not a URL');
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  const kind = kinds.get(scheme);
  if (!kind) throw drainUrlError(url, `unknown scheme "${scheme}" (known: ${[...kinds.keys()].join(', ')})`);
  for (const key of u.searchParams.keys()) {
    if (!COMMON_PARAMS.includes(key) && !kind.params.includes(key)) throw drainUrlError(url, `unknown parameter "${key}"`);
  }
  const q = u.searchParams;
  const buffer: Partial<BufferOptions> = {};
  const policy = q.get('policy');
  if (policy !== null) {
    if (policy !== 'backpressure' && policy !== 'block' && policy !== 'drop') throw drainUrlError(url, 'policy must be backpressure, block or drop');
    buffer.policy = policy as OverflowPolicy;
  }
  const num = (key: string, min: number): number | undefined => {
    const v = q.get(key);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw drainUrlError(url, `${key} must be an integer ≥ ${min}`);
    return n;
  };
  buffer.bytes = num('buffer_bytes', 1024);
  buffer.messages = num('buffer_messages', 1);
  buffer.graceMs = num('grace', 0);
  for (const k of Object.keys(buffer) as Array<keyof BufferOptions>) if (buffer[k] === undefined) delete buffer[k];
  const options = kind.parse(u, scheme);
  const name = q.get('name');
  return { kind: kind.kind, url, label: name || labelFor(u), masked: maskUrl(url), buffer, options };
}

/** null when the URL is a valid drain, else the reason (for the API's 422). */
export function validateEndpoint(url: string): string | null {
  try {
    parseDrainUrl(url);
    return null;
  } catch (err) {
    return err instanceof SwitchyardError ? err.message : String(err);
  }
}

export function createDrain(spec: DrainSpec, ctx: DrainContext): Drain {
  const kind = kinds.get(new URL(spec.url).protocol.slice(0, -1).toLowerCase());
  if (!kind) throw drainUrlError(spec.url, 'unknown scheme');
  return kind.create(spec, ctx);
}

/** The URL with any password replaced by ***, for logs and API responses. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

function labelFor(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** Parses a boolean query parameter: absent → dflt; "true"/"1"/"false"/"0" else error. */
export function boolParam(u: URL, key: string, dflt: boolean): boolean {
  const v = u.searchParams.get(key);
  if (v === null) return dflt;
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw drainUrlError(u.toString(), `${key} must be true or false`);
}

/** Resolves a drain's ring options from the context defaults and the URL's overrides. */
export function bufferOptions(spec: DrainSpec, ctx: DrainContext): BufferOptions {
  return { ...ctx.buffer, ...spec.buffer };
}
