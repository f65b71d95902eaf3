// RouteTable without any network: byte lookups, case-insensitivity, misses,
// many keys, and keys whose hashes collide in the probe sequence.
import t from 'tap';
import { RouteTable, foldAscii, hashBytes } from '../../src/router/route-table';

const table = (names: string[]): RouteTable<string> => new RouteTable(new Map(names.map((n) => [foldAscii(n), [`drain-of-${foldAscii(n)}`]])));

t.test('lookup by bytes at an offset, case-insensitive for ASCII', async (t) => {
  const rt = table(['app-one', 'Web.Example.COM']);
  const msg = Buffer.from('<13>1 2024-01-01T00:00:00Z APP-One app - - - hi');
  const s = msg.indexOf('APP-One');
  t.same(rt.lookup(msg, s, s + 7), ['drain-of-app-one']);
  const b = Buffer.from('xxweb.example.comyy');
  t.same(rt.lookup(b, 2, 17), ['drain-of-web.example.com']);
  t.same(rt.lookupName('WEB.example.com'), ['drain-of-web.example.com']);
  t.equal(rt.size, 2);
  t.same([...rt.hostnames()].sort(), ['app-one', 'web.example.com']);
});

t.test('misses: prefixes, suffixes, empty, different bytes, non-ASCII not folded', async (t) => {
  const rt = table(['app', 'ÄPP']);
  const miss = (s: string): void => {
    const b = Buffer.from(s);
    t.equal(rt.lookup(b, 0, b.length), undefined, `"${s}" misses`);
  };
  miss('ap');
  miss('appp');
  miss('xapp');
  miss('');
  miss('äpp'); // only ASCII is folded
  const b = Buffer.from('ÄPP');
  t.same(rt.lookup(b, 0, b.length), ['drain-of-Äpp']);
  t.equal(rt.lookupName('nope'), undefined);
  t.equal(new RouteTable(new Map()).lookup(Buffer.from('a'), 0, 1), undefined, 'empty table');
});

t.test('many keys: every one found, every absent one missed', async (t) => {
  const names = Array.from({ length: 5000 }, (_, i) => `host-${i}.example.org`);
  const rt = table(names);
  let found = 0;
  let missed = 0;
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(`HOST-${i}.EXAMPLE.ORG`);
    if (rt.lookup(b, 0, b.length)?.[0] === `drain-of-host-${i}.example.org`) found++;
    const m = Buffer.from(`host-${i + 5000}.example.org`);
    if (rt.lookup(m, 0, m.length) === undefined) missed++;
  }
  t.equal(found, 5000);
  t.equal(missed, 5000);
});

t.test('keys that land on the same slot are all found (linear probing)', async (t) => {
  // Find names whose hash falls into the same slot of a 16-slot table.
  const same: string[] = [];
  for (let i = 0; same.length < 6; i++) {
    const n = `c${i}`;
    const b = Buffer.from(n);
    if ((hashBytes(b, 0, b.length) & 15) === 3) same.push(n);
  }
  const rt = table(same);
  for (const n of same) {
    const b = Buffer.from(n.toUpperCase());
    t.same(rt.lookup(b, 0, b.length), [`drain-of-${n}`], n);
  }
  // And a name in the same slot that is not in the table still misses.
  for (let i = 100000; ; i++) {
    const b = Buffer.from(`c${i}`);
    if ((hashBytes(b, 0, b.length) & 15) === 3) {
      t.equal(rt.lookup(b, 0, b.length), undefined);
      break;
    }
  }
});

t.test('hashBytes: the slot depends on every byte, at any offset and length', async (t) => {
  // Names that differ in one byte, anywhere, should spread over a small
  // table's slots (low bits), not pile into a few.
  for (const len of [1, 3, 4, 5, 8, 13, 32]) {
    for (let at = 0; at < len; at++) {
      const seen = new Set<number>();
      for (let c = 0; c < 64; c++) {
        const b = Buffer.alloc(len + 3, 0x61);
        b[1 + at] = 0x30 + c; // digits, letters, punctuation
        seen.add(hashBytes(b, 1, 1 + len) & 63);
      }
      if (seen.size < 32) t.fail(`length ${len}, byte ${at}: 64 names in only ${seen.size} of 64 slots`);
    }
  }
  const b = Buffer.from('xxHost-1.Example.ORGyy');
  const c = Buffer.from('host-1.example.org');
  t.equal(hashBytes(b, 2, 20), hashBytes(c, 0, c.length), 'the same name at another offset, another case');
});

t.test('hashBytes folds case; foldAscii leaves non-ASCII alone', async (t) => {
  const a = Buffer.from('MiXeD');
  const b = Buffer.from('mixed');
  t.equal(hashBytes(a, 0, a.length), hashBytes(b, 0, b.length));
  t.not(hashBytes(b, 0, 4), hashBytes(b, 0, 5));
  t.equal(foldAscii('ÀB-C'), 'Àb-c');
});

t.test('lookupAny: a lone target as itself, several as the array given; lookup always an array', async (t) => {
  const one = { name: 'one' };
  const a = { name: 'a' };
  const b = { name: 'b' };
  const both = [a, b];
  const rt = new RouteTable(
    new Map([
      ['solo', [one]],
      ['pair', both],
      ['none', []],
    ]),
  );
  const at = (s: string): [Buffer, number, number] => [Buffer.from(s), 0, Buffer.byteLength(s)];
  t.equal(rt.lookupAny(...at('SOLO')), one, 'the target itself, no array around it');
  t.equal(rt.lookupAny(...at('pair')), both, 'the array itself');
  t.same(rt.lookupAny(...at('none')), [], 'no targets: an empty array, not a miss');
  t.equal(rt.lookupAny(...at('nobody')), undefined);
  t.same(rt.lookup(...at('solo')), [one]);
  t.equal(rt.lookup(...at('solo'))![0], one);
  t.equal(rt.lookup(...at('pair')), both);
  // A patch that turns a lone target into two and back.
  const p1 = rt.patched(new Map([['solo', [one, a]]]));
  t.same(p1.lookupAny(...at('solo')), [one, a]);
  const p2 = p1.patched(new Map([['solo', [b]]]));
  t.equal(p2.lookupAny(...at('solo')), b);
  t.equal(rt.lookupAny(...at('solo')), one, 'the table patched from is unchanged');
});
