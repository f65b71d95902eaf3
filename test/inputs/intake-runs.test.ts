// Intake.take() on a stream's read chunk (stable) against the same messages
// taken one by one from a buffer nobody promises to keep (unstable), into two
// identical routers of real syslog stream drains. On the stable side RFC 3164
// lines are converted back to back into the intake's own buffer, octet-counted,
// and reach the drains as runs (takeConverted); RFC 5424 messages go as they
// lie in the chunk; nil hostnames still go through the scratch buffer. Both
// sides must give the same verdicts, records, drops and counts, message by
// message, across the intake buffer's 64 KiB boundaries, with refused,
// unrouted and unparsable messages in between (their room is reused).
import t from 'tap';
import '../../src/drains';
import { settlePendingCopies } from '../../src/drains/deferred-copy';
import type { Feeder } from '../../src/drains/drain-types';
import type { SyslogDrainOptions } from '../../src/drains/syslog/config';
import { SyslogStreamDrain } from '../../src/drains/syslog/stream-drain';
import { parseDrainUrl, type DrainSpec } from '../../src/drains/url';
import { Intake } from '../../src/inputs/intake';
import { RouteTable } from '../../src/router/route-table';
import { Router } from '../../src/router/router';
import { REFUSED } from '../../src/router/verdict';
import { InputStats } from '../../src/telemetry/input-metrics';
import { quietDrainContext, takeRecords } from '../helpers/stream-drains';


/** Counts the messages that extended a deferred run: proof the stable side took the run path. */
class Counting extends SyslogStreamDrain {
  extended = 0;
  extendRun(src: Buffer, start: number, end: number): number {
    const why = super.extendRun(src, start, end);
    if (why > 0) this.extended++;
    return why;
  }
}

class Feed implements Feeder {
  resumeFeed(): void {}
}

const seen = { refused: 0, overflow: 0 };

for (let seed = 1; seed <= 12; seed++) {
  t.test(`seed ${seed}: converted RFC 3164 lines as runs = one by one through the scratch buffer`, async (t) => {
    let x = seed * 2654435761;
    const rand = (): number => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6b43a9b5) >>> 0;
      return x / 0x100000000;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const urls = [
      `syslog+tcp://127.0.0.1:9?name=a${seed}`,
      `syslog+tcp://127.0.0.1:9?name=b${seed}&policy=block&buffer_messages=${pick([5, 50, 5000])}`,
      `syslog+tcp://127.0.0.1:9?name=c${seed}&framing=lf&buffer_bytes=${pick([4096, 65536])}&policy=drop`,
    ];
    const side = () => {
      const drains = urls.map((u) => new Counting(parseDrainUrl(u) as DrainSpec<SyslogDrainOptions>, quietDrainContext));
      const router = new Router();
      router.setTable(
        new RouteTable(
          new Map([
            ['web', [drains[0]]],
            ['db', [drains[0], drains[1]]],
            ['lf', [drains[2]]],
            ['relay', [drains[0]]], // the fallback hostname
          ]),
        ),
      );
      const intake = new Intake(router, { tzOffsetMinutes: 60, fallbackHostname: 'relay', maxMessageBytes: 8192 });
      return { drains, router, intake, stats: new InputStats('tcp'), feed: new Feed() };
    };
    const S = side();
    const U = side();
    t.teardown(() => {
      for (const x of [S, U]) {
        x.router.close();
        for (const d of x.drains) d.destroy();
      }
    });
    const fallback = Buffer.from('10.0.0.9');
    let lines = 0;
    for (let c = 0; c < 25; c++) {
      const now = new Date(Date.UTC(2026, 11, 1, 9, 0, c));
      S.intake.tick(now);
      U.intake.tick(now);
      // One read chunk: LF-framed lines, mostly RFC 3164 in runs of a hostname.
      const msgs: Buffer[] = [];
      let host = pick(['web', 'db', 'lf', 'nowhere']);
      const n = 1 + Math.floor(rand() * 150);
      for (let i = 0; i < n; i++) {
        if (rand() < 0.2) host = pick(['web', 'db', 'lf', 'nowhere']);
        const body = `chunk ${c} line ${i} ${'y'.repeat(Math.floor(rand() * pick([10, 300, 3000])))}`;
        const r = rand();
        const line =
          r < 0.75
            ? `<${Math.floor(rand() * 192)}>Dec  1 10:00:0${i % 3} ${host} app[${i}]: ${body}`
            : r < 0.85
              ? `<14>1 2026-12-01T09:00:00Z ${host} app - - - ${body}`
              : r < 0.93
                ? `<14>Dec  1 10:00:00 app[1]: no hostname, the fallback's ${body}`
                : r < 0.97
                  ? `<14>1 2026-12-01T09:00:00Z - app - - - nil host ${body}`
                  : `no PRI ${body}`;
        msgs.push(Buffer.from(line));
      }
      const buf = Buffer.concat(msgs.flatMap((m) => [m, Buffer.from('\n')]));
      let p = 0;
      for (const m of msgs) {
        const feeder = rand() < 0.7;
        const vs = S.intake.take(buf, p, p + m.length, fallback, feeder ? S.feed : null, S.stats, true);
        const vu = U.intake.take(buf, p, p + m.length, fallback, feeder ? U.feed : null, U.stats, false);
        if (vs === REFUSED) seen.refused++;
        if (vs !== vu) t.fail(`chunk ${c} at ${p}: verdict ${vs} as runs, ${vu} one by one (${m.toString('latin1', 0, 60)})`);
        p += m.length + 1;
        lines++;
      }
      settlePendingCopies();
      for (let k = 0; k < S.drains.length; k++) {
        if (rand() < 0.6) t.same(takeRecords(S.drains[k]), takeRecords(U.drains[k]), `chunk ${c}, drain ${k}`);
      }
    }
    for (let k = 0; k < S.drains.length; k++) {
      t.same(takeRecords(S.drains[k]), takeRecords(U.drains[k]), `drain ${k}: what is left`);
      t.same(S.drains[k].stats.dropped, U.drains[k].stats.dropped, `drain ${k}: drops`);
    }
    t.same({ ...S.stats, rejected: null }, { ...U.stats, rejected: null }, `input counts over ${lines} lines`);
    t.equal(S.router.unrouted, U.router.unrouted);
    t.ok(S.stats.parseErrors > 0 && S.router.unrouted > 0, 'unparsable and unrouted lines were among them');
    t.ok(S.drains[0].extended > 0, `${S.drains[0].extended} messages extended a run on the stable side`);
    t.equal(U.drains[0].extended, 0, 'none one by one');
    seen.overflow += S.drains.reduce((n, d) => n + d.stats.dropped.overflow, 0);
  });
}

t.test('the seeds refused messages (full block drain) and dropped some (drop drain)', async (t) => {
  t.ok(seen.refused > 0, `${seen.refused} refused`);
  t.ok(seen.overflow > 0, `${seen.overflow} dropped on overflow`);
});
