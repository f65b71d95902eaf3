// The bench starts the router as `npm start` does: with the Node.js flags of
// package.json's start script, which must all be flags this Node.js accepts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { startFlags } from '../router-process';

t.test("startFlags(): npm start's Node.js flags, each accepted by node", async (t) => {
  const flags = startFlags();
  t.ok(flags.includes('--max-semi-space-size=1'), `young generation flag present in ${flags.join(' ')}`);
  t.ok(flags.some((f) => f.startsWith('--initial-old-space-size=')), 'old generation floor present');
  // An unknown or misspelt V8 flag makes node exit with "bad option".
  const r = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8', timeout: 15_000 });
  t.equal(r.status, 0, r.stderr);
  const bad = spawnSync(process.execPath, ['--initial-old-space-sise=64', '-e', 'process.exit(0)'], { encoding: 'utf8', timeout: 15_000 });
  t.not(bad.status, 0, 'a misspelt flag is refused, so the check above means something');
});
