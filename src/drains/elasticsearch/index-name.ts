// Elasticsearch index names: the `index` parameter's date patterns, and the
// default index derived from each message's hostname.
//
// Pattern: literal text with %Y (4-digit year), %m, %d, %H (2 digits each, UTC)
// and %% (a literal %). The date is the message's own timestamp when it has a
// valid one, else the time its batch left the drain's queue (close to arrival
// unless the drain is backlogged). Example: logs-%Y.%m.%d → logs-2026.11.22.
//
// Default (no `index`): the message's hostname made into a name ES accepts
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/indices-create-index.html):
// lowercase; \ / * ? " < > | space , # : and control characters become _;
// no leading - _ + (or .); not "." or ".."; at most 255 bytes. A hostname
// with nothing left (or none at all) goes to UNKNOWN_HOST_INDEX.

export const UNKNOWN_HOST_INDEX = 'unknown-host';
const MAX_INDEX_BYTES = 255;

interface Token {
  lit?: string;
  field?: 'Y' | 'm' | 'd' | 'H';
}

export class IndexNamer {
  private readonly tokens: Token[];
  readonly dated: boolean;

  /** Throws Error with the reason when the pattern cannot give a valid index name. */
  constructor(readonly pattern: string) {
    const tokens: Token[] = [];
    let lit = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c !== '%') {
        lit += c;
        continue;
      }
      const f = pattern[++i];
      if (f === '%') lit += '%';
      else if (f === 'Y' || f === 'm' || f === 'd' || f === 'H') {
        if (lit) tokens.push({ lit });
        lit = '';
        tokens.push({ field: f });
      } else throw new Error(`unknown date field %${f ?? ''} in index (use %Y %m %d %H or %%)`);
    }
    if (lit) tokens.push({ lit });
    this.tokens = tokens;
    this.dated = tokens.some((t) => t.field !== undefined);
    const sample = this.format(Date.UTC(2026, 0, 1));
    const why = indexNameProblem(sample);
    if (why !== null) throw new Error(`index "${pattern}" gives "${sample}", which Elasticsearch refuses: ${why}`);
  }

  format(ms: number): string {
    if (!this.dated) return this.tokens.length ? this.tokens[0].lit! : '';
    const d = new Date(ms);
    let s = '';
    for (const t of this.tokens) {
      if (t.lit !== undefined) s += t.lit;
      else if (t.field === 'Y') s += String(d.getUTCFullYear()).padStart(4, '0');
      else if (t.field === 'm') s += pad2(d.getUTCMonth() + 1);
      else if (t.field === 'd') s += pad2(d.getUTCDate());
      else s += pad2(d.getUTCHours());
    }
    return s;
  }
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

const FORBIDDEN = /[\\/*?"<>| ,#:\x00-\x1f\x7f]/;
const FORBIDDEN_ALL = /[\\/*?"<>| ,#:\x00-\x1f\x7f]/g;

/** null if Elasticsearch accepts `name` as an index name, else why not. */
export function indexNameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return 'it is . or ..';
  if (name !== name.toLowerCase()) return 'it has uppercase letters';
  if (FORBIDDEN.test(name)) return 'it has one of \\ / * ? " < > | space , # :';
  if (/^[-_+]/.test(name)) return 'it starts with - _ or +';
  if (Buffer.byteLength(name) > MAX_INDEX_BYTES) return `it is longer than ${MAX_INDEX_BYTES} bytes`;
  return null;
}

/** A valid index name from a hostname (see the rules above). Pure. */
export function indexForHostname(hostname: string | null): string {
  if (hostname === null) return UNKNOWN_HOST_INDEX;
  let s = hostname.toLowerCase().replace(FORBIDDEN_ALL, '_').replace(/^[-_+.]+/, '');
  if (Buffer.byteLength(s) > MAX_INDEX_BYTES) {
    // Cut at a character boundary.
    let bytes = 0;
    let end = 0;
    for (const ch of s) {
      const n = Buffer.byteLength(ch);
      if (bytes + n > MAX_INDEX_BYTES) break;
      bytes += n;
      end += ch.length;
    }
    s = s.slice(0, end);
  }
  return s === '' || s === '.' || s === '..' ? UNKNOWN_HOST_INDEX : s;
}
