// A batch: records taken out of a drain's ring, back to back in one Buffer,
// with the end offset of each. Record i is buf[i === 0 ? 0 : ends[i-1], ends[i]).
// Encoders read records through these offsets; nothing per record is copied
// or allocated until a kind decides to (JSON, NDJSON).
import { randomUUID } from 'node:crypto';

export interface RecordBatch {
  buf: Buffer;
  ends: Uint32Array;
  count: number;
  /** Payload bytes of all records (= ends[count-1]). */
  bytes: number;
  /** Failed attempts so far (network errors and retryable responses). */
  failures: number;
  /** Stable across retries of this batch; a new one for each half of a split (Logplex-Frame-Id). */
  id: string;
  /** When the batch left the ring (ms): the arrival-time fallback for records without a timestamp. */
  takenAt: number;
}

export function recordStart(b: RecordBatch, i: number): number {
  return i === 0 ? 0 : b.ends[i - 1];
}

export function newBatch(buf: Buffer, ends: Uint32Array, count: number, takenAt: number, failures = 0): RecordBatch {
  return { buf, ends, count, bytes: count === 0 ? 0 : ends[count - 1], failures, id: randomUUID(), takenAt };
}

/** Builds a batch from Buffers (tests, benches). */
export function batchOf(records: Buffer[], takenAt = Date.now()): RecordBatch {
  const buf = Buffer.concat(records);
  const ends = new Uint32Array(records.length);
  let o = 0;
  for (let i = 0; i < records.length; i++) ends[i] = o += records[i].length;
  return newBatch(buf, ends, records.length, takenAt);
}

/** The two halves of a batch (after a 413), each with a new id, sharing the parent's memory. */
export function splitBatch(b: RecordBatch): [RecordBatch, RecordBatch] {
  const mid = b.count >>> 1;
  const cut = b.ends[mid - 1];
  const left = newBatch(b.buf.subarray(0, cut), b.ends.slice(0, mid), mid, b.takenAt, b.failures);
  const rightEnds = new Uint32Array(b.count - mid);
  for (let i = mid; i < b.count; i++) rightEnds[i - mid] = b.ends[i] - cut;
  const right = newBatch(b.buf.subarray(cut, b.bytes), rightEnds, b.count - mid, b.takenAt, b.failures);
  return [left, right];
}

/** A new batch holding only the records at `indexes` (in that order), copied. */
export function pickRecords(b: RecordBatch, indexes: readonly number[]): RecordBatch {
  let size = 0;
  for (const i of indexes) size += b.ends[i] - recordStart(b, i);
  const buf = Buffer.allocUnsafe(size);
  const ends = new Uint32Array(indexes.length);
  let o = 0;
  for (let k = 0; k < indexes.length; k++) {
    const i = indexes[k];
    o += b.buf.copy(buf, o, recordStart(b, i), b.ends[i]);
    ends[k] = o;
  }
  return newBatch(buf, ends, indexes.length, b.takenAt, b.failures);
}
