// A drain whose receiver stops reading must never stall Envoy's stream (Envoy
// drops silently when we are slow): the input keeps reading, and every entry
// is either delivered or counted as dropped — by us (a `block` drain refused
// it) or by the drain (a `backpressure` drain, with no stream to pause, drops
// its oldest).
import t from 'tap';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import { EnvoyInput, envoyDefaults } from '../../../src/inputs/envoy';
import { startTestRouter } from '../../helpers/router';
import { startSyslogReceiver } from '../../helpers/syslog-receiver';
import { httpEntry, openAlsStream } from './als-client';
import { isDrainNotice, parseLine, parseReceived } from './syslog-line';

const logger = pino({ level: 'silent' });
const HOST = 'slow.sink';
const cluster = 'outbound|80||slow.sink.svc.cluster.local';
// Enough bytes to overflow the loopback socket buffers plus a tiny ring.
const ENTRIES = 12000;
const BATCH = 400;
const padding = 'p'.repeat(900);

async function run(t: Tap, query: string) {
  const receiver = await startSyslogReceiver();
  receiver.stall();
  const tr = await startTestRouter({ routes: [[HOST, receiver.url + query]] });
  const input = new EnvoyInput({ ...envoyDefaults, host: '127.0.0.1', port: 0 }, tr.router, logger);
  await input.start();
  t.teardown(async () => {
    await input.close();
    await tr.close();
    await receiver.close();
  });

  const s = openAlsStream(input.port);
  for (let b = 0; b < ENTRIES / BATCH; b++) {
    const entries = [];
    for (let i = 0; i < BATCH; i++) {
      entries.push(httpEntry({ cluster, path: `/e-${b * BATCH + i}`, status: 200, extra: { upstream_transport_failure_reason: padding } }));
    }
    // If the input stopped reading, HTTP/2 flow control would stall this write
    // and the test would time out here.
    await s.send({ identifier: b === 0 ? { log_name: 'x' } : undefined, http_logs: { log_entry: entries } });
  }
  s.call.end();
  const end = await s.done;
  s.client.close();
  const drain = tr.router.routes.lookupName(HOST)![0];

  receiver.unstall();
  return { receiver, input, drain, end };
}

type Tap = { teardown(fn: () => unknown): void };
const OK = { code: grpc.status.OK, details: '' };

function entryIndexes(messages: Buffer[]): number[] {
  return messages
    .map(parseReceived)
    .filter((m) => !isDrainNotice(m))
    .map((m) => Number(parseLine(m.msg).get('path')!.slice(3)));
}

async function settle(receiver: { messages: Buffer[]; waitFor(n: number, ms?: number): Promise<void> }, want: number) {
  // Wait for `want` entries; notices may be interleaved, so wait on the count of entries.
  for (;;) {
    const have = entryIndexes(receiver.messages).length;
    if (have >= want) return;
    await receiver.waitFor(receiver.messages.length + 1, 10_000);
  }
}

function strictlyIncreasing(xs: number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] <= xs[i - 1]) return false;
  return true;
}

t.test('block drain: what it refuses is counted as dropped by the input', async (t) => {
  const { receiver, input, drain, end } = await run(t, '?policy=block&buffer_messages=100');
  t.same(end, OK, 'the whole stream was read while the drain was stalled');
  const accepted = input.stats.count('http', 'accepted');
  const dropped = input.stats.count('http', 'dropped');
  t.equal(accepted + dropped, ENTRIES, 'every entry is accepted or dropped');
  t.ok(dropped > 0, `the stalled drain refused some (${dropped})`);
  t.equal(drain.stats.dropped.full, dropped, 'the drain counted the same refusals');
  await settle(receiver, accepted);
  const got = entryIndexes(receiver.messages);
  t.equal(got.length, accepted, 'every accepted entry was delivered once the receiver read again');
  t.ok(strictlyIncreasing(got), 'in order, no duplicates');
  t.equal(got[0], 0, 'the first entries went through before the drain filled');
});

t.test('backpressure drain without a stream to pause: it drops its oldest, counted', async (t) => {
  const { receiver, input, drain, end } = await run(t, '?buffer_messages=100');
  t.same(end, OK, 'the whole stream was read while the drain was stalled');
  t.equal(input.stats.count('http', 'accepted'), ENTRIES, 'the router took every entry');
  t.equal(input.stats.count('http', 'dropped'), 0);
  const overflow = drain.stats.dropped.overflow;
  t.ok(overflow > 0, `the drain dropped its oldest (${overflow})`);
  await settle(receiver, ENTRIES - overflow);
  const got = entryIndexes(receiver.messages);
  // The drain's overflow count also covers its own L10 notices when one was
  // queued during the stall and then dropped, so it may exceed the entries
  // lost: what matters is that no entry vanished uncounted.
  t.ok(got.length + overflow >= ENTRIES, `delivered (${got.length}) + dropped (${overflow}) covers all ${ENTRIES} sent`);
  t.ok(got.length + overflow <= ENTRIES + 2, 'and over-counts by at most a notice or two');
  t.ok(strictlyIncreasing(got), 'in order, no duplicates');
  t.equal(got[got.length - 1], ENTRIES - 1, 'the newest entry survived');
});
