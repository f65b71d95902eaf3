import t, { type Test } from 'tap';
import { parseProxyHeader, MAX_V2_PAYLOAD } from '../../src/syslog/proxy-protocol';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

// Builds a v2 header: command (0 LOCAL, 1 PROXY), family<<4|transport, address block, TLVs.
function v2(cmd: number, famTransport: number, addr: Buffer, tlvs = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | cmd;
  head[1] = famTransport;
  head.writeUInt16BE(addr.length + tlvs.length, 2);
  return Buffer.concat([SIG, head, addr, tlvs]);
}

function inet4(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

function inet6(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36);
  src.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  dst.forEach((g, i) => b.writeUInt16BE(g, 16 + i * 2));
  b.writeUInt16BE(sport, 32);
  b.writeUInt16BE(dport, 34);
  return b;
}

const payload = Buffer.from('<13>1 - h a - - - after the header');

// Every prefix shorter than the header needs more; the whole header plus
// payload is done and consumes exactly the header.
function checkSplit(t: Test, header: Buffer, want: object, name: string): void {
  const all = Buffer.concat([header, payload]);
  for (let i = 0; i < header.length; i++) {
    const r = parseProxyHeader(all.subarray(0, i));
    if (r.kind !== 'need-more') {
      t.same(r, { kind: 'need-more' }, `${name}: prefix of ${i} bytes`);
      return;
    }
  }
  t.same(parseProxyHeader(all), { kind: 'done', consumed: header.length, ...want }, name);
  t.same(parseProxyHeader(header), { kind: 'done', consumed: header.length, ...want }, `${name}: header alone`);
}

t.test('v1', async (t) => {
  checkSplit(t, Buffer.from('PROXY TCP4 192.0.2.10 198.51.100.1 56324 6514\r\n'), { sourceAddress: '192.0.2.10', sourcePort: 56324 }, 'TCP4');
  checkSplit(t, Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 443 6514\r\n'), { sourceAddress: '2001:db8::1', sourcePort: 443 }, 'TCP6');
  checkSplit(t, Buffer.from('PROXY UNKNOWN\r\n'), { sourceAddress: null, sourcePort: null }, 'UNKNOWN');
  checkSplit(t, Buffer.from('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'), { sourceAddress: null, sourcePort: null }, 'UNKNOWN with addresses');
  const longest = 'PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n';
  t.equal(longest.length, 104);
  checkSplit(t, Buffer.from(longest), { sourceAddress: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', sourcePort: 65535 }, 'longest TCP6');
});

t.test('v1 malformed', async (t) => {
  const bad = [
    'PROXY TCP4 192.0.2.10 198.51.100.1 56324\r\n',
    'PROXY TCP4 192.0.2.300 198.51.100.1 1 2\r\n',
    'PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n',
    'PROXY TCP6 192.0.2.1 192.0.2.2 1 2\r\n',
    'PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n',
    'PROXY TCP4 192.0.2.1 192.0.2.2 01 2\r\n',
    'PROXY TCP4 192.0.2.1  192.0.2.2 1 2\r\n',
    'PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n',
    'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n',
    'PROXY ' + 'x'.repeat(120),
    'PROXY TCP4 192.0.2.1 192.0.2.2 1 2' + ' '.repeat(80) + '\r\n',
    'PROXX TCP4',
    'proxy TCP4 192.0.2.1 192.0.2.2 1 2\r\n',
    '<13>1 - host app - - - not proxied',
    '\x16\x03\x01\x02\x00',
  ];
  for (const s of bad) {
    const r = parseProxyHeader(Buffer.from(s, 'latin1'));
    t.equal(r.kind, 'error', JSON.stringify(s));
    if (r.kind === 'error') t.type(r.reason, 'string');
  }
  t.same(parseProxyHeader(Buffer.alloc(0)), { kind: 'need-more' }, 'nothing yet');
  t.same(parseProxyHeader(Buffer.from('PRO')), { kind: 'need-more' });
  t.same(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4')), { kind: 'need-more' }, 'no CRLF yet, under 107 bytes');
});

t.test('v2', async (t) => {
  checkSplit(t, v2(1, 0x11, inet4([192, 0, 2, 10], [198, 51, 100, 1], 56324, 6514)), { sourceAddress: '192.0.2.10', sourcePort: 56324 }, 'PROXY TCP4');
  checkSplit(t, v2(1, 0x12, inet4([10, 0, 0, 1], [10, 0, 0, 2], 514, 514)), { sourceAddress: '10.0.0.1', sourcePort: 514 }, 'PROXY UDP4');
  checkSplit(t, v2(1, 0x21, inet6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], [0x2001, 0xdb8, 0, 0, 0, 0, 0, 2], 443, 6514)), { sourceAddress: '2001:db8::1', sourcePort: 443 }, 'PROXY TCP6');
  checkSplit(t, v2(1, 0x21, inet6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], [0, 0, 0, 0, 0, 0, 0, 1], 1, 2)), { sourceAddress: '::ffff:192.0.2.1', sourcePort: 1 }, 'PROXY TCP6 v4-mapped');
  checkSplit(t, v2(1, 0x21, inet6([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 1], 9, 2)), { sourceAddress: '2001:db8:0:1::1', sourcePort: 9 }, 'RFC 5952: longest zero run');
  checkSplit(t, v2(0, 0x00, Buffer.alloc(0)), { sourceAddress: null, sourcePort: null }, 'LOCAL (health check)');
  checkSplit(t, v2(0, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), { sourceAddress: null, sourcePort: null }, 'LOCAL with addresses ignores them');
  checkSplit(t, v2(1, 0x00, Buffer.alloc(0)), { sourceAddress: null, sourcePort: null }, 'PROXY UNSPEC');
  checkSplit(t, v2(1, 0x31, Buffer.alloc(216)), { sourceAddress: null, sourcePort: null }, 'PROXY UNIX');
  // TLVs (AWS VPC endpoint id, a NOOP) are skipped.
  const tlv = Buffer.concat([Buffer.from([0xea, 0x00, 0x06, 0x01]), Buffer.from('vpce1'), Buffer.from([0x04, 0x00, 0x02, 0x00, 0x00])]);
  checkSplit(t, v2(1, 0x11, inet4([203, 0, 113, 7], [10, 0, 0, 1], 40000, 6514), tlv), { sourceAddress: '203.0.113.7', sourcePort: 40000 }, 'TLVs skipped');
});

t.test('v2 malformed', async (t) => {
  const good = v2(1, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
  const mutate = (i: number, v: number) => {
    const b = Buffer.from(good);
    b[i] = v;
    return b;
  };
  const cases: Array<[string, Buffer]> = [
    ['bad signature', mutate(7, 0x52)],
    ['version 1 nibble', mutate(12, 0x11)],
    ['command 2', mutate(12, 0x22)],
    ['family 4', mutate(13, 0x41)],
    ['transport 3', mutate(13, 0x13)],
    ['INET with short address block', v2(1, 0x11, Buffer.alloc(8))],
    ['INET6 with short address block', v2(1, 0x21, Buffer.alloc(12))],
    ['UNIX with short address block', v2(1, 0x31, Buffer.alloc(12))],
  ];
  for (const [name, b] of cases) t.equal(parseProxyHeader(b).kind, 'error', name);
  const huge = Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
  t.equal(parseProxyHeader(huge).kind, 'error', 'declared length above the cap is refused before it arrives');
  const atCap = Buffer.concat([SIG, Buffer.from([0x21, 0x11, MAX_V2_PAYLOAD >> 8, MAX_V2_PAYLOAD & 0xff])]);
  t.equal(parseProxyHeader(atCap).kind, 'need-more', 'at the cap it waits for the bytes');
});
