#!/usr/bin/env node
// Runs every compiled test file under dist/test (and the benchmark
// instruments' own tests under dist/bench/test) with tap, and ends with one
// plain line, "N passed, N failed", so any CI can read the result.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const roots = [path.join(__dirname, '..', 'dist', 'test'), path.join(__dirname, '..', 'dist', 'bench', 'test')];
const only = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.js') && (only.length === 0 || only.some((o) => p.includes(o)))) files.push(path.relative(process.cwd(), p));
  }
}
for (const root of roots) if (fs.existsSync(root)) walk(root);
files.sort();

const tapBin = path.join(path.dirname(require.resolve('tap/package.json', { paths: [process.cwd()] })), 'dist', 'esm', 'run.mjs');
const child = spawn(process.execPath, [tapBin, '--disable-coverage', '--reporter=tap', '--timeout=180', '--jobs=2', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code) => {
  // tap's summary comment: "# { total: 12, pass: 11, fail: 1, skip: 0 }"
  const m = /# \{ ([^}]*) \}\s*(?:#[^\n]*\s*)*$/.exec(tail);
  const counts = {};
  if (m) for (const part of m[1].split(',')) {
    const [k, v] = part.split(':').map((s) => s.trim());
    counts[k] = Number(v);
  }
  const failed = counts.fail ?? (code === 0 ? 0 : 1);
  const skipped = (counts.skip ?? 0) + (counts.todo ?? 0);
  process.stdout.write(`\n${counts.pass ?? 0} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
