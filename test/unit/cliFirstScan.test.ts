// A first scan prints its report before the database is written (src/cli/scan.ts defers the
// snapshot to close), and a process killed in between loses nothing: nothing of the scan is on
// disk yet, its cursors included, so the next run reads everything again.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageStore } from '../../src/core/store';
import { assistantLine, tempDir, writeLines } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');

/** Whether the process is stopped (SIGSTOP): its state in /proc is `T`. */
function stopped(pid: number): boolean {
  try {
    return /^\d+ \(.*\) T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('CLI first scan: the report before the database, nothing lost when killed', function () {
  this.timeout(120_000);

  it('kill -9 after the report is printed: the next run gives the same report and a complete database', async () => {
    const home = tempDir('tcd-first-home-');
    const dataDir = tempDir('tcd-first-data-');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', TZ: 'UTC' };
    for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME', 'TOKEN_COST_API_KEY']) delete env[k];
    const files = ['-home-me-app/s1.jsonl', '-home-me-app/s2.jsonl', '-work-api/s3.jsonl'];
    files.forEach((f, i) =>
      writeLines(
        path.join(home, '.claude', 'projects', f),
        Array.from({ length: 20 }, (_, j) =>
          assistantLine({
            id: `msg_${i}_${j}`,
            requestId: `req_${i}_${j}`,
            output: 100 + j,
            input: 10 + i,
            timestamp: `2026-11-${10 + i}T10:${String(j).padStart(2, '0')}:00.000Z`,
          }),
        ),
      ),
    );

    const child = spawn(process.execPath, [cli, 'daily', '--json', '--data-dir', dataDir], {
      env: { ...env, TOKEN_COST_TEST_STOP_AFTER_REPORT: '1' },
    });
    let printed = '';
    child.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 60_000;
    while (!stopped(child.pid!)) {
      assert.ok(Date.now() < deadline, 'the CLI never reached its report');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Give the pipe's last bytes time to arrive, then kill.
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const first = JSON.parse(printed) as { totals: { inputTokens: number; outputTokens: number; totalCost: number } };
    assert.equal(first.totals.outputTokens, 3 * (20 * 100 + 190));
    assert.equal(first.totals.inputTokens, 20 * (10 + 11 + 12));
    // Killed before the snapshot: nothing of the scan (rows or cursors) was written.
    assert.ok(!existsSync(path.join(dataDir, 'usage.sqlite')), 'the database was written before the kill: the test did not test anything');

    const second = spawnSync(process.execPath, [cli, 'daily', '--json', '--data-dir', dataDir], { env, encoding: 'utf8' });
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, printed);
    const store = await UsageStore.open(path.join(dataDir, 'usage.sqlite'), { writable: false });
    try {
      assert.equal(store.recordCount(), 60);
      assert.equal(store.fileCount(), 3);
      for (const f of files) assert.ok(store.cursor(path.join(home, '.claude', 'projects', f)), `cursor of ${f}`);
    } finally {
      store.close();
    }
    // A run on a fresh folder prints the same (the report did not depend on the interrupted run).
    const fresh = spawnSync(process.execPath, [cli, 'daily', '--json', '--data-dir', tempDir('tcd-first-fresh-')], {
      env,
      encoding: 'utf8',
    });
    assert.equal(fresh.stdout, printed);
  });

  it('a first run piped into `head` still writes its database (the reader leaving does not stop the save)', async () => {
    const home = tempDir('tcd-pipe-home-');
    const dataDir = tempDir('tcd-pipe-data-');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', TZ: 'UTC' };
    for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME', 'TOKEN_COST_API_KEY']) delete env[k];
    // Enough sessions that the JSON report is far larger than a pipe's buffer.
    for (let i = 0; i < 400; i++) {
      writeLines(path.join(home, '.claude', 'projects', `-home-me-p${i % 7}`, `s${i}.jsonl`), [
        assistantLine({ id: `msg_${i}`, requestId: `req_${i}`, output: 10 + i }),
      ]);
    }
    const child = spawn(process.execPath, [cli, 'session', '--json', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // `head -c 10`: read a little, then close our end of the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0);
    const store = await UsageStore.open(path.join(dataDir, 'usage.sqlite'), { writable: false });
    try {
      assert.equal(store.recordCount(), 400);
    } finally {
      store.close();
    }
  });
});
