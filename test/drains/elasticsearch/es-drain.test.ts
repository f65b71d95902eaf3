// The Elasticsearch drain against a real HTTP server speaking the _bulk
// protocol: it parses the NDJSON and answers per item, the way Elasticsearch
// does, including partial failures.
import net from 'node:net';
import t from 'tap';
import { startTestRouter } from '../../helpers/router';
import { droppedTotal, makeDrain, pushAll, settled, startHttpSink, type SinkRequest } from '../batch/http-sink';

interface BulkDoc {
  index: string;
  doc: Record<string, any>;
}

function parseBulk(body: Buffer): BulkDoc[] {
  const text = body.toString('utf8');
  if (!text.endsWith('\n')) throw new Error('bulk body must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const out: BulkDoc[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = JSON.parse(lines[i]);
    if (!action.create || action.create._id !== undefined) throw new Error(`unexpected action ${lines[i]}`);
    out.push({ index: action.create._index, doc: JSON.parse(lines[i + 1]) });
  }
  return out;
}

/**
 * A _bulk endpoint: a message containing "reject" fails with a mapping error;
 * one containing "busy" is refused with 429 the first `busyTimes` times it is seen.
 */
async function startBulkServer(busyTimes = 1) {
  const stored: BulkDoc[] = [];
  const seen = new Map<string, number>();
  const bulkRequests: Array<{ req: SinkRequest; docs: BulkDoc[]; errors: boolean }> = [];
  const sink = await startHttpSink((req) => {
    if (!req.path.startsWith('/es/_bulk')) return { status: 404 };
    if (req.headers['content-type'] !== 'application/x-ndjson') return { status: 415 };
    const docs = parseBulk(req.body);
    const items = docs.map((d) => {
      const m: string = d.doc.message;
      if (m.includes('reject')) {
        return { create: { _index: d.index, status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [message]' } } };
      }
      if (m.includes('busy')) {
        const n = (seen.get(m) ?? 0) + 1;
        seen.set(m, n);
        if (n <= busyTimes) return { create: { _index: d.index, status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } } };
      }
      stored.push(d);
      return { create: { _index: d.index, _id: String(stored.length), status: 201, result: 'created' } };
    });
    const errors = items.some((i) => i.create.status >= 300);
    bulkRequests.push({ req, docs, errors });
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ took: 1, errors, items }) };
  });
  return { sink, stored, bulkRequests };
}

const line = (i: number, text: string, host = 'Web.1') => Buffer.from(`<134>1 2026-11-22T02:44:55.123Z ${host} app 42 ID${i} - ${text}`);

t.test('partial failures: 429 items retried alone, 400 items dropped, every message accounted for', async (t) => {
  const { sink, stored, bulkRequests } = await startBulkServer(1);
  const d = makeDrain(`es+http://127.0.0.1:${sink.port}/es?batch_size=10&batch_wait=1&backoff_min=1&backoff_max=5`);
  const msgs: Buffer[] = [];
  for (let i = 0; i < 10; i++) msgs.push(line(i, i % 5 === 1 ? `busy ${i}` : i % 5 === 3 ? `reject ${i}` : `ok ${i}`));
  pushAll(d, msgs);
  await settled(d);
  t.equal(bulkRequests.length, 2, 'the batch, then the busy items alone');
  t.equal(bulkRequests[0].docs.length, 10);
  t.equal(bulkRequests[0].errors, true, 'errors flag set when some items failed');
  t.same(bulkRequests[1].docs.map((x) => x.doc.message), ['busy 1', 'busy 6'], 'only the 429 items were sent again');
  t.equal(bulkRequests[1].errors, false);
  t.same(stored.map((x) => x.doc.message).sort(), ['busy 1', 'busy 6', 'ok 0', 'ok 2', 'ok 4', 'ok 5', 'ok 7', 'ok 9'].sort(), 'each taken document stored once');
  t.equal(d.stats.delivered, 8);
  t.equal(d.stats.dropped.rejected, 2, 'the two mapping failures');
  t.equal(d.stats.retried, 1);
  t.equal(d.stats.delivered + droppedTotal(d), 10 + d.notices);
  t.equal(stored[0].index, 'web.1', 'index from the hostname');
  t.equal(stored[0].doc['@timestamp'], '2026-11-22T02:44:55.123Z');
  await d.close(1000);
  await sink.close();
});

t.test('items that stay at 429 exhaust the retries', async (t) => {
  const { sink, stored, bulkRequests } = await startBulkServer(100);
  const d = makeDrain(`es+http://127.0.0.1:${sink.port}/es/?batch_wait=1&retries=2&backoff_min=1&backoff_max=5`);
  pushAll(d, [line(0, 'ok 0'), line(1, 'busy 1'), line(2, 'ok 2')]);
  await settled(d);
  t.equal(bulkRequests.length, 3, 'first attempt + 2 retries of the busy item');
  t.equal(stored.length, 2);
  t.equal(d.stats.delivered, 2);
  t.equal(d.stats.dropped.retries_exhausted, 1);
  await d.close(1000);
  await sink.close();
});

t.test('index pattern, gzip and auth headers', async (t) => {
  const { sink, stored } = await startBulkServer();
  const d = makeDrain(`es+http://id:k3y@127.0.0.1:${sink.port}/es?auth=apikey&index=logs-%25Y.%25m.%25d&gzip=true&batch_wait=1`);
  pushAll(d, [line(0, 'ok 0'), Buffer.from('<14>1 2025-01-02T23:59:59-02:00 h a - - - ok late')]);
  await settled(d);
  t.same(stored.map((s) => s.index), ['logs-2026.11.22', 'logs-2025.01.03']);
  t.equal(sink.requests[0].headers.authorization, 'ApiKey ' + Buffer.from('id:k3y').toString('base64'));
  t.equal(sink.requests[0].headers['content-encoding'], 'gzip');
  t.match(sink.requests[0].path, /^\/es\/_bulk\?filter_path=/);
  t.equal(d.stats.delivered, 2);
  await d.close(1000);
  await sink.close();
});

t.test('bearer auth; a 401 drops the batch as rejected', async (t) => {
  const sink = await startHttpSink((r) => (r.headers.authorization === 'Bearer good' ? { status: 200, body: '{"errors":false}' } : { status: 401 }));
  const good = makeDrain(`es+http://:good@127.0.0.1:${sink.port}?auth=bearer&batch_wait=1`);
  const bad = makeDrain(`es+http://:bad@127.0.0.1:${sink.port}?auth=bearer&batch_wait=1`);
  pushAll(good, [line(0, 'ok')]);
  pushAll(bad, [line(0, 'ok'), line(1, 'ok')]);
  await settled(good);
  await settled(bad);
  t.equal(good.stats.delivered, 1);
  t.equal(bad.stats.dropped.rejected, 2);
  t.equal(bad.stats.retried, 0);
  await good.close(1000);
  await bad.close(1000);
  await sink.close();
});

t.test('end to end: syslog over TCP into the router, documents into _bulk', async (t) => {
  const { sink, stored } = await startBulkServer(1);
  const router = await startTestRouter({ routes: [['Api.Example', `elasticsearch+http://127.0.0.1:${sink.port}/es?batch_size=25&batch_wait=5&backoff_min=1&backoff_max=5`]] });
  const s = net.connect(router.ports.tcp, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) lines.push(`<134>1 2026-11-22T03:00:00.000Z api.example web ${i} - ${i === 7 ? 'busy' : i === 9 ? 'reject' : 'fine'} ${i}`);
  s.end(lines.join('\n') + '\n');
  const d = await (async () => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const x = router.router.routes.lookupName('api.example')?.[0];
      if (x && x.queued === 0 && x.stats.delivered + droppedTotal(x) >= 100) return x;
      if (Date.now() > deadline) throw new Error('drain did not settle');
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  t.equal(d.kind, 'elasticsearch');
  // The rejected document is announced by the drain's L10 notice, itself a document.
  const docs = stored.filter((x) => x.doc.app === 'web');
  t.equal(d.stats.dropped.rejected, 1);
  t.equal(d.stats.delivered, 99 + d.notices);
  t.equal(stored.length, 99 + d.notices);
  t.equal(docs.length, 99);
  t.equal(new Set(docs.map((x) => x.doc.procid)).size, 99, 'no document twice');
  t.ok(docs.every((x) => x.index === 'api.example'));
  await router.close();
  await sink.close();
});
