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
// loop of string appends, and the scrape yields between families.
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

interface Family {
  head: string;
  name: string;
  read: (emit: Emit) => void;
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
export function scraped(type: 'counter' | 'gauge', name: string, help: string, _labelNames: readonly string[], read: (emit: Emit) => void): void {
  if (families.some((f) => f.name === name) || registry.getSingleMetric(name) !== undefined) throw new Error(`metric ${name} is already registered`);
  families.push({ head: `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`, name, read });
}

/** `k="v",...` for a label set, escaped for the text format (to cache, see Labels). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  let s = '';
  for (const k in labels) s += `${s.length > 0 ? ',' : ''}${k}="${escapeLabelValue(labels[k])}"`;
  return s;
}

const LINES_PER_PIECE = 1024;

/** One family's text (HELP, TYPE and a line per series), in pieces of LINES_PER_PIECE lines. */
function renderFamily(f: Family): string[] {
  const pieces: string[] = [];
  let out = f.head;
  let lines = 0;
  f.read((labels, value) => {
    const l = typeof labels === 'string' ? labels : labelText(labels);
    out += `${f.name}${l.length > 0 ? `{${l}}` : ''} ${formatValue(value)}\n`;
    if (++lines === LINES_PER_PIECE) {
      pieces.push(out);
      out = '';
      lines = 0;
    }
  });
  pieces.push(out);
  return pieces;
}

/**
 * Everything /metrics serves, piece by piece: the registry's metrics, then
 * each scraped family, one at a time. Read as a stream, a scrape holds one
 * family's text at a time, and yields to the event loop between families, so
 * that a large scrape does not hold up the inputs and drains for its length.
 */
export async function* metricsPieces(): AsyncGenerator<string> {
  yield await registry.metrics();
  for (const f of families) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield* renderFamily(f);
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
