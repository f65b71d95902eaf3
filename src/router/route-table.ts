// The compiled route table: hostname → drains, looked up straight from the
// bytes of a message, with no string built and nothing allocated.
//
// It is immutable: the route manager builds a new one beside the old and the
// router swaps one reference, so a lookup never sees a half-applied change.
// Keys are hostnames folded to lower case (ASCII only: hostnames are ASCII by
// RFC 5424, and other bytes are compared as they are). Open addressing with
// linear probing over a power-of-two table kept at most half full.

export class RouteTable<T> {
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly keys: Array<Buffer | undefined>;
  private readonly names: Array<string | undefined>;
  private readonly vals: Array<T[] | undefined>;
  private count = 0;

  /** `entries` maps hostnames (any case) to their targets. */
  constructor(entries: Map<string, T[]>, from?: { table: RouteTable<T>; capacity: number }) {
    let size = 16;
    while (size < entries.size * 2) size *= 2;
    if (from !== undefined) size = from.capacity;
    this.mask = size - 1;
    if (from !== undefined && from.capacity === from.table.keys.length) {
      // A copy of an existing table, to be patched (see patched()).
      const t = from.table;
      this.hashes = t.hashes.slice();
      this.keys = t.keys.slice();
      this.names = t.names.slice();
      this.vals = t.vals.slice();
      this.count = t.count;
    } else {
      this.hashes = new Int32Array(size);
      this.keys = new Array(size);
      this.names = new Array(size);
      this.vals = new Array(size);
      if (from !== undefined) for (const [name, targets] of from.table.entries()) this.set(name, targets);
    }
    for (const [name, targets] of entries) this.set(name, targets);
  }

  /**
   * A new table: this one with `changes` applied (targets, or undefined to
   * remove a hostname). Copies the slot arrays (a few milliseconds for
   * 100,000 hostnames) instead of rehashing every name, so one changed route
   * costs little however large the table is. This table is left unchanged.
   */
  patched(changes: Map<string, T[] | undefined>): RouteTable<T> {
    let adds = 0;
    for (const v of changes.values()) if (v !== undefined) adds++;
    let capacity = this.keys.length;
    while (capacity < (this.count + adds) * 2) capacity *= 2;
    const next = new RouteTable<T>(new Map(), { table: this, capacity });
    for (const [name, targets] of changes) {
      if (targets === undefined) next.remove(name);
      else next.set(name, targets);
    }
    return next;
  }

  get size(): number {
    return this.count;
  }

  /** Targets for the hostname in `buf[start:end]`, case-insensitively, or undefined. */
  lookup(buf: Buffer, start: number, end: number): T[] | undefined {
    const h = hashBytes(buf, start, end);
    const len = end - start;
    let i = h & this.mask;
    for (;;) {
      const key = this.keys[i];
      if (key === undefined) return undefined;
      if (this.hashes[i] === h && key.length === len && equalsFolded(key, buf, start)) return this.vals[i];
      i = (i + 1) & this.mask;
    }
  }

  /** Off the hot path: lookup by string. */
  lookupName(hostname: string): T[] | undefined {
    const key = Buffer.from(foldAscii(hostname), 'utf8');
    return this.lookup(key, 0, key.length);
  }

  /** The hostnames, lower-cased. */
  *hostnames(): IterableIterator<string> {
    for (const n of this.names) if (n !== undefined) yield n;
  }

  private *entries(): IterableIterator<[string, T[]]> {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] !== undefined) yield [this.names[i]!, this.vals[i]!];
  }

  /** Only while building: tables are immutable once handed out. */
  private set(name: string, targets: T[]): void {
    const folded = foldAscii(name);
    const key = Buffer.from(folded, 'utf8');
    const h = hashBytes(key, 0, key.length);
    let i = h & this.mask;
    for (;;) {
      const k = this.keys[i];
      if (k === undefined) break;
      if (this.hashes[i] === h && k.equals(key)) {
        this.vals[i] = targets;
        return;
      }
      i = (i + 1) & this.mask;
    }
    this.keys[i] = key;
    this.names[i] = folded;
    this.hashes[i] = h;
    this.vals[i] = targets;
    this.count++;
  }

  /** Removal for linear probing: later entries of the run shift back, so no tombstones. */
  private remove(name: string): void {
    const key = Buffer.from(foldAscii(name), 'utf8');
    const h = hashBytes(key, 0, key.length);
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const k = this.keys[i];
      if (k === undefined) return;
      if (this.hashes[i] === h && k.equals(key)) break;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.keys[j] === undefined) break;
      const home = this.hashes[j] & mask;
      // Move j back to the hole at i unless its home lies cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (inRange) continue;
      this.keys[i] = this.keys[j];
      this.names[i] = this.names[j];
      this.hashes[i] = this.hashes[j];
      this.vals[i] = this.vals[j];
      i = j;
    }
    this.keys[i] = undefined;
    this.names[i] = undefined;
    this.vals[i] = undefined;
    this.hashes[i] = 0;
    this.count--;
  }
}

/** Lower-cases ASCII letters only, matching what the byte lookup folds. */
export function foldAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** FNV-1a over the bytes, with ASCII upper case folded to lower case. */
export function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) {
    let c = buf[i];
    if (c >= 65 && c <= 90) c |= 0x20;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h;
}

function equalsFolded(key: Buffer, buf: Buffer, start: number): boolean {
  for (let i = 0; i < key.length; i++) {
    let c = buf[start + i];
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== key[i]) return false;
  }
  return true;
}
