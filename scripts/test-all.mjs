// `npm test`: builds once, then runs the unit, integration (inside a real VS Code extension host)
// and e2e (the packaged .vsix driven in a real browser) layers, and closes with one count line.
// Under CI=true a skipped test is a failure: nothing may pass by not running.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import systemDeps from './system-deps.cjs';
import { installVsCodeServer, vsCodeServerInstalled } from '../test/runner/vscodeServer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requested = process.argv.slice(2);
const layers = requested.length ? requested : ['unit', 'integration', 'e2e'];
const ci = process.env.CI === 'true' || process.env.CI === '1';
const node = process.execPath;
const mocha = join(root, 'node_modules/mocha/bin/mocha.js');
const reporter = join(root, 'scripts/mocha-counts.cjs');

function step(title, cmd, args, env = {}) {
  console.log(`\n=== ${title}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`=== ${title}: ${r.status === 0 ? 'ok' : `exit ${r.status ?? r.signal}`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r.status === 0;
}

function must(ok, what) {
  if (!ok) {
    console.error(`\n${what} failed; no tests were run.`);
    console.log('tests: 0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
}

// The unit layer's push test and the Team tab e2e write to a real Prometheus (Debian's package)
// that they start on loopback; the agent tests lock and write databases with Debian's sqlite3.
const needsPrometheus = layers.includes('unit') || layers.includes('e2e');
if (needsPrometheus && !layers.some((l) => l === 'integration' || l === 'e2e')) {
  try {
    const { installed } = systemDeps.ensureSystemPackages(['prometheus', 'sqlite3'], { again: 'npm test' });
    if (installed.length) console.log(`installed ${installed.join(', ')}`);
  } catch (e) {
    console.error(`\n${e.message}`);
    must(false, 'Setting up');
  }
}

// The integration and e2e layers run in a real VS Code in Chromium: install what the machine lacks
// (or stop now, saying what to run), then VS Code's server into its cache, before any build.
if (layers.some((l) => l === 'integration' || l === 'e2e')) {
  console.log("\n=== set up: system packages and VS Code's server");
  const started = Date.now();
  // A browser of one's own (CHROMIUM_PATH) needs no chromium package; a cached server no libkrb5-dev.
  const needs = [
    ...(process.env.CHROMIUM_PATH ? [] : ['chromium']),
    ...(vsCodeServerInstalled() ? [] : ['libkrb5-dev']),
    ...(needsPrometheus ? ['prometheus', 'sqlite3'] : []),
  ];
  try {
    const { installed } = systemDeps.ensureSystemPackages(needs, { again: 'npm test' });
    if (installed.length) console.log(`installed ${installed.join(', ')}`);
    await installVsCodeServer();
  } catch (e) {
    console.error(`\n${e.message}`);
    must(false, 'Setting up');
  }
  console.log(`=== set up: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// Layering, lint and format before anything is built: an import cycle, vscode imported by
// src/core, a lint error (eslint.config.mjs) or a file Prettier would change (.prettierrc.json;
// `npm run format` fixes it) fails the run.
must(step('import cycles', node, [join(root, 'scripts/check-cycles.mjs')]), 'The import check');
must(
  step('lint', node, [
    join(root, 'node_modules/eslint/bin/eslint.js'),
    '--max-warnings',
    '0',
    '--cache',
    '--cache-location',
    join(root, 'node_modules/.cache/eslint/'),
    'src',
    'webview',
    'test',
    'scripts',
    'eslint.config.mjs',
  ]),
  'Linting',
);
must(
  step('format', node, [
    join(root, 'node_modules/prettier/bin/prettier.cjs'),
    '--check',
    '--log-level',
    'warn',
    '{src,webview,test,scripts,bench}/**/*.{ts,mjs,cjs}',
    'eslint.config.mjs',
  ]),
  'The format check',
);

// Build everything the layers need: the bundles, the .vsix, and the compiled test files.
must(step('build and package', node, [join(root, 'scripts/package.mjs')]), 'Packaging');
// From scratch: a module moved to a folder (ingest/claude.ts -> ingest/claude/index.ts) would
// otherwise leave its old output behind, which Node resolves before the folder's index.js.
rmSync(join(root, 'out'), { recursive: true, force: true });
must(step('compile tests', node, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')]), 'Compiling');

const commands = {
  unit: [node, [mocha, '--reporter', reporter, 'out/test/unit/**/*.test.js']],
  integration: [node, [join(root, 'test/runner/run-integration.mjs')]],
  e2e: [node, [mocha, '--reporter', reporter, '--timeout', '240000', 'test/e2e/*.e2e.mjs']],
};

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let ok = true;
for (const layer of layers) {
  if (!commands[layer]) {
    console.error(`Unknown layer "${layer}" (unit, integration, e2e)`);
    process.exit(2);
  }
  const resultFile = join(mkdtempSync(join(tmpdir(), 'tcd-layer-')), 'counts.json');
  const [cmd, args] = commands[layer];
  const passedRun = step(layer, cmd, args, { TOKEN_COST_LAYER_RESULT: resultFile });
  const counts = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
  if (!passedRun && counts.failed === 0) counts.failed = 1; // the runner itself failed
  if (counts.passed === 0 && counts.failed === 0) counts.failed = 1; // a layer that ran nothing has failed
  lines.push(`${layer}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  for (const k of Object.keys(totals)) totals[k] += counts[k];
  if (!passedRun || counts.failed > 0 || (ci && counts.skipped > 0)) ok = false;
}

console.log('\n=== summary');
for (const l of lines) console.log(l);
if (ci && totals.skipped > 0) console.log(`CI=true: ${totals.skipped} skipped test(s) count as failures.`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
