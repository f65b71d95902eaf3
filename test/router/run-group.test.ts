// The router's run groups (router/run-group.ts) against the long way: the
// same random chunks routed once as stable input chunks (deferred runs,
// extendRun, run groups) and once as unstable buffers (every message copied
// into every ring by push()), into two identical sets of real syslog stream
// drains. Every verdict, every record and every drop count must agree: a
// group may only take what extendRun() would have taken with RUN_EXTENDED.
// Rings are small and policies mixed so that groups run into ring ends,
// slot limits, high-water marks, refusals and drops mid-chunk.
import t from 'tap';
import '../../src/drains';
import { settlePendingCopies } from '../../src/drains/deferred-copy';
import type { Feeder } from '../../src/drains/drain-types';
import type { SyslogDrainOptions } from '../../src/drains/syslog/config';
import { SyslogStreamDrain } from '../../src/drains/syslog/stream-drain';
import { parseDrainUrl, type DrainSpec } from '../../src/drains/url';
import { RouteTable } from '../../src/router/route-table';
import { Router } from '../../src/router/router';
import { newHeaderScan, scanHeader } from '../../src/syslog/header';
import { quietDrainContext, takeRecords } from '../helpers/stream-drains';


class Counting extends SyslogStreamDrain {
  extendTries = 0;
  extendRun(src: Buffer, start: number, end: number): number {
    this.extendTries++;
    return super.extendRun(src, start, end);
  }
}

class Feed implements Feeder {
  resumeFeeds = 0;
  resumeFeed(): void {
    this.resumeFeeds++;
  }
}

/** xorshift32: the same cases on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const HOSTS = ['solo', 'fan', 'lf', 'mixed', 'twice', 'lone-lf', 'nowhere'];
const scan = newHeaderScan();

for (let seed = 1; seed <= 40; seed++) {
  t.test(`seed ${seed}: stable chunks with run groups = the long way, verdict by verdict, record by record`, async (t) => {
    const rand = rng(seed * 7919);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const configs = Array.from({ length: 5 }, (_, i) => {
      const framing = i === 3 ? 'lf' : 'octet';
      const bytes = pick([1024, 4096, 16384, 1 << 20]);
      const messages = pick([6, 40, 10000]);
      const policy = pick(['backpressure', 'block', 'drop']);
      return `syslog+tcp://127.0.0.1:9?name=s${seed}-${i}&framing=${framing}&buffer_bytes=${bytes}&buffer_messages=${messages}&policy=${policy}`;
    });
    const build = (): { router: Router; drains: Counting[] } => {
      const drains = configs.map((u) => new Counting(parseDrainUrl(u) as DrainSpec<SyslogDrainOptions>, quietDrainContext));
      const [a, b, c, lf, e] = drains;
      const router = new Router();
      router.setTable(
        new RouteTable(
          new Map([
            ['solo', [a]],
            ['fan', [a, b, c]],
            ['lf', [lf]],
            ['mixed', [b, lf]],
            ['twice', [e, e]],
            ['lone-lf', [lf, e]],
          ]),
        ),
      );
      return { router, drains };
    };
    const S = build();
    const U = build();
    t.teardown(() => {
      for (const x of [S, U]) {
        x.router.close();
        for (const d of x.drains) d.destroy();
      }
    });
    const feeds = [new Feed(), new Feed()];
    let routed = 0;
    for (let chunkNo = 0; chunkNo < 60; chunkNo++) {
      const lf = rand() < 0.3;
      // Runs of one hostname, as senders batch, with switches between.
      const parts: Buffer[] = [];
      const at: Array<[number, number]> = [];
      let p = 0;
      let host = pick(HOSTS);
      const n = 1 + Math.floor(rand() * 120);
      for (let i = 0; i < n; i++) {
        if (rand() < 0.15) host = pick(HOSTS);
        const size = pick([1, 5, 40, 90, 200, 990]);
        const body = Buffer.from(`<14>1 2024-05-01T10:00:00Z ${host} app - - - ${chunkNo}.${i} ${'x'.repeat(Math.floor(rand() * size))}`);
        const head = lf ? Buffer.alloc(0) : Buffer.from(`${body.length} `);
        // Now and then a stray LF between octet-counted frames: no run across it.
        const stray = !lf && rand() < 0.03 ? Buffer.from('\n') : Buffer.alloc(0);
        parts.push(stray, head, body, lf ? Buffer.from('\n') : Buffer.alloc(0));
        p += stray.length + head.length;
        at.push([p, p + body.length]);
        p += body.length + (lf ? 1 : 0);
      }
      const buf = Buffer.concat(parts);
      for (let i = 0; i < at.length; i++) {
        const [s, e] = at[i];
        if (!scanHeader(buf, s, e, scan)) throw new Error('test message does not scan');
        const feeder = rand() < 0.8;
        const vs = S.router.route(buf, s, e, scan.hostStart, scan.hostEnd, feeder ? feeds[0] : null, true);
        const vu = U.router.route(buf, s, e, scan.hostStart, scan.hostEnd, feeder ? feeds[1] : null, false);
        routed++;
        if (vs !== vu) t.fail(`chunk ${chunkNo} message ${i}: verdict ${vs} with run groups, ${vu} the long way`);
      }
      settlePendingCopies();
      // The transport takes some records now and then, from both alike.
      for (let k = 0; k < S.drains.length; k++) {
        const ds = S.drains[k];
        const du = U.drains[k];
        if (ds.ring.count !== du.ring.count || ds.ring.bytes !== du.ring.bytes) {
          t.fail(`chunk ${chunkNo}, drain ${k}: ${ds.ring.count} records / ${ds.ring.bytes} bytes with run groups, ${du.ring.count} / ${du.ring.bytes} the long way`);
        }
        if (rand() < 0.5) {
          const max = 1 + Math.floor(rand() * 60);
          t.same(takeRecords(ds, max), takeRecords(du, max), `chunk ${chunkNo}, drain ${k}: the same records`);
        }
      }
    }
    for (let k = 0; k < S.drains.length; k++) {
      t.same(takeRecords(S.drains[k]), takeRecords(U.drains[k]), `drain ${k}: what is left`);
      t.same(S.drains[k].stats.dropped, U.drains[k].stats.dropped, `drain ${k}: drops`);
    }
    t.equal(feeds[0].resumeFeeds, feeds[1].resumeFeeds, 'feeders resumed alike');
    const tries = S.drains.reduce((n, d) => n + d.extendTries, 0);
    t.ok(tries < routed, `extendRun asked ${tries} times for ${routed} messages routed`);
  });
}
