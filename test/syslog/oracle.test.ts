// Our parsers against two independent ones, nsyslog-parser (RFC 5424 and BSD)
// and syslog-parse (BSD only, one regex), on valid input. Fields must agree
// where the oracles are right; where they are wrong it is said next to the
// case and that field is not compared.
import t from 'tap';
import syslogParse from 'syslog-parse';
import { parse5424 } from '../../src/syslog/rfc5424';
import { parse3164 } from '../../src/syslog/rfc3164';
import { newHeaderScan, scanHeader } from '../../src/syslog/header';
import type { SyslogMessage } from '../../src/syslog/types';

interface NsEntry {
  prival: number;
  type: string;
  ts?: Date;
  host?: string;
  appName?: string;
  pid?: string;
  messageid?: string;
  message?: string;
  structuredData?: Array<Record<string, string>>;
}
// nsyslog-parser ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nsyslog = require('nsyslog-parser') as (line: string) => NsEntry;

const BOM = '\ufeff';
// nsyslog keeps nil '-' as the string '-'; we return null.
const nil = (v: string | undefined): string | null => (v === undefined || v === '-' || v === '' ? null : v);

function sdAsObjects(m: SyslogMessage): Array<Record<string, string>> {
  return m.structuredData.map((el) => Object.fromEntries([['$id', el.id], ...el.params]));
}

// [line, fields not to compare with nsyslog-parser and why]
const rfc5424: Array<[string, string[]]> = [
  [`<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`, []],
  ["<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", []],
  ['<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]', []],
  ['<13>1 2026-11-22T02:30:00.000Z host app 123 ID1 - msg text', []],
  ['<191>1 2026-11-22T02:30:00+05:30 web-1.example.com api 4711 REQ [meta@1 k="v"] GET /index.html 200', []],
  // nsyslog-parser: an escaped quote in a PARAM-VALUE makes it give up on SD
  // and leave it in the message; RFC 5424 6.3.3 allows \" there.
  ['<13>1 2026-11-22T02:30:00.000Z host app 123 ID1 [a@1 x="q \\"y\\" z"] msg text', ['structuredData', 'message']],
  // nsyslog-parser: without SD (logplex) it takes the first MSG word ("State")
  // for STRUCTURED-DATA and drops it from the message.
  ['<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up', ['message']],
];

t.test('RFC 5424 against nsyslog-parser', async (t) => {
  const scan = newHeaderScan();
  for (const [line, skip] of rfc5424) {
    const buf = Buffer.from(line, 'utf8');
    const ours = parse5424(buf, 0, buf.length);
    const theirs = nsyslog(line);
    t.equal(theirs.type, 'RFC5424', `${line}: oracle agrees it is RFC 5424`);
    t.equal(ours.facility * 8 + ours.severity, theirs.prival, `${line}: PRI`);
    t.equal(ours.timestamp?.getTime(), theirs.ts?.getTime(), `${line}: timestamp`);
    t.equal(ours.hostname, nil(theirs.host), `${line}: hostname`);
    t.equal(ours.appName, nil(theirs.appName), `${line}: appName`);
    t.equal(ours.procId, nil(theirs.pid), `${line}: procId`);
    t.equal(ours.msgId, nil(theirs.messageid), `${line}: msgId`);
    // nsyslog trims the message, which also drops a BOM (String#trim does).
    if (!skip.includes('message')) t.equal(ours.message.toString('utf8'), theirs.message, `${line}: message`);
    if (!skip.includes('structuredData')) t.same(sdAsObjects(ours), theirs.structuredData ?? [], `${line}: SD`);
    // The router's fast scan finds the same host as both full parsers.
    scanHeader(buf, 0, buf.length, scan);
    t.equal(scan.hostEnd > scan.hostStart ? buf.toString('utf8', scan.hostStart, scan.hostEnd) : null, nil(theirs.host), `${line}: scanHeader host`);
  }
});

// [line, fields not to compare with nsyslog-parser, with syslog-parse]
// Both oracles assume the current year and read times in local time (and
// syslog-parse keeps the current milliseconds), so only month, day and clock
// are compared; our year inference is tested in rfc3164.test.ts.
const bsd: Array<[string, string[], string[]]> = [
  ["<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", [], []],
  ['<13>Nov 22 02:42:22 vm myapp[123]: hello world', [], []],
  ['<13>Nov  2 02:30:00 10.1.2.3 sshd[99]: Accepted publickey for git', [], []],
  ['<86>Jan  5 14:03:59 bastion-2 sudo[2048]: alice : TTY=pts/0 ; COMMAND=/bin/ls', [], []],
  // logger(1) to /dev/log: no HOSTNAME. nsyslog-parser takes the tag for the
  // host; syslog-parse gets it right.
  ['<13>Nov 22 02:42:22 myapp: local msg2', ['host', 'app'], []],
  // No TAG: nsyslog-parser reads the words as app name and pid; syslog-parse's
  // regex requires a TAG and returns nothing.
  ['<13>Nov 22 02:30:00 host just words here', ['app', 'pid', 'message'], ['all']],
];

t.test('RFC 3164 against nsyslog-parser and syslog-parse', async (t) => {
  const scan = newHeaderScan();
  const now = new Date();
  const tz = -now.getTimezoneOffset();
  const clock = (d: Date | null | undefined): string | null => (d ? [d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()].join(' ') : null);
  for (const [line, skipNs, skipSp] of bsd) {
    const buf = Buffer.from(line, 'utf8');
    const ours = parse3164(buf, 0, buf.length, { now, tzOffsetMinutes: tz });
    const ns = nsyslog(line);
    t.equal(ns.type, 'BSD');
    t.equal(ours.facility * 8 + ours.severity, ns.prival, `${line}: PRI (nsyslog)`);
    t.equal(clock(ours.timestamp), clock(ns.ts), `${line}: clock (nsyslog)`);
    if (!skipNs.includes('host')) t.equal(ours.hostname, nil(ns.host), `${line}: host (nsyslog)`);
    if (!skipNs.includes('app')) t.equal(ours.appName, nil(ns.appName), `${line}: app (nsyslog)`);
    if (!skipNs.includes('pid')) t.equal(ours.procId, nil(ns.pid), `${line}: pid (nsyslog)`);
    if (!skipNs.includes('message')) t.equal(ours.message.toString(), ns.message, `${line}: message (nsyslog)`);
    scanHeader(buf, 0, buf.length, scan);
    t.equal(scan.hostEnd > scan.hostStart ? buf.toString('utf8', scan.hostStart, scan.hostEnd) : null, ours.hostname, `${line}: scanHeader host`);
    if (skipSp.includes('all')) {
      t.equal(syslogParse(line), undefined, `${line}: syslog-parse refuses it, as noted`);
      continue;
    }
    const sp = syslogParse(line);
    if (!sp) {
      t.fail(`${line}: syslog-parse returned nothing`);
      continue;
    }
    t.equal(ours.facility, sp.facilityCode, `${line}: facility (syslog-parse)`);
    t.equal(ours.severity, sp.severityCode, `${line}: severity (syslog-parse)`);
    t.equal(clock(ours.timestamp), clock(sp.time), `${line}: clock (syslog-parse)`);
    t.equal(ours.hostname, sp.host === '' ? null : sp.host, `${line}: host (syslog-parse)`);
    t.equal(ours.appName, sp.process, `${line}: app (syslog-parse)`);
    t.equal(ours.procId, sp.pid === undefined ? null : String(sp.pid), `${line}: pid (syslog-parse)`);
    t.equal(ours.message.toString(), sp.message, `${line}: message (syslog-parse)`);
  }
});
