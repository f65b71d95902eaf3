// How stored lines leave GET /logs/:key: pure functions from rows to bytes,
// tested without a server. Text is the stored RFC 5424 bytes plus LF, as they
// were (invalid UTF-8 included). Structured records parse the line with the
// syslog library; bytes that are not UTF-8 are also given in base64 so a JSON
// client can still recover them exactly.
import { isUtf8 } from 'node:buffer';
import { parseSyslog, type SyslogMessage } from '../syslog';
import type { LogRow } from './log-store';

const LF = Buffer.from('\n');
// Stored lines are RFC 5424 (the router converts 3164); the options only
// matter for a 3164 line stored by other means.
const PARSE_OPTS = { now: new Date(0), tzOffsetMinutes: 0 };

/** A page of rows as text/plain: each line's bytes and LF, one Buffer. */
export function textChunk(rows: readonly LogRow[]): Buffer {
  const parts: Buffer[] = new Array(rows.length * 2);
  for (let i = 0; i < rows.length; i++) {
    parts[2 * i] = rows[i]!.line;
    parts[2 * i + 1] = LF;
  }
  return Buffer.concat(parts);
}

export interface LogRecord {
  id: string;
  /** When the store received the line (RFC 3339). */
  received: string;
  /** The stored line (UTF-8 decoded; see line_base64). */
  line: string;
  /** Only when the line is not valid UTF-8: its exact bytes. */
  line_base64?: string;
  facility?: number;
  severity?: number;
  timestamp?: string | null;
  hostname?: string | null;
  app_name?: string | null;
  proc_id?: string | null;
  msg_id?: string | null;
  structured_data?: Record<string, Record<string, string>>;
  message?: string;
  /** Present when the line does not parse as syslog; the other fields are then absent. */
  parse_error?: string;
}

export function toRecord(row: LogRow): LogRecord {
  const line = row.line;
  const rec: LogRecord = { id: row.id, received: row.received.toISOString(), line: line.toString('utf8') };
  if (!isUtf8(line)) rec.line_base64 = line.toString('base64');
  let m: SyslogMessage;
  try {
    m = parseSyslog(line, 0, line.length, PARSE_OPTS);
  } catch (err) {
    rec.parse_error = (err as Error).message;
    return rec;
  }
  rec.facility = m.facility;
  rec.severity = m.severity;
  rec.timestamp = m.timestamp !== null ? m.timestamp.toISOString() : m.timestampText;
  rec.hostname = m.hostname;
  rec.app_name = m.appName;
  rec.proc_id = m.procId;
  rec.msg_id = m.msgId;
  const sd: Record<string, Record<string, string>> = {};
  for (const el of m.structuredData) {
    const params: Record<string, string> = (sd[el.id] ??= {});
    for (const [k, v] of el.params) params[k] = v;
  }
  rec.structured_data = sd;
  rec.message = m.message.toString('utf8');
  return rec;
}

/** A page as NDJSON: one record per line. */
export function ndjsonChunk(rows: readonly LogRow[]): Buffer {
  let s = '';
  for (const r of rows) s += JSON.stringify(toRecord(r)) + '\n';
  return Buffer.from(s, 'utf8');
}

/** A page inside a JSON array; `first` says whether it opens the array. The caller writes "[" / "]". */
export function jsonArrayChunk(rows: readonly LogRow[], first: boolean): Buffer {
  let s = '';
  for (let i = 0; i < rows.length; i++) s += (first && i === 0 ? '\n' : ',\n') + JSON.stringify(toRecord(rows[i]!));
  return Buffer.from(s, 'utf8');
}
