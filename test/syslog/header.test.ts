import t from 'tap';
import { FORMAT_3164, FORMAT_5424, FORMAT_UNKNOWN, newHeaderScan, scanHeader, spaceFrom } from '../../src/syslog/header';

const BOM = '\xef\xbb\xbf';

// [name, message, ok, format, pri, host ('' = none)]
const cases: Array<[string, string, boolean, number, number, string]> = [
  ['RFC 5424 6.5 example 1', `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`, true, FORMAT_5424, 34, 'mymachine.example.com'],
  ['RFC 5424 6.5 example 2', "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", true, FORMAT_5424, 165, '192.0.2.1'],
  ['RFC 5424 6.5 example 3', '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] BOM', true, FORMAT_5424, 165, 'mymachine.example.com'],
  ['5424 nil hostname', '<13>1 2003-10-11T22:14:15.003Z - app - - - msg', true, FORMAT_5424, 13, ''],
  ['5424 nil timestamp', '<13>1 - host app - - - msg', true, FORMAT_5424, 13, 'host'],
  ['5424 host at the very end', '<13>1 - host', true, FORMAT_5424, 13, 'host'],
  ['5424 cut before hostname', '<13>1 2003-10-11T22:14:15.003Z', true, FORMAT_5424, 13, ''],
  ['5424 hostname "-x" is a name, not nil', '<13>1 - -x app - - - msg', true, FORMAT_5424, 13, '-x'],
  ['logplex frame without SD', '<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up', true, FORMAT_5424, 40, 'host'],
  ['3164 RFC example', "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", true, FORMAT_3164, 34, 'mymachine'],
  ['3164 padded day', '<13>Nov  2 02:30:00 host app[1]: x', true, FORMAT_3164, 13, 'host'],
  ['3164 unpadded single-digit day', '<13>Nov 2 02:30:00 host app[1]: x', true, FORMAT_3164, 13, 'host'],
  ['3164 logger --rfc3164 to a local socket (no host, tag with pid)', '<13>Nov 22 02:30:00 myapp[123]: msg', true, FORMAT_3164, 13, ''],
  ['3164 no host, tag without pid', '<13>Nov 22 02:30:00 myapp: msg', true, FORMAT_3164, 13, ''],
  ['3164 host, then tag', '<13>Nov 22 02:30:00 web-1.example.com myapp[123]: msg', true, FORMAT_3164, 13, 'web-1.example.com'],
  ['3164 host, untagged message', '<13>Nov 22 02:30:00 web-1 just some words', true, FORMAT_3164, 13, 'web-1'],
  ['3164 rsyslog RFC 3339 timestamp', '<13>2026-11-22T02:30:00.123456+01:00 rs-host app: hi', true, FORMAT_3164, 13, 'rs-host'],
  ['3164 year in timestamp', '<13>Nov 22 2026 02:30:00 cisco-sw %LINK-3-UPDOWN: down', true, FORMAT_3164, 13, 'cisco-sw'],
  ['3164 fractional seconds', '<13>Nov 22 02:30:00.123 fw01 kernel: drop', true, FORMAT_3164, 13, 'fw01'],
  ['3164 lower-case month', '<13>nov 22 02:30:00 h1 app: m', true, FORMAT_3164, 13, 'h1'],
  ['3164 no timestamp: no hostname (RFC 3164 4.3.3)', '<13>myhost app: no time here', true, FORMAT_3164, 13, ''],
  ['3164 only a word after the timestamp', '<13>Nov 22 02:30:00 lonely', true, FORMAT_3164, 13, ''],
  ['3164 IPv4 host', '<13>Nov 22 02:30:00 10.1.2.3 sshd[99]: Accepted', true, FORMAT_3164, 13, '10.1.2.3'],
  ['PRI 0', '<0>1 - h - - - -', true, FORMAT_5424, 0, 'h'],
  ['PRI 191', '<191>1 - h - - - -', true, FORMAT_5424, 191, 'h'],
  ['PRI 192 is invalid', '<192>1 - h - - - -', false, FORMAT_UNKNOWN, -1, ''],
  ['PRI of 4 digits is invalid', '<0013>1 - h - - - -', false, FORMAT_UNKNOWN, -1, ''],
  ['empty PRI', '<>1 - h - - - -', false, FORMAT_UNKNOWN, -1, ''],
  ['no PRI', 'Nov 22 02:30:00 host app: x', false, FORMAT_UNKNOWN, -1, ''],
  ['unclosed PRI', '<13', false, FORMAT_UNKNOWN, -1, ''],
  ['empty', '', false, FORMAT_UNKNOWN, -1, ''],
  ['version with leading zero is not 5424', '<13>01 - h - - - -', true, FORMAT_3164, 13, ''],
];

t.test('scanHeader table', async (t) => {
  const out = newHeaderScan();
  for (const [name, msg, ok, format, pri, host] of cases) {
    // Embed the message in a larger buffer to check offsets are respected.
    const buf = Buffer.from('JUNK ' + msg + ' TRAILING GARBAGE', 'latin1');
    const start = 5;
    const end = 5 + Buffer.byteLength(msg, 'latin1');
    t.equal(scanHeader(buf, start, end, out), ok, `${name}: result`);
    t.equal(out.format, format, `${name}: format`);
    if (ok) {
      t.equal(out.pri, pri, `${name}: pri`);
      t.equal(buf.toString('latin1', out.hostStart, out.hostEnd), host, `${name}: host`);
      t.ok(out.hostStart >= start && out.hostEnd <= end, `${name}: host inside the message`);
    }
  }
});

t.test('the scan record is reused, not reallocated, and fully overwritten', async (t) => {
  const out = newHeaderScan();
  const a = Buffer.from('<13>1 - first - - - m');
  const b = Buffer.from('<13>Nov 22 02:30:00 app: m');
  scanHeader(a, 0, a.length, out);
  t.equal(a.toString('latin1', out.hostStart, out.hostEnd), 'first');
  scanHeader(b, 0, b.length, out);
  t.equal(out.hostStart, out.hostEnd, 'previous host does not leak into the next scan');
  t.equal(out.format, FORMAT_3164);
});

t.test('spaceFrom agrees with a byte-by-byte search: every SP position, every alignment, never past end', async (t) => {
  const byByte = (buf: Buffer, p: number, end: number): number => {
    while (p < end && buf[p] !== 0x20) p++;
    return p;
  };
  let checked = 0;
  // Each length, with a single SP at each position (or none), at offsets 0-7
  // inside larger buffers (so words are read unaligned), with a SP right
  // after `end` that must not be found, and bytes 0x1f/0x21/0xa0/0x00 around
  // it that a wrong word test would take for one.
  const noise = [0x1f, 0x21, 0xa0, 0x00, 0x41, 0x20 ^ 0x80, 0xff];
  for (let len = 0; len <= 40; len++) {
    for (let sp = -1; sp < len; sp++) {
      for (let off = 0; off < 8; off++) {
        const buf = Buffer.alloc(off + len + 8, 0x20);
        for (let i = 0; i < len; i++) buf[off + i] = noise[(i + sp + off) % noise.length] === 0x20 ? 0x41 : noise[(i + sp + off) % noise.length];
        if (sp >= 0) buf[off + sp] = 0x20;
        const want = byByte(buf, off, off + len);
        const got = spaceFrom(buf, off, off + len);
        if (got !== want) t.fail(`len ${len}, SP at ${sp}, offset ${off}: ${got} instead of ${want}`);
        checked++;
      }
    }
  }
  // Views of one chunk and of another, alternately: the cached word view must follow the buffer.
  const a = Buffer.from('xxxxxxxxxxxx yyyyyyyyyyyyyyyyyyyy');
  const b = Buffer.from('zzzzzzzzzzzzzzzzzzzzzzzzz q');
  for (let i = 0; i < 4; i++) {
    t.equal(spaceFrom(a, 0, a.length), 12);
    t.equal(spaceFrom(b, 0, b.length), 25);
    t.equal(spaceFrom(a.subarray(3), 0, a.length - 3), 9, 'a view at another offset of the same memory');
  }
  t.equal(checked, 8 * ((41 * 42) / 2), "every length, SP position and offset checked");
});
