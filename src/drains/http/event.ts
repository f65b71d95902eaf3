// The JSON shape of one log message, shared by the http(s):// drain and the
// Elasticsearch drain. Stable: every key is always present (null when the
// message has no such field), so consumers and index mappings can rely on it.
//
//   {
//     "time":            RFC 3339 timestamp as sent, or null (nil or not RFC 3339)
//     "hostname":        string | null
//     "app":             APP-NAME | null
//     "procid":          PROCID | null
//     "msgid":           MSGID | null
//     "severity":        0-7 (RFC 5424 table 2: 0 emerg … 7 debug)
//     "facility":        0-23 (RFC 5424 table 1: 1 user, 16-23 local0-7, …)
//     "message":         MSG as UTF-8 text (BOM removed, invalid bytes → U+FFFD)
//     "structured_data": { "<SD-ID>": { "<PARAM-NAME>": "value" } }; a name
//                        repeated within one element gives an array of values
//   }
//
// A record that is not syslog at all (no <PRI>, which the router never hands
// over) becomes an event with severity 5, facility 1 and the whole record as
// its message, rather than being lost.
import { parseSyslog, type Parse3164Options, type SyslogMessage } from '../../syslog';

export interface LogEvent {
  time: string | null;
  hostname: string | null;
  app: string | null;
  procid: string | null;
  msgid: string | null;
  severity: number;
  facility: number;
  message: string;
  structured_data: Record<string, Record<string, string | string[]>>;
}

/** Parser options for a batch: `now` only matters for RFC 3164 year inference. */
export function parseOptions(nowMs: number): Parse3164Options {
  return { now: new Date(nowMs), tzOffsetMinutes: 0 };
}

/** Parses record buf[start:end]; null when it is not syslog. */
export function parseRecord(buf: Buffer, start: number, end: number, opts: Parse3164Options): SyslogMessage | null {
  try {
    return parseSyslog(buf, start, end, opts);
  } catch {
    return null;
  }
}

export function toEvent(m: SyslogMessage | null, buf: Buffer, start: number, end: number): LogEvent {
  if (m === null) {
    return {
      time: null,
      hostname: null,
      app: null,
      procid: null,
      msgid: null,
      severity: 5,
      facility: 1,
      message: buf.toString('utf8', start, end),
      structured_data: {},
    };
  }
  return {
    time: m.timestamp !== null ? m.timestampText : null,
    hostname: m.hostname,
    app: m.appName,
    procid: m.procId,
    msgid: m.msgId,
    severity: m.severity,
    facility: m.facility,
    message: m.message.toString('utf8'),
    structured_data: structuredData(m),
  };
}

function structuredData(m: SyslogMessage): LogEvent['structured_data'] {
  // Null prototypes: an SD-ID or PARAM-NAME like "__proto__" stays a plain key.
  const out: LogEvent['structured_data'] = Object.create(null);
  for (const el of m.structuredData) {
    const params: Record<string, string | string[]> = out[el.id] ?? Object.create(null);
    for (const [name, value] of el.params) {
      const prev = params[name];
      if (prev === undefined) params[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else params[name] = [prev, value];
    }
    out[el.id] = params;
  }
  return out;
}
