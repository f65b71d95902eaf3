// The process's metrics, exposed on /metrics in the Prometheus text format
// (metricsText()). Two kinds:
//   - prom-client metrics in `registry` (histograms, the process's own, a few
//     counters bumped off the hot path), created by components at module load;
//   - scraped families (scraped()), read at scrape time from plain numbers the
//     hot path bumps, and rendered here as text directly.
// Why not prom-client for the second kind: it hashes and sorts every label
// set, and formats and escapes it again, on every scrape. With 10,000 active
// drains (ten per-drain families, 100,000 series) one scrape took ~0.5 s of
// the router's only thread and ~50 MB; with 100,000 drains, 7 s and over
// 1 GB. Rendered here, with each drain's label text made once, a family is a
// loop of string appends, and the scrape yields every 2,000 drains: 100,000
// drains take ~0.65 s in pieces of at most a few milliseconds, memory flat.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/**
 * Label values as given (`{reason: 'overflow'}`), or already rendered for
 * the text format (`drain="a",kind="syslog"`, see labelText()): families
 * with a series per drain render each drain's labels once, not per scrape.
 */
export type Labels = Readonly<Record<string, string>> | string;

/** Reports one series of a scraped metric. */
export type Emit = (labels: Labels, value: number) => void;

/**
 * Reports every current series through `emit`. A family with a series per
 * drain is a generator that yields after each drain: the scrape may then
 * pause between drains (see metricsPieces).
 */
export type Read = (emit: Emit) => void | Iterator<unknown>;

interface Family {
  head: string;
  name: string;
  read: Read;
}

const families: Family[] = [];

/**
 * A metric whose values are read at scrape time from plain numbers that the
 * hot path bumps: `read` reports every current series through `emit`.
 * Incrementing a labelled metric per message would hash the label set on the
 * hot path; reading once per scrape costs nothing there. Series of things
 * that went away (closed drains) disappear with them. `labelNames` documents
 * the labels the series carry.
 */
export function scraped(type: 'counter' | 'gauge', name: string, help: string, _labelNames: readonly string[], read: Read): void {
  if (families.some((f) => f.name === name) || registry.getSingleMetric(name) !== undefined) throw new Error(`metric ${name} is already registered`);
  families.push({ head: `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`, name, read });
}

/** `k="v",...` for a label set, escaped for the text format (to cache, see Labels). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  let s = '';
  for (const k in labels) s += `${s.length > 0 ? ',' : ''}${k}="${escapeLabelValue(labels[k])}"`;
  return s;
}

/** Items (drains) a generator family renders between two pauses of a scrape. */
const ITEMS_PER_PIECE = 2000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Everything /metrics serves, piece by piece: the registry's metrics, then
 * each scraped family, a generator family in pieces of ITEMS_PER_PIECE
 * items. Between pieces the event loop runs, so a scrape of 100,000 drains
 * holds up the inputs and drains for a few milliseconds at a time, never for
 * its whole length; read as a stream, it holds one piece of text at a time.
 */
export async function* metricsPieces(): AsyncGenerator<string> {
  yield await registry.metrics();
  for (const f of families) {
    await nextTurn();
    let out = f.head;
    const it = f.read((labels, value) => {
      const l = typeof labels === 'string' ? labels : labelText(labels);
      out += `${f.name}${l.length > 0 ? `{${l}}` : ''} ${formatValue(value)}\n`;
    });
    if (it) {
      let items = 0;
      while (it.next().done !== true) {
        if (++items < ITEMS_PER_PIECE) continue;
        items = 0;
        yield out;
        out = '';
        await nextTurn();
      }
    }
    yield out;
  }
}

/** metricsPieces() as one string. */
export async function metricsText(): Promise<string> {
  let text = '';
  for await (const piece of metricsPieces()) text += piece;
  return text;
}

export const metricsContentType = registry.contentType;

function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
