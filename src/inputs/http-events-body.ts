// JSON events for POST /events (logtrain's HTTP JSON input), pure parts:
// the JSON schema, NDJSON splitting, and event → RFC 5424 fields.
//
// An event: { hostname, tag, message } required; severity, facility and time
// optional. Severity and facility are numbers (0..7, 0..23) or names
// ("info", "warning", "local0", ...). time is an RFC 3339 string or
// milliseconds since the epoch; absent means now. Other properties are
// ignored. Defaults: facility user (1), severity info (6) — logtrain sent
// Go's zero values, kern.emerg, which no one meant.
//
// The tag becomes APP-NAME and PROCID:
//   "name[123]" (optionally with a trailing ':', the RFC 3164 TAG form)
//                      → APP-NAME name, PROCID 123
//   "web.1"            (a Heroku/Akkeris dyno: a process type, '.', a number)
//                      → APP-NAME app, PROCID web.1, as logplex writes app
//                        output, so logplex-aware consumers see the usual shape
//   anything else      → APP-NAME the tag, PROCID nil
// The encoder then sanitises (non-printable → '_') and cuts each field to
// RFC 5424's maximum length.
import type { EncodeFields } from '../syslog/encode';

export const SEVERITIES: Record<string, number> = {
  emerg: 0, emergency: 0, panic: 0,
  alert: 1,
  crit: 2, critical: 2,
  err: 3, error: 3,
  warning: 4, warn: 4,
  notice: 5,
  info: 6, informational: 6,
  debug: 7,
};

export const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, security: 13, audit: 13, console: 14, solaris_cron: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export const DEFAULT_FACILITY = 1;
export const DEFAULT_SEVERITY = 6;

/** One event, as the schema admits it. */
export interface IngestEvent {
  hostname: string;
  tag: string;
  message: string;
  severity?: number | string;
  facility?: number | string;
  time?: string | number;
}

const eventSchema = {
  type: 'object',
  required: ['hostname', 'tag', 'message'],
  properties: {
    hostname: { type: 'string', minLength: 1, maxLength: 255 },
    tag: { type: 'string', minLength: 1 },
    message: { type: 'string' },
    // anyOf, not a type union, which the schema validator does not take. Its
    // type coercion may turn "3" into 3 on the way, which means the same.
    severity: { anyOf: [{ type: 'integer', minimum: 0, maximum: 7 }, { type: 'string', enum: Object.keys(SEVERITIES) }] },
    facility: { anyOf: [{ type: 'integer', minimum: 0, maximum: 23 }, { type: 'string', enum: Object.keys(FACILITIES) }] },
    time: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'number' }] },
  },
} as const;

/** The request body schema, after a single event has been wrapped in an array. */
export const eventsBodySchema = { type: 'array', items: eventSchema } as const;

/**
 * RFC 3339 and epoch checks the schema cannot express ('format' only applies
 * to strings): returns the time, or null when it is not a usable instant.
 */
export function eventTime(t: string | number | undefined, now: Date): Date | null {
  if (t === undefined) return now;
  const d = new Date(t);
  return Number.isFinite(d.getTime()) ? d : null;
}

const BRACKET_TAG = /^([^[\]]+)\[([^[\]]+)\]:?$/;
const DYNO_TAG = /^[A-Za-z][A-Za-z0-9_-]*\.\d+$/;

/** APP-NAME and PROCID from a tag (rules at the top of this file). */
export function splitTag(tag: string): { appName: string; procId: string | null } {
  const m = BRACKET_TAG.exec(tag);
  if (m !== null) return { appName: m[1], procId: m[2] };
  if (DYNO_TAG.test(tag)) return { appName: 'app', procId: tag };
  return { appName: tag.endsWith(':') && tag.length > 1 ? tag.slice(0, -1) : tag, procId: null };
}

function level(v: number | string | undefined, names: Record<string, number>, dflt: number): number {
  if (v === undefined) return dflt;
  return typeof v === 'number' ? v : names[v];
}

/** Encoder fields for a schema-valid event; a string naming what is wrong otherwise. */
export function eventFields(ev: IngestEvent, now: Date): EncodeFields | string {
  const time = eventTime(ev.time, now);
  if (time === null) return `time ${JSON.stringify(ev.time)} is not an RFC 3339 date-time or epoch milliseconds`;
  const { appName, procId } = splitTag(ev.tag);
  return {
    facility: level(ev.facility, FACILITIES, DEFAULT_FACILITY),
    severity: level(ev.severity, SEVERITIES, DEFAULT_SEVERITY),
    timestamp: time,
    hostname: ev.hostname,
    appName,
    procId,
    msgId: null,
    structuredData: null,
    message: ev.message,
  };
}

/**
 * NDJSON: one JSON value per line; blank lines are skipped. Throws an Error
 * naming the first line (1-based) that is not JSON.
 */
export function parseNdjson(text: string): unknown[] {
  const out: unknown[] = [];
  let line = 0;
  let pos = 0;
  while (pos <= text.length) {
    let lf = text.indexOf('\n', pos);
    if (lf < 0) lf = text.length;
    line++;
    const s = text.slice(pos, lf).trim();
    pos = lf + 1;
    if (s.length === 0) continue;
    try {
      out.push(JSON.parse(s));
    } catch (err) {
      throw new Error(`NDJSON line ${line} is not valid JSON: ${(err as Error).message}`);
    }
  }
  return out;
}
