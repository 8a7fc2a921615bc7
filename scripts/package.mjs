// Builds and packages the .vsix, then checks what users will install: bundled code only,
// no node_modules, under 2 MB.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

run(process.execPath, [join(root, 'scripts/build.mjs')]);
const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
const files = run(process.execPath, [vsce, 'ls', '--no-dependencies']).trim().split('\n');
const offending = files.filter((f) => f.includes('node_modules'));
if (offending.length) throw new Error(`The package would contain node_modules: ${offending.join(', ')}`);
run(process.execPath, [
  vsce,
  'package',
  '--no-dependencies',
  '--no-update-package-json',
  '--allow-missing-repository',
  '--no-rewrite-relative-links',
  '-o',
  vsix,
]);
const size = statSync(vsix).size;
const limit = 2 * 1024 * 1024;
console.log(`${vsix}: ${(size / 1024).toFixed(0)} KiB, ${files.length} files:\n  ${files.join('\n  ')}`);
if (size >= limit) throw new Error(`The .vsix is ${size} bytes; it must stay under ${limit}.`);
