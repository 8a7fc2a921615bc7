// Runs test/integration inside the extension host of a real VS Code (the server build, opened in
// headless Chromium), the offline equivalent of @vscode/test-electron. The exit code cannot come
// back through the browser, so the suite writes its results to a file this runner waits for.
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { extensionHostLog, launchBrowser, repoRoot, startServer } from './vscodeServer.mjs';

const TIMEOUT_MS = 5 * 60_000;
const work = mkdtempSync(join(tmpdir(), 'tcd-integration-'));
const home = makeFixtureHome(join(work, 'home'));
const workspace = join(work, 'workspace');
mkdirSync(workspace, { recursive: true });
writeFileSync(join(workspace, 'README.md'), '# a project\n');
const resultsFile = join(work, 'results.json');
const dirs = { extensionsDir: join(work, 'ext'), userDataDir: join(work, 'user'), serverDataDir: join(work, 'server') };

if (!existsSync(join(repoRoot, 'out/test/integration/index.js')) || !existsSync(join(repoRoot, 'dist/extension.js'))) {
  console.error('Build first: npm run build && npm run compile-tests (npm test does both).');
  process.exit(1);
}

let server;
let browser;
let exitCode = 1;
try {
  server = await startServer({
    home,
    ...dirs,
    // A trusted run: these tests check behaviour, the e2e layer checks Restricted Mode.
    settings: {
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'tokenCost.server.port': 0,
    },
  });
  const authority = `127.0.0.1:${server.port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${repoRoot}`],
    ['extensionTestsPath', `vscode-remote://${authority}${join(repoRoot, 'out/test/integration/index')}`],
    [
      'extensionEnvironment',
      JSON.stringify({ TOKEN_COST_RESULTS_FILE: resultsFile, TOKEN_COST_FIXTURE_HOME: home, TOKEN_COST_REPO: repoRoot }),
    ],
  ];
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(url);
  console.log(`[integration] workbench open on ${server.url}, HOME=${home}`);

  const deadline = Date.now() + TIMEOUT_MS;
  while (!existsSync(resultsFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  if (!existsSync(resultsFile)) {
    console.error(`No results after ${TIMEOUT_MS / 1000} s: the suite did not run inside the extension host.`);
    console.error(extensionHostLog([dirs.serverDataDir, dirs.userDataDir]));
  } else {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    for (const t of results.tests) {
      const mark = t.state === 'passed' ? '  ✔' : t.state === 'pending' ? '  -' : '  ✗';
      console.log(`${mark} ${t.fullTitle}`);
      if (t.error) console.log(t.error.replace(/^/gm, '      '));
    }
    console.log(
      `integration: ${results.passes} passed, ${results.failures} failed, ${results.pending} skipped (inside the VS Code extension host)`,
    );
    if (process.env.TOKEN_COST_LAYER_RESULT) {
      writeFileSync(
        process.env.TOKEN_COST_LAYER_RESULT,
        JSON.stringify({ passed: results.passes, failed: results.failures, skipped: results.pending }),
      );
    }
    exitCode = results.failures === 0 && results.passes > 0 ? 0 : 1;
  }
} catch (e) {
  console.error(e instanceof Error ? e.stack : e);
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
}
process.exit(exitCode);
