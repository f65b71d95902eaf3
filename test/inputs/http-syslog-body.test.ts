// POST /syslog bodies, parsed with no network: framing per frame, PRI
// checks, 3164 conversion, fallback hostnames, oversize, the first bad frame.
import t from 'tap';
import { IngestBatch } from '../../src/inputs/http-ingest-batch';
import { checkMsgCount, SyslogBodyParser } from '../../src/inputs/http-syslog-body';

const opts = { tzOffsetMinutes: 0, fallbackHostname: null, maxMessageBytes: 200 };
const NOW = new Date('2026-11-22T03:00:00Z');
const FALLBACK = Buffer.from('d.7f3c-token');

function octet(...msgs: string[]): Buffer {
  return Buffer.from(msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join(''));
}

function parse(body: Buffer, o = opts) {
  const batch = new IngestBatch();
  batch.reset(body);
  const err = new SyslogBodyParser(o).parse(batch, FALLBACK, NOW);
  const messages: string[] = [];
  const hosts: string[] = [];
  for (let i = 0; i < batch.count; i++) {
    const src = batch.source(i);
    messages.push(src.toString('utf8', batch.starts[i], batch.ends[i]));
    hosts.push(src.toString('utf8', batch.hostStarts[i], batch.hostEnds[i]));
  }
  return { err, messages, hosts, batch };
}

const heroku = [
  '<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up',
  '<190>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`',
  '<13>1 2026-11-22T02:00:00Z web-1 app - - [meta x="1"] with SD',
];

t.test('logplex-1 bodies: octet-counted frames back to back, with and without SD, passed through as sent', async (t) => {
  const { err, messages, hosts, batch } = parse(octet(...heroku));
  t.equal(err, null);
  t.same(messages, heroku);
  t.same(hosts, ['host', 'host', 'web-1']);
  t.equal(batch.extraUsed, 0, 'nothing had to be copied');
});

t.test('LF bodies: RFC 5424 and 3164 lines, CRLF, blank lines; 3164 is converted, hostnames filled in', async (t) => {
  const body = Buffer.from(
    '<13>1 2026-11-22T02:00:00Z web-1 app 12 - - five four two four\r\n' +
      '\n' +
      '<38>Nov 22 02:59:58 web-2 sshd[812]: Accepted publickey\n' +
      '<14>Nov 22 02:59:59 cron: no host in this one\n' +
      '<14>1 2026-11-22T02:00:01Z - app - - - nil host',
  );
  const { err, messages, hosts } = parse(body);
  t.equal(err, null);
  t.same(messages, [
    '<13>1 2026-11-22T02:00:00Z web-1 app 12 - - five four two four',
    '<38>1 2026-11-22T02:59:58.000Z web-2 sshd 812 - - Accepted publickey',
    '<14>1 2026-11-22T02:59:59.000Z d.7f3c-token cron - - - no host in this one',
    '<14>1 2026-11-22T02:00:01Z d.7f3c-token app - - - nil host',
  ]);
  t.same(hosts, ['web-1', 'web-2', 'd.7f3c-token', 'd.7f3c-token']);
});

t.test('octet-counted and LF frames may be mixed; LF after an octet frame is skipped', async (t) => {
  const body = Buffer.concat([octet(heroku[0]), Buffer.from('\n<13>1 - h a - - - lf frame\n'), octet(heroku[1]), Buffer.from('\r\n')]);
  const { err, messages } = parse(body);
  t.equal(err, null);
  t.same(messages, [heroku[0], '<13>1 - h a - - - lf frame', heroku[1]]);
});

t.test('the first bad frame is named by index and offset', async (t) => {
  const cases: Array<[string, Buffer, number, number, RegExp]> = [
    ['no PRI in an octet frame', octet(heroku[0], 'garbage without pri', heroku[1]), 1, Buffer.byteLength(octet(heroku[0])), /no valid <PRI>/],
    ['PRI out of range', Buffer.from('<13>1 - a b - - - ok\n<192>1 - a b - - - bad\n'), 1, 21, /no valid <PRI>/],
    ['a line that does not start with <', Buffer.from('<13>1 - a b - - - ok\nplain text\n'), 1, 21, /unexpected byte 0x70/],
    ['octet count past the end', Buffer.concat([octet(heroku[0]), Buffer.from('500 <13>1 short')]), 1, Buffer.byteLength(octet(heroku[0])), /says 500 bytes but the body has 11 left/],
    ['octet count without a space', Buffer.from('12<13>1 - a b'), 0, 0, /not followed by a space/],
    ['octet count of 10 digits', Buffer.from('1234567890 <13>'), 0, 0, /longer than 9 digits/],
    ['empty PRI', Buffer.from('<>1 - a b - - - x\n'), 0, 0, /no valid <PRI>/],
  ];
  for (const [name, body, frame, offset, reason] of cases) {
    const { err } = parse(body);
    t.ok(err, name);
    t.equal(err?.frame, frame, `${name}: frame`);
    t.equal(err?.offset, offset, `${name}: offset`);
    t.match(err?.reason, reason, `${name}: reason`);
  }
});

t.test('frames over MAX_MESSAGE_BYTES are cut to it and counted, octet-counted ones included', async (t) => {
  const long = '<13>1 - h a - - - ' + 'x'.repeat(300);
  const { err, messages, batch } = parse(Buffer.concat([octet(long), Buffer.from(long + '\n'), octet(heroku[0])]));
  t.equal(err, null);
  t.equal(batch.oversize, 2);
  t.same(messages, [long.slice(0, 200), long.slice(0, 200), heroku[0]]);
});

t.test('an empty body or one of only line ends has no messages', async (t) => {
  t.equal(parse(Buffer.alloc(0)).messages.length, 0);
  t.equal(parse(Buffer.from('\r\n\n\0')).err, null);
});

t.test('a reused batch forgets the previous body', async (t) => {
  const batch = new IngestBatch();
  const parser = new SyslogBodyParser(opts);
  batch.reset(Buffer.from('<14>Nov 22 02:59:59 h1 a: one\n<14>Nov 22 02:59:59 h2 b: two\n'));
  t.equal(parser.parse(batch, FALLBACK, NOW), null);
  t.equal(batch.count, 2);
  batch.reset(octet(heroku[0]));
  t.equal(parser.parse(batch, FALLBACK, NOW), null);
  t.equal(batch.count, 1);
  t.equal(batch.extraUsed, 0);
});

t.test('many messages grow the batch', async (t) => {
  const lines = Array.from({ length: 1000 }, (_, i) => `<14>Nov 22 02:59:59 host-${i} app: line ${i}`);
  const { err, messages, hosts } = parse(Buffer.from(lines.join('\n')));
  t.equal(err, null);
  t.equal(messages.length, 1000);
  t.equal(hosts[999], 'host-999');
  t.match(messages[999], /^<14>1 2026-11-22T02:59:59.000Z host-999 app - - - line 999$/);
});

t.test('Logplex-Msg-Count', async (t) => {
  t.equal(checkMsgCount(undefined, 3), null, 'absent: fine');
  t.equal(checkMsgCount('3', 3), null);
  t.equal(checkMsgCount(' 3 ', 3), null);
  t.match(checkMsgCount('4', 3), /says 4 messages but the body holds 3/);
  t.match(checkMsgCount('three', 3), /not a number/);
  t.match(checkMsgCount(['2', '3'], 3), /says 2/);
});
