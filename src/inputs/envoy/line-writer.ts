// A reusable buffer that key=value lines are written into, so building a log
// line costs no string concatenation and no allocation per entry: one writer
// per input, reset before each entry, its bytes copied out by the encoder.
//
//   buf: [ method=GET path="/a b" status=200 ...........free........... ]
//          ^0                               ^len                      ^buf.length
//
// Quoting rule (logfmt-like, stable, documented in line.ts): a value is
// written bare unless it is empty or holds a space, '"', '=', '\' or a
// control character; then it is wrapped in double quotes, with '"' and '\'
// escaped by a backslash and control characters written as \n, \r, \t or
// \u00XX, so a line never spans lines whatever the sender put in a field.

/** Longest value written, in UTF-16 code units; longer ones are cut and the line marks truncated=true. */
export const MAX_VALUE_CHARS = 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
// Regular expressions scan far faster than a charCodeAt loop here.
const NEEDS_QUOTE = /[\x00-\x20"=\\\x7f]/;
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f]/;
// Below this length a JS copy beats the fixed cost of a native Buffer write.
const SHORT = 24;

export class LineWriter {
  buf: Buffer;
  len = 0;
  /** Set when any value was cut to MAX_VALUE_CHARS since the last reset. */
  truncated = false;

  constructor(initialBytes = 2048) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.len = 0;
    this.truncated = false;
  }

  /** The bytes written so far. Valid only until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  // Short ASCII strings are copied in JS: cheaper than a Buffer.write call,
  // whose fixed cost dominates for strings this size.
  private copyAscii(s: string): void {
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
    this.len = at;
  }

  /** Writes ` key=` (no leading space on the first pair). Keys are ASCII constants. */
  key(k: string): void {
    this.ensure(k.length + 2);
    if (this.len > 0) this.buf[this.len++] = 0x20;
    this.copyAscii(k);
    this.buf[this.len++] = 0x3d;
  }

  /** key=value for a string from the sender; skipped when absent or empty. */
  str(k: string, v: string | undefined | null): void {
    if (!v) return;
    this.key(k);
    this.value(v);
  }

  /** key=value for a value known to need no quoting (enum names, flag codes). */
  bare(k: string, v: string): void {
    this.key(k);
    this.ensure(v.length);
    this.copyAscii(v);
  }

  /** key=n for a non-negative integer; skipped when absent. */
  uint(k: string, n: number | undefined | null): void {
    if (n === undefined || n === null || !(n >= 0)) return;
    this.key(k);
    this.writeUint(Math.floor(n));
  }

  /** Appends a non-negative integer without making a string. */
  writeUint(n: number): void {
    if (n > Number.MAX_SAFE_INTEGER) n = Number.MAX_SAFE_INTEGER;
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.ensure(digits);
    let i = this.len + digits - 1;
    for (let x = n; ; ) {
      this.buf[i--] = 48 + (x % 10);
      x = Math.floor(x / 10);
      if (x === 0) break;
    }
    this.len += digits;
  }

  /** Appends n/1000 with exactly three decimals (micros → "12.345" millis). */
  writeMillis3(micros: number): void {
    const whole = Math.floor(micros / 1000);
    const frac = micros - whole * 1000;
    this.writeUint(whole);
    this.ensure(4);
    this.buf[this.len++] = 0x2e;
    this.buf[this.len++] = 48 + Math.floor(frac / 100);
    this.buf[this.len++] = 48 + (Math.floor(frac / 10) % 10);
    this.buf[this.len++] = 48 + (frac % 10);
  }

  /** Appends one ASCII character code. */
  byte(c: number): void {
    this.ensure(1);
    this.buf[this.len++] = c;
  }

  /** Appends an ASCII constant as is. */
  ascii(s: string): void {
    this.ensure(s.length);
    this.copyAscii(s);
  }

  /** Appends a sender's string as a value, quoting and escaping as needed. */
  value(v: string): void {
    if (v.length > MAX_VALUE_CHARS) {
      let cut = MAX_VALUE_CHARS;
      // Never split a surrogate pair: half a character is not UTF-8.
      const c = v.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
      v = v.slice(0, cut);
      this.truncated = true;
    }
    if (v.length === 0 || NEEDS_QUOTE.test(v)) {
      if (NEEDS_ESCAPE.test(v)) {
        this.writeEscaped(v);
        return;
      }
      this.ensure(v.length * 3 + 2);
      this.buf[this.len++] = QUOTE;
      this.writeText(v);
      this.buf[this.len++] = QUOTE;
      return;
    }
    this.ensure(v.length * 3);
    this.writeText(v);
  }

  // Text known to need no escaping; room already ensured. Short ASCII is
  // copied in JS, the rest goes through one native UTF-8 write.
  private writeText(v: string): void {
    if (v.length <= SHORT) {
      const buf = this.buf;
      const start = this.len;
      let at = start;
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        if (c > 0x7f) {
          this.len = start + this.buf.write(v, start, 'utf8');
          return;
        }
        buf[at++] = c;
      }
      this.len = at;
      return;
    }
    this.len += this.buf.write(v, this.len, 'utf8');
  }

  // Rare path: values holding quotes, backslashes or control characters.
  private writeEscaped(v: string): void {
    this.ensure(v.length * 6 + 2);
    this.buf[this.len++] = QUOTE;
    let runStart = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c !== QUOTE && c !== BACKSLASH && c >= 0x20 && c !== 0x7f) continue;
      if (i > runStart) this.len += this.buf.write(v.slice(runStart, i), this.len, 'utf8');
      runStart = i + 1;
      this.buf[this.len++] = BACKSLASH;
      if (c === QUOTE || c === BACKSLASH) this.buf[this.len++] = c;
      else if (c === 0x0a) this.buf[this.len++] = 0x6e; // n
      else if (c === 0x0d) this.buf[this.len++] = 0x72; // r
      else if (c === 0x09) this.buf[this.len++] = 0x74; // t
      else {
        this.buf[this.len++] = 0x75; // u
        this.buf[this.len++] = 0x30;
        this.buf[this.len++] = 0x30;
        this.buf[this.len++] = HEX.charCodeAt(c >> 4);
        this.buf[this.len++] = HEX.charCodeAt(c & 15);
      }
    }
    if (runStart < v.length) this.len += this.buf.write(v.slice(runStart), this.len, 'utf8');
    this.buf[this.len++] = QUOTE;
  }
}
