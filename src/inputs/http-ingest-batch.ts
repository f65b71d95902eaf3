// One HTTP ingest request's messages, parsed and checked before any of them is
// routed, so a request is queued whole or not at all.
//
// A message lives either in the request body (RFC 5424 bytes as sent: no
// copy) or in `extra`, where messages that had to be rewritten (RFC 3164
// converted, a nil hostname filled in, JSON events encoded) are appended back
// to back. Offsets are kept in typed arrays: no object per message.
//
// Admission (`firstRefused`) checks that no `block` drain would refuse any
// message, alone or as part of the whole batch; only then does routing start.
// If a block drain still runs out of room while the batch is being routed
// (its ring is fragmented, or the batch is larger than the ring), `routeAll`
// waits (polling, rare) for the drain to make room instead of letting the
// router count the message as dropped, up to a hold time.
import type { Drain } from '../drains/drain';
import type { Router } from '../router/router';
import { UNROUTED } from '../router/verdict';

const EMPTY = Buffer.alloc(0);
const INITIAL_MESSAGES = 128;
const INITIAL_EXTRA = 16 * 1024;
const POLL_MS = 5;

export class IngestBatch {
  count = 0;
  /** Messages cut to MAX_MESSAGE_BYTES while parsing. */
  oversize = 0;
  /** The request body that non-rewritten messages point into. */
  body: Buffer = EMPTY;
  extra: Buffer = Buffer.allocUnsafe(INITIAL_EXTRA);
  extraUsed = 0;
  starts: Int32Array = new Int32Array(INITIAL_MESSAGES);
  ends: Int32Array = new Int32Array(INITIAL_MESSAGES);
  hostStarts: Int32Array = new Int32Array(INITIAL_MESSAGES);
  hostEnds: Int32Array = new Int32Array(INITIAL_MESSAGES);
  /** 1 when message i is in `extra`, 0 when in `body`. */
  inExtra = new Uint8Array(INITIAL_MESSAGES);

  reset(body: Buffer): void {
    this.body = body;
    this.count = 0;
    this.oversize = 0;
    this.extraUsed = 0;
  }

  /** Forgets the body so an idle pooled batch does not pin it. */
  release(): void {
    this.body = EMPTY;
    this.count = 0;
  }

  /** The buffer message i lives in. */
  source(i: number): Buffer {
    return this.inExtra[i] === 1 ? this.extra : this.body;
  }

  /** Adds body[start:end] (an RFC 5424 message whose HOSTNAME is body[hostStart:hostEnd]). */
  addFromBody(start: number, end: number, hostStart: number, hostEnd: number): void {
    this.add(0, start, end, hostStart, hostEnd);
  }

  /** Adds a copy of src[start:end] (kept in `extra`); hostStart/hostEnd are offsets in src. */
  addCopy(src: Buffer, start: number, end: number, hostStart: number, hostEnd: number): void {
    const n = end - start;
    if (this.extraUsed + n > this.extra.length) {
      let cap = this.extra.length * 2;
      while (cap < this.extraUsed + n) cap *= 2;
      const grown = Buffer.allocUnsafe(cap);
      this.extra.copy(grown, 0, 0, this.extraUsed);
      this.extra = grown;
    }
    const at = this.extraUsed;
    src.copy(this.extra, at, start, end);
    this.extraUsed = at + n;
    this.add(1, at, at + n, at + (hostStart - start), at + (hostEnd - start));
  }

  private add(inExtra: number, start: number, end: number, hostStart: number, hostEnd: number): void {
    const i = this.count;
    if (i === this.starts.length) this.grow();
    this.inExtra[i] = inExtra;
    this.starts[i] = start;
    this.ends[i] = end;
    this.hostStarts[i] = hostStart;
    this.hostEnds[i] = hostEnd;
    this.count = i + 1;
  }

  private grow(): void {
    const cap = this.starts.length * 2;
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.starts = g32(this.starts);
    this.ends = g32(this.ends);
    this.hostStarts = g32(this.hostStarts);
    this.hostEnds = g32(this.hostEnds);
    const x = new Uint8Array(cap);
    x.set(this.inExtra);
    this.inExtra = x;
  }
}

/** A small pool: one spare batch per endpoint covers the usual one-request-at-a-time case. */
export class BatchPool {
  private spare: IngestBatch | null = null;

  take(body: Buffer): IngestBatch {
    const b = this.spare ?? new IngestBatch();
    this.spare = null;
    b.reset(body);
    return b;
  }

  give(b: IngestBatch): void {
    b.release();
    // Do not keep a batch that grew for one huge request.
    if (b.extra.length <= 1024 * 1024) this.spare = b;
  }
}

// Per-record bytes a drain may add to a message in its ring (octet count and
// space, or LF), rounded up; the ring's own record header is not in its byte count.
const RECORD_SLACK = 12;

/**
 * Is `d` a drain that refuses when full (policy `block`)? Drain keeps its
 * policy private and has no batch question yet (asked of the lead:
 * Drain.wouldRefuseBatch(count, bytes)), so read the field; the block-drain
 * test in test/inputs/http-ingest.test.ts fails if it is ever renamed.
 */
function refusesWhenFull(d: Drain): boolean {
  return d.refusesWhenFull;
}

/**
 * Index of the first message a `block` drain would refuse, or -1. Nothing is
 * queued. Two checks, from one route lookup per message: every message on
 * its own (exact: is a drain full now?), then the batch as a whole per drain
 * (count and bytes against what the ring has left, RECORD_SLACK per record),
 * so a batch that would fill a block drain half way through is refused before
 * any of it is queued. A batch larger than a drain's whole ring can never pass
 * the second check; it is admitted on the first alone, and routeAll waits for
 * room as the drain empties.
 */
export function firstRefused(router: Router, b: IngestBatch): number {
  const table = router.routes;
  // The usual batch feeds one drain: count it in locals, a Map only for others.
  let one: Drain | null = null;
  let oneCount = 0;
  let oneBytes = 0;
  let oneFirst = 0;
  let more: Map<Drain, { count: number; bytes: number; first: number }> | null = null;
  for (let i = 0; i < b.count; i++) {
    const to = table.lookupAny(b.source(i), b.hostStarts[i], b.hostEnds[i]);
    if (to === undefined) continue;
    const n = b.ends[i] - b.starts[i];
    const many = Array.isArray(to);
    const targets = many ? to.length : 1;
    for (let k = 0; k < targets; k++) {
      const d = many ? to[k] : to;
      if (d.wouldRefuse(n, null)) return i;
      if (one === null) {
        one = d;
        oneFirst = i;
      }
      if (d === one) {
        oneCount++;
        oneBytes += n;
        continue;
      }
      more ??= new Map();
      const a = more.get(d);
      if (a === undefined) more.set(d, { count: 1, bytes: n, first: i });
      else {
        a.count++;
        a.bytes += n;
      }
    }
  }
  let first = one !== null && overfills(one, oneCount, oneBytes) ? oneFirst : -1;
  if (more !== null) {
    for (const [d, a] of more) if ((first < 0 || a.first < first) && overfills(d, a.count, a.bytes)) first = a.first;
  }
  return first;
}

// Would `count` more records of `bytes` payload overfill a block drain that could hold them when empty?
function overfills(d: Drain, count: number, bytes: number): boolean {
  const r = d.ring;
  const need = bytes + count * RECORD_SLACK;
  if (count > r.maxCount || need > r.maxBytes) return false;
  return (r.count + count > r.maxCount || r.bytes + need > r.maxBytes) && refusesWhenFull(d);
}

export interface Hold {
  /** How long to wait, in total, for a block drain the batch itself filled. */
  timeoutMs: number;
  /** True once the input is closing: stop waiting. */
  closing(): boolean;
}

export interface RouteOutcome {
  /** Messages queued (or unrouted); less than the batch's count when the hold ran out. */
  routed: number;
  unrouted: number;
}

/**
 * Routes every message of an admitted batch with no feeder. A message a
 * `block` drain would refuse is not handed to the router (which would count
 * it as dropped): we wait for room instead, for at most `hold.timeoutMs`.
 */
export async function routeAll(router: Router, b: IngestBatch, hold: Hold): Promise<RouteOutcome> {
  let unrouted = 0;
  let deadline = 0;
  for (let i = 0; i < b.count; i++) {
    const src = b.source(i);
    const start = b.starts[i];
    const end = b.ends[i];
    const hs = b.hostStarts[i];
    const he = b.hostEnds[i];
    while (router.wouldRefuse(src, hs, he, end - start)) {
      if (deadline === 0) deadline = Date.now() + hold.timeoutMs;
      if (Date.now() >= deadline || hold.closing()) return { routed: i, unrouted };
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (router.route(src, start, end, hs, he, null) === UNROUTED) unrouted++;
  }
  return { routed: b.count, unrouted };
}
