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
  private readonly vals: Array<T[] | undefined>;
  private readonly byName: Map<string, T[]>;

  /** `entries` maps lower-case hostnames to their targets. */
  constructor(entries: Map<string, T[]>) {
    let size = 16;
    while (size < entries.size * 2) size *= 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.keys = new Array(size);
    this.vals = new Array(size);
    this.byName = entries;
    for (const [name, targets] of entries) {
      const key = Buffer.from(foldAscii(name), 'utf8');
      const h = hashBytes(key, 0, key.length);
      let i = h & this.mask;
      while (this.keys[i] !== undefined) i = (i + 1) & this.mask;
      this.keys[i] = key;
      this.hashes[i] = h;
      this.vals[i] = targets;
    }
  }

  get size(): number {
    return this.byName.size;
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
    return this.byName.get(foldAscii(hostname));
  }

  hostnames(): IterableIterator<string> {
    return this.byName.keys();
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
