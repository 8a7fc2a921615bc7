import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface TestResult {
  fullTitle: string;
  state: 'passed' | 'failed' | 'pending';
  error?: string;
}

/**
 * Entry point loaded inside the extension host (both by @vscode/test-electron and by the VS Code
 * server runner). The browser-driven runner cannot see an exit code, so results also go to the
 * file named by TOKEN_COST_RESULTS_FILE.
 */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  // The activation suite runs first: it compares the status bar with the CLI, which only sees
  // transcripts, before other suites add manual records.
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort((a, b) => Number(b === 'extension.test.js') - Number(a === 'extension.test.js') || a.localeCompare(b));
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const tests: TestResult[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    runner.on('pass', (t) => tests.push({ fullTitle: t.fullTitle(), state: 'passed' }));
    runner.on('pending', (t) => tests.push({ fullTitle: t.fullTitle(), state: 'pending' }));
    runner.on('fail', (t, err: Error) =>
      tests.push({ fullTitle: t.fullTitle(), state: 'failed', error: `${err.message}\n${err.stack ?? ''}` }),
    );
  });
  const summary = {
    passes: tests.filter((t) => t.state === 'passed').length,
    failures: tests.filter((t) => t.state === 'failed').length,
    pending: tests.filter((t) => t.state === 'pending').length,
    tests,
  };
  if (process.env.TOKEN_COST_RESULTS_FILE) writeFileSync(process.env.TOKEN_COST_RESULTS_FILE, JSON.stringify(summary, null, 2));
  if (failures > 0) throw new Error(`${failures} integration test(s) failed.`);
}
