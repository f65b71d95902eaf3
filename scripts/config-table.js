#!/usr/bin/env node
// Prints the README's configuration table from the settings table in
// src/config.ts (run after a build), so the two never drift apart.
'use strict';
const { SETTINGS } = require('../dist/src/config.js');
const rows = ['| Variable | Flag | Default | Meaning |', '|---|---|---|---|'];
for (const s of SETTINGS) {
  const flag = '--' + s.env.toLowerCase().replace(/_/g, '-');
  rows.push(`| \`${s.env}\` | \`${flag}\` | ${s.dflt === '' ? '(unset)' : '`' + s.dflt + '`'} | ${s.help.replace(/\|/g, '\\|')} |`);
}
process.stdout.write(rows.join('\n') + '\n');
