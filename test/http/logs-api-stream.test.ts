// GET /logs/:key over 200,000 stored lines (~60 MB) must stream: the server
// holds a page at a time, so the process's memory grows far less than the data
// (a server that collected the rows first would grow by more than all of it).
import Fastify from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import logsApi from '../../src/http/logs-api';
import { LogStore } from '../../src/store/log-store';
import { migrate } from '../../src/store/migrate';
import { backends, logger } from '../store/db-fixture';

t.setTimeout(240_000); // inserting 60 MB into PGlite on a loaded machine

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// PGlite gets half: same point, less time spent generating rows in WASM.
const LINES_BY_BACKEND = { postgres: 200_000, pglite: 100_000 } as const;
const LINE_BYTES = 300;

/** Live JS memory: the V8 heap plus Buffers/ArrayBuffers (where row bytes live). */
function live(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const LINES = LINES_BY_BACKEND[b.name];
      const db = await b.open();
      await migrate(db);
      // One statement: lines "<14>1 - big app - - - line <i> xxxx…" of LINE_BYTES bytes.
      await b.sql(
        `INSERT INTO log_lines (key, line)
         SELECT 'big', convert_to(rpad('<14>1 - big app - - - line ' || i || ' ', $1::int, 'x'), 'UTF8')
           FROM generate_series(1, $2::int) i ORDER BY i`,
        [LINE_BYTES, LINES],
      );
      const store = new LogStore({ db, logger, retention: { intervalMs: 0 } });
      t.teardown(() => store.close());
      const app = Fastify();
      await app.register(logsApi, { store });
      await app.listen({ port: 0, host: '127.0.0.1' });
      t.teardown(() => app.close());
      const port = (app.server.address() as AddressInfo).port;

      const base = live();
      let peak = 0;
      let received = 0;
      let newlines = 0;
      let tail = '';
      let nextSample = 0;
      await new Promise<void>((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${port}/logs/big`, (res) => {
            t.equal(res.statusCode, 200);
            res.on('data', (c: Buffer) => {
              received += c.length;
              for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) newlines++;
              tail = (tail + c.toString('latin1')).slice(-2 * LINE_BYTES);
              if (received >= nextSample) {
                nextSample = received + 2 * 1024 * 1024;
                peak = Math.max(peak, live() - base);
              }
            });
            res.on('end', () => resolve());
            res.on('error', reject);
          })
          .on('error', reject);
      });
      const dataBytes = LINES * (LINE_BYTES + 1);
      t.equal(newlines, LINES, 'every line arrived');
      t.equal(received, dataBytes, 'every byte arrived');
      t.match(tail, new RegExp(`line ${LINES} x+\\n$`), 'the last line last');
      t.ok(peak < dataBytes / 2, `memory grew by at most ${(peak / 1e6).toFixed(1)} MB while streaming ${(dataBytes / 1e6).toFixed(0)} MB`);
      await b.sql(`DELETE FROM log_lines WHERE key = 'big'`);
    });
  }
});
