// RouteTable.patched(): random batches of sets and removals checked against a
// Map, and the table a patch started from never changes.
import t from 'tap';
import { RouteTable } from '../../src/router/route-table';

/** Same targets in the same order (a lone target comes back in a new array). */
const same = (a: number[] | undefined, b: number[] | undefined): boolean => a === b || (a !== undefined && b !== undefined && a.join() === b.join());

t.test('patched tables agree with a Map model; older tables stay as they were', async (t) => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let failures = 0;
  for (let trial = 0; trial < 100 && failures === 0; trial++) {
    const model = new Map<string, number[]>();
    let table = new RouteTable<number>(new Map());
    for (let step = 0; step < 50 && failures === 0; step++) {
      const changes = new Map<string, number[] | undefined>();
      for (let i = 0; i < 1 + rnd(20); i++) {
        const name = (rnd(2) ? 'H' : 'h') + rnd(80);
        // One target or two: a lone target is kept as itself, two as an array.
        changes.set(name, rnd(3) === 0 ? undefined : rnd(2) ? [step * 100 + i] : [step * 100 + i, -i]);
      }
      const old = table;
      const snapshot = [...model.entries()];
      table = table.patched(changes);
      for (const [n, v] of changes) {
        if (v === undefined) model.delete(n.toLowerCase());
        else model.set(n.toLowerCase(), v);
      }
      for (const [n, v] of snapshot) if (!same(old.lookupName(n), v)) failures++;
      if (table.size !== model.size) failures++;
      for (let i = 0; i < 80; i++) if (!same(table.lookupName(`h${i}`), model.get(`h${i}`))) failures++;
      if ([...table.hostnames()].sort().join() !== [...model.keys()].sort().join()) failures++;
    }
  }
  t.equal(failures, 0);
});

t.test('a patch grows the table when it fills past half', async (t) => {
  let table = new RouteTable<number>(new Map([['a', [1]]]));
  for (let i = 0; i < 1000; i++) table = table.patched(new Map([[`host-${i}`, [i]]]));
  t.equal(table.size, 1001);
  t.same(table.lookupName('HOST-999'), [999]);
  t.same(table.lookupName('a'), [1]);
  const b = Buffer.from('xx host-500 yy');
  t.same(table.lookup(b, 3, 11), [500]);
});

t.test('removed keys leave bytes behind only until a patch rebuilds the table', async (t) => {
  const long = (i: number): string => `${'app-'.repeat(50)}${i}`;
  let table = new RouteTable<number>(new Map(Array.from({ length: 20 }, (_, i): [string, number[]] => [long(i), [i]])));
  let maxKeyEnd = 0;
  for (let i = 20; i < 420; i++) {
    table = table.patched(new Map<string, number[] | undefined>([[long(i - 20), undefined], [long(i), [i]]]));
    maxKeyEnd = Math.max(maxKeyEnd, (table as unknown as { keyEnd: number }).keyEnd);
  }
  t.equal(table.size, 20);
  for (let i = 0; i < 420; i++) t.same(table.lookupName(long(i)), i >= 400 ? [i] : undefined);
  const live = 20 * long(400).length;
  t.ok(maxKeyEnd <= 2 * live + 4096 + long(400).length, `key bytes stayed bounded (${maxKeyEnd} for ${live} live)`);
});
