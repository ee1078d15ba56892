#!/usr/bin/env node
// Runs the ava suite with the TAP reporter, echoes it, and ends with the line CI reads: "N passed, N failed".
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ava = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const child = spawn(process.execPath, [ava, '--tap', ...process.argv.slice(2)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });

let passed = 0, failed = 0, skipped = 0, buf = '';
function scan(line) {
  // TAP: "ok 3 - file › title", "not ok 4 - ...", with "# SKIP"/"# TODO" directives.
  const m = /^(not ok|ok)\b/.exec(line);
  if (!m) return;
  if (/#\s*(SKIP|TODO)\b/i.test(line)) skipped++;
  else if (m[1] === 'ok') passed++;
  else failed++;
}
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  buf += d.toString();
  let i;
  while ((i = buf.indexOf('\n')) >= 0) { scan(buf.slice(0, i)); buf = buf.slice(i + 1); }
});
child.on('close', (code, signal) => {
  if (buf) scan(buf);
  // A runner that died before reporting anything is a failure, not an empty pass.
  if (passed + failed === 0 && code !== 0) failed = 1;
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(failed > 0 || code !== 0 || signal ? 1 : 0);
});
