// /metrics text: scraped families rendered by telemetry/metrics.ts, read back
// the way Prometheus reads them.
import pino from 'pino';
import t from 'tap';
import '../../src/drains';
import { createDrain, parseDrainUrl } from '../../src/drains/url';
import { labelText, metricsText, scraped } from '../../src/telemetry/metrics';
import { parseExposition } from '../helpers/metrics';

let odd = 7;
scraped('gauge', 'switchyard_test_odd_labels', 'A test family.\nWith a second line and a \\ backslash.', ['name', 'reason'], (emit) => {
  emit({ name: 'quote " backslash \\ newline \n end', reason: 'x' }, odd);
  emit(labelText({ name: 'pre-rendered' }), 1.5);
  emit({}, NaN);
  emit({ name: 'inf' }, Infinity);
});

t.test('HELP, TYPE, escaped label values, special values', async (t) => {
  const text = await metricsText();
  t.match(text, /^# HELP switchyard_test_odd_labels A test family\.\\nWith a second line and a \\\\ backslash\.$/m);
  t.match(text, /^# TYPE switchyard_test_odd_labels gauge$/m);
  t.match(text, /^switchyard_test_odd_labels\{name="quote \\" backslash \\\\ newline \\n end",reason="x"\} 7$/m);
  t.match(text, /^switchyard_test_odd_labels\{name="pre-rendered"\} 1\.5$/m);
  t.match(text, /^switchyard_test_odd_labels NaN$/m);
  t.match(text, /^switchyard_test_odd_labels\{name="inf"\} \+Inf$/m);
  const series = parseExposition(text).filter((s) => s.name === 'switchyard_test_odd_labels');
  t.same(series[0].labels, { name: 'quote " backslash \\ newline \n end', reason: 'x' }, 'label values read back as given');
  t.ok(parseExposition(text).some((s) => s.name === 'process_cpu_user_seconds_total'), "prom-client's own metrics are there too");
  odd = 8;
  t.match(await metricsText(), /^switchyard_test_odd_labels\{name="quote[^\n]*\} 8$/m, 'read again at every scrape');
});

t.test('a name can be registered once', async (t) => {
  t.throws(() => scraped('counter', 'switchyard_test_odd_labels', 'again', [], () => {}), /already registered/);
  t.throws(() => scraped('counter', 'process_cpu_user_seconds_total', 'taken by prom-client', [], () => {}), /already registered/);
});

t.test('10,000 active drains: exact series for each, and the scrape lets the event loop run', async (t) => {
  const ctx = { logger: pino({ level: 'silent' }), buffer: { policy: 'drop' as const, bytes: 1 << 20, messages: 1000, graceMs: 1000 }, connectTimeoutMs: 1000, writeTimeoutMs: 1000, services: {} };
  const drains = Array.from({ length: 10_000 }, (_, i) => createDrain(parseDrainUrl(`syslog+tcp://127.0.0.1:9?name=scrape-${i}`), ctx));
  t.teardown(() => {
    for (const d of drains) d.destroy();
  });
  drains.forEach((d, i) => {
    d.stats.delivered = i + 1;
    d.stats.deliveredBytes = 100 * (i + 1);
  });
  let turns = 0;
  let done = false;
  const spin = (): void => {
    turns++;
    if (!done) setImmediate(spin);
  };
  setImmediate(spin);
  const text = await metricsText();
  done = true;
  // Ten per-drain families of 10,000 drains, in pieces of 2,000: fifty pauses at least.
  t.ok(turns >= 50, `other work ran between pieces of the scrape (${turns} event-loop turns)`);
  const delivered = new Map<string, number>();
  const dropped = new Map<string, number>();
  for (const s of parseExposition(text)) {
    if (s.name === 'switchyard_drain_messages_delivered_total' && s.labels.kind === 'syslog') delivered.set(s.labels.drain, s.value);
    if (s.name === 'switchyard_drain_messages_dropped_total' && s.labels.reason === 'overflow') dropped.set(s.labels.drain, s.value);
  }
  t.ok(drains.every((d, i) => delivered.get(`scrape-${i}`) === i + 1), 'every drain, its own count');
  t.ok(drains.every((_, i) => dropped.get(`scrape-${i}`) === 0), 'the dropped family carries drain, kind and reason');
});
