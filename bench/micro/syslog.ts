// Micro-benchmark of the syslog hot path: StreamFramer + scanHeader over a
// stream of 200-byte octet-counted RFC 5424 messages cut into 64 KiB chunks
// (so some frames straddle chunks, as on a real socket), with a baseline in
// the same run: a bare loop that reads each octet count and finds the
// hostname with indexOf, no state machine, no callbacks. The gap between the
// two is what framing generality costs.
//
//   npx tsc -p . && node dist/bench/micro/syslog.js [--seconds 2]
//
// Prints ns/message and messages/s per case. Numbers guide optimisation;
// they are not assertions.
import { StreamFramer, FrameHandler } from '../../src/syslog/framer';
import { newHeaderScan, scanHeader, versionEnd, type HeaderScan } from '../../src/syslog/header';
import { scanPri } from '../../src/syslog/pri';
import { convert3164To5424 } from '../../src/syslog/encode';
import { chunked, octetFramed, syslogMessage } from './input-stream';
import { parse5424 } from '../../src/syslog/rfc5424';

const MSG_SIZE = 200;
const CHUNK = 64 * 1024;
const STREAM_MESSAGES = 20000;
const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;

const message = (i: number, format: 5424 | 3164): Buffer => syslogMessage(i, format, 100, MSG_SIZE);

function octetStream(format: 5424 | 3164): Buffer {
  return octetFramed(Array.from({ length: STREAM_MESSAGES }, (_, i) => message(i, format)));
}

function lfStream(format: 5424 | 3164): Buffer {
  return Buffer.concat(Array.from({ length: STREAM_MESSAGES }, (_, i) => Buffer.concat([message(i, format), Buffer.from('\n')])));
}

const chunks = (stream: Buffer): Buffer[] => chunked(stream, CHUNK);

// Runs `pass` (one pass = STREAM_MESSAGES messages) for SECONDS after a warm-up.
function measure(name: string, pass: () => number): void {
  const warmEnd = Date.now() + 300;
  while (Date.now() < warmEnd) pass();
  let messages = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < deadline) {
    sink += pass();
    messages += STREAM_MESSAGES;
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start) / messages;
  console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/msg ${(1e9 / ns / 1e6).toFixed(2).padStart(6)} M msg/s  (check ${sink % 1000})`);
}

const scan = newHeaderScan();
let hostBytes = 0;

class Counting implements FrameHandler {
  frames = 0;
  onFrame(): boolean {
    this.frames++;
    return true;
  }
  onOversize(): void {}
}

class Scanning implements FrameHandler {
  frames = 0;
  onFrame(buf: Buffer, start: number, end: number): boolean {
    this.frames++;
    if (scanHeader(buf, start, end, scan)) hostBytes += scan.hostEnd - scan.hostStart;
    return true;
  }
  onOversize(): void {}
}

/** scanHeader's RFC 5424 branch before spaceFrom() (byte loops), kept to compare in the same run. */
function scanHeaderBefore(buf: Buffer, start: number, end: number, out: HeaderScan): boolean {
  const pv = scanPri(buf, start, end);
  if (pv < 0) return false;
  out.pri = pv >>> 3;
  const v = versionEnd(buf, start + (pv & 7), end);
  if (v < 0) throw new Error('this case only has RFC 5424 messages');
  let p = v;
  while (p < end && buf[p] !== 0x20) p++;
  if (p >= end) {
    out.hostStart = out.hostEnd = end;
    return true;
  }
  let h = ++p;
  while (h < end && buf[h] !== 0x20) h++;
  if (h - p === 1 && buf[p] === 0x2d) h = p;
  out.hostStart = p;
  out.hostEnd = h;
  return true;
}

class ScanningBefore implements FrameHandler {
  frames = 0;
  onFrame(buf: Buffer, start: number, end: number): boolean {
    this.frames++;
    if (scanHeaderBefore(buf, start, end, scan)) hostBytes += scan.hostEnd - scan.hostStart;
    return true;
  }
  onOversize(): void {}
}

const octet5424 = chunks(octetStream(5424));
const lf3164 = chunks(lfStream(3164));
const whole5424 = octetStream(5424);

console.log(`syslog micro-benchmark: ${STREAM_MESSAGES} x ${MSG_SIZE}-byte messages per pass, ${CHUNK}-byte chunks, node ${process.version}`);

// Baseline: the least any octet-counting reader must do per frame.
measure('baseline: octet count + indexOf host (no framer)', () => {
  const b = whole5424;
  let p = 0;
  let n = 0;
  while (p < b.length) {
    let len = 0;
    while (b[p] !== 0x20) len = len * 10 + b[p++] - 0x30;
    const body = p + 1;
    const ts = b.indexOf(0x20, body + 6);
    const h = b.indexOf(0x20, ts + 1);
    hostBytes += h - ts - 1;
    p = body + len;
    n++;
  }
  return n;
});

measure('StreamFramer, octet-counted 5424', () => {
  const h = new Counting();
  const f = new StreamFramer(8192, h);
  for (const c of octet5424) f.push(c);
  return h.frames;
});

measure('StreamFramer + scanHeader before spaceFrom()', () => {
  const h = new ScanningBefore();
  const f = new StreamFramer(8192, h);
  for (const c of octet5424) f.push(c);
  return h.frames;
});

measure('StreamFramer + scanHeader, octet-counted 5424', () => {
  const h = new Scanning();
  const f = new StreamFramer(8192, h);
  for (const c of octet5424) f.push(c);
  return h.frames;
});

measure('StreamFramer, LF-framed 3164', () => {
  const h = new Counting();
  const f = new StreamFramer(8192, h);
  for (const c of lf3164) f.push(c);
  return h.frames;
});

measure('StreamFramer + scanHeader, LF-framed 3164', () => {
  const h = new Scanning();
  const f = new StreamFramer(8192, h);
  for (const c of lf3164) f.push(c);
  return h.frames;
});

const out = Buffer.alloc(2 * 8192);
const opts = { now: new Date('2026-11-22T03:00:00Z'), tzOffsetMinutes: 0 };
const fallback = Buffer.from('relay');
measure('StreamFramer + convert3164To5424, LF 3164', () => {
  let bytes = 0;
  const f = new StreamFramer(8192, {
    onFrame(buf, start, end) {
      bytes += convert3164To5424(buf, start, end, out, opts, fallback);
      return true;
    },
    onOversize() {},
  });
  for (const c of lf3164) f.push(c);
  return bytes;
});

measure('parse5424 (full parse, off the hot path)', () => {
  const h = {
    n: 0,
    onFrame(buf: Buffer, start: number, end: number) {
      if (parse5424(buf, start, end).hostname !== null) this.n++;
      return true;
    },
    onOversize() {},
  };
  const f = new StreamFramer(8192, h);
  for (const c of octet5424) f.push(c);
  return h.n;
});

console.log(`(host bytes seen: ${hostBytes})`);
