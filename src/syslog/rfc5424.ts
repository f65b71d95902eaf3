// Full RFC 5424 parser, off the hot path. Field by field on the Buffer; only
// the fields themselves become strings.
//
// What throws ParseError (SY_ERR_PARSE, with .field and .offset):
//   - no valid <PRI> or PRI > 191                        (field 'PRI')
//   - no VERSION (1-3 digits, no leading zero) then SP     (field 'VERSION')
// What degrades (the router routes on the hostname anyway, so a drain should
// still get what was readable):
//   - header cut short: the missing fields are null, message empty;
//   - TIMESTAMP not RFC 3339: timestamp null, timestampText kept;
//   - header fields are taken as the space-separated tokens they are, even if
//     longer than RFC 5424's limits or outside PRINTUSASCII;
//   - STRUCTURED-DATA starting with '[' but malformed: structuredData [],
//     structuredDataText null, message = everything from the '[' on;
//   - no STRUCTURED-DATA at all (logplex: `<PRI>1 TS HOST APP PROC MSGID MSG`):
//     the token after MSGID is neither '-' nor '[', so it starts MSG.
import { ParseError } from './errors';
import { scanPri } from './pri';
import { versionEnd } from './header';
import { parseRfc3339 } from './timestamp';
import type { StructuredElement, SyslogMessage } from './types';

export type { StructuredElement, SyslogMessage } from './types';

const SP = 0x20;

function field(buf: Buffer, s: number, e: number): string | null {
  if (e === s || (e - s === 1 && buf[s] === 0x2d)) return null;
  return buf.toString('utf8', s, e);
}

function tokenEnd(buf: Buffer, p: number, end: number): number {
  let e = buf.indexOf(SP, p);
  if (e < 0 || e > end) e = end;
  return e;
}

// Parses STRUCTURED-DATA elements at buf[p] === '['. Pushes them into `out`
// and returns the offset after the last ']' or -1 if malformed.
// SD-NAME: 1-32 PRINTUSASCII except '=', SP, ']', '"' (RFC 5424 6.3).
// PARAM-VALUE escapes: \" \\ \] are unescaped; a backslash before anything
// else is kept as is, as RFC 5424 6.3.3 says.
export function parseStructuredData(buf: Buffer, p: number, end: number, out: StructuredElement[]): number {
  while (p < end && buf[p] === 0x5b) {
    p++;
    const idStart = p;
    p = sdName(buf, p, end);
    if (p === idStart) return -1;
    const el: StructuredElement = { id: buf.toString('latin1', idStart, p), params: [] };
    for (;;) {
      if (p >= end) return -1;
      if (buf[p] === 0x5d) {
        p++;
        break;
      }
      if (buf[p] !== SP) return -1;
      p++;
      const nameStart = p;
      p = sdName(buf, p, end);
      if (p === nameStart || p + 1 >= end || buf[p] !== 0x3d || buf[p + 1] !== 0x22) return -1;
      const name = buf.toString('latin1', nameStart, p);
      p += 2;
      const valStart = p;
      let escaped = false;
      while (p < end && buf[p] !== 0x22) {
        if (buf[p] === 0x5c && p + 1 < end) {
          escaped = true;
          p++;
        }
        p++;
      }
      if (p >= end) return -1;
      el.params.push([name, escaped ? unescapeValue(buf, valStart, p) : buf.toString('utf8', valStart, p)]);
      p++; // closing quote
    }
    out.push(el);
  }
  return p;
}

function sdName(buf: Buffer, p: number, end: number): number {
  const start = p;
  while (p < end && p - start < 32) {
    const b = buf[p];
    if (b <= 32 || b >= 127 || b === 0x3d || b === 0x5d || b === 0x22) break;
    p++;
  }
  return p;
}

function unescapeValue(buf: Buffer, s: number, e: number): string {
  const bytes: number[] = [];
  for (let i = s; i < e; i++) {
    const b = buf[i];
    if (b === 0x5c && i + 1 < e) {
      const n = buf[i + 1];
      if (n === 0x22 || n === 0x5c || n === 0x5d) {
        bytes.push(n);
        i++;
        continue;
      }
    }
    bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parse5424(buf: Buffer, start: number, end: number): SyslogMessage {
  const pv = scanPri(buf, start, end);
  if (pv < 0) throw new ParseError('PRI', 'expected <0>..<191> at the start', start);
  const pri = pv >>> 3;
  const v = versionEnd(buf, start + (pv & 7), end);
  if (v < 0) throw new ParseError('VERSION', 'expected a version number and a space after PRI', start + (pv & 7));
  const m: SyslogMessage = {
    facility: pri >> 3,
    severity: pri & 7,
    timestamp: null,
    timestampText: null,
    hostname: null,
    appName: null,
    procId: null,
    msgId: null,
    structuredData: [],
    structuredDataText: null,
    message: Buffer.alloc(0),
    format: 5424,
  };
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each followed by SP.
  let p = v;
  let e = tokenEnd(buf, p, end);
  m.timestampText = field(buf, p, e);
  if (m.timestampText !== null) {
    const ms = parseRfc3339(buf, p, e, null);
    m.timestamp = Number.isNaN(ms) ? null : new Date(ms);
  }
  if (e >= end) return m;
  p = e + 1;
  e = tokenEnd(buf, p, end);
  m.hostname = field(buf, p, e);
  if (e >= end) return m;
  p = e + 1;
  e = tokenEnd(buf, p, end);
  m.appName = field(buf, p, e);
  if (e >= end) return m;
  p = e + 1;
  e = tokenEnd(buf, p, end);
  m.procId = field(buf, p, e);
  if (e >= end) return m;
  p = e + 1;
  e = tokenEnd(buf, p, end);
  m.msgId = field(buf, p, e);
  if (e >= end) return m;
  p = e + 1;
  // STRUCTURED-DATA: '-', elements, or (logplex) absent.
  let msgStart = p;
  if (p < end && buf[p] === 0x2d && (p + 1 === end || buf[p + 1] === SP)) {
    msgStart = p + 2;
  } else if (p < end && buf[p] === 0x5b) {
    const els: StructuredElement[] = [];
    const sdEnd = parseStructuredData(buf, p, end, els);
    if (sdEnd >= 0 && (sdEnd === end || buf[sdEnd] === SP)) {
      m.structuredData = els;
      m.structuredDataText = buf.toString('utf8', p, sdEnd);
      msgStart = sdEnd + 1;
    }
  }
  if (msgStart > end) msgStart = end;
  if (end - msgStart >= 3 && buf[msgStart] === 0xef && buf[msgStart + 1] === 0xbb && buf[msgStart + 2] === 0xbf) {
    m.bom = true;
    msgStart += 3;
  }
  m.message = Buffer.from(buf.subarray(msgStart, end));
  return m;
}
