// Two bundles: the extension host (node, cjs, `vscode` external, sql.js inside with its wasm
// copied beside it) and the dashboard webview (browser, chart.js and vscode-elements inside).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.env.NODE_ENV !== 'development';
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), join(dist, 'sql-wasm.wasm'));

const common = { bundle: true, minify: production, sourcemap: production ? false : 'inline', logLevel: 'info', legalComments: 'none' };

const host = {
  ...common,
  // cli.js only picks statuslineMain.js (small: the status line runs after every reply) or cliMain.js; the same names as tsc gives them in out/.
  entryPoints: {
    extension: join(root, 'src/extension.ts'),
    cli: join(root, 'src/cli.ts'),
    cliMain: join(root, 'src/cliMain.ts'),
    statuslineMain: join(root, 'src/statuslineMain.ts'),
    // A report answered from the report cache before cliMain.js is loaded (src/cli.ts asks it first).
    cacheMain: join(root, 'src/cacheMain.ts'),
    // The scanner's parse workers (src/core/ingest/parsePool.ts starts it from beside itself).
    parseWorker: join(root, 'src/core/ingest/parseWorker.ts'),
  },
  outdir: dist,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
};

const webview = {
  ...common,
  entryPoints: { webview: join(root, 'webview/main.ts') },
  outdir: dist,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
};

if (watch) {
  const contexts = await Promise.all([esbuild.context(host), esbuild.context(webview)]);
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all([esbuild.build(host), esbuild.build(webview)]);
  chmodSync(join(dist, 'cli.js'), 0o755);
}
