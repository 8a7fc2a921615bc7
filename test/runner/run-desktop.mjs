// `npm run test:desktop`: the same integration suite under @vscode/test-electron, which downloads
// desktop VS Code and so needs internet (use `npm test` on offline machines).
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { repoRoot } from './vscodeServer.mjs';

const work = mkdtempSync(join(tmpdir(), 'tcd-desktop-'));
const home = makeFixtureHome(join(work, 'home'));
const workspace = join(work, 'workspace');
mkdirSync(workspace, { recursive: true });
const resultsFile = join(work, 'results.json');
try {
  await runTests({
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'out/test/integration/index'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${join(work, 'user')}`],
    extensionTestsEnv: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local/share'),
      CLAUDE_CONFIG_DIR: '',
      TOKEN_COST_RESULTS_FILE: resultsFile,
      TOKEN_COST_FIXTURE_HOME: home,
      TOKEN_COST_REPO: repoRoot,
    },
  });
} catch (e) {
  console.error(`integration under @vscode/test-electron failed: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
}
if (existsSync(resultsFile)) {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
  console.log(`integration (desktop): ${r.passes} passed, ${r.failures} failed, ${r.pending} skipped`);
}
