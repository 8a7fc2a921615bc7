import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activatedApi, repo, until } from './util';

/** Where the status-line command and the extension meet, for this HOME (as src/core/limitsLog.ts says). */
const dataDir = path.join(
  process.env.XDG_DATA_HOME || path.join(process.env.HOME || os.homedir(), '.local', 'share'),
  'token-cost-dashboard',
);

describe('plan limits from the status line', () => {
  it('a status-line JSON piped into `token-cost statusline` shows in the status bar with its reset in the tooltip', async () => {
    const api = await activatedApi();
    const now = Math.floor(Date.now() / 1000);
    const input = JSON.stringify({
      session_id: 'integration-session',
      version: '2.1.200',
      model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
      cost: { total_cost_usd: 0.5 },
      rate_limits: {
        five_hour: { used_percentage: 42, resets_at: now + 2 * 3600 },
        seven_day: { used_percentage: 18, resets_at: now + 3 * 86400 },
      },
    });
    const started = Date.now();
    const printed = execFileSync(process.execPath, [path.join(repo, 'dist', 'cli.js'), 'statusline'], {
      input,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    assert.match(printed, /5h 42% \((1h 59m|2h 00m)\) · 7d 18%/);
    await until('the status bar shows the limits', () => api.statusBarText().includes('5h 42 % · 7d 18 %'), 5000);
    // For the report (no timing assert): how long the pick-up took in this run.
    writeFileSync(path.join(os.tmpdir(), 'tcd-limits-pickup-ms'), String(Date.now() - started));
    assert.match(api.statusBarTooltip(), /Claude Code 5h \| 42 % \|/);
    assert.match(api.statusBarTooltip(), /Claude Code 7d \| 18 % \|/);
    const w = api.limits().windows.find((x) => x.source === 'claude' && x.minutes === 300);
    assert.equal(w?.usedPct, 42);
    assert.equal(w?.resetsAt, (now + 2 * 3600) * 1000);
    assert.ok(existsSync(path.join(dataDir, 'limits.jsonl')));
  });

  it("shows the Codex corpus's newest rate_limits for Codex in the tooltip", async () => {
    const api = await activatedApi();
    const config = vscode.workspace.getConfiguration('tokenCost');
    const corpus = path.resolve(repo, '..', 'shared', 'corpora', 'real', 'home', '.codex');
    assert.ok(existsSync(corpus), 'the real Codex corpus is there');
    try {
      await config.update('codexHome', corpus, vscode.ConfigurationTarget.Global);
      await until('the Codex windows are known', () => api.limits().windows.some((w) => w.source === 'codex'), 10_000);
      const codex = api.limits().windows.filter((w) => w.source === 'codex');
      assert.deepEqual(
        codex.map((w) => [w.label, w.planType]),
        [
          ['5h', 'team'],
          ['7d', 'team'],
        ],
      );
      // Their resets are months behind today: shown as reset, with no stale percentage in the bar.
      assert.ok(codex.every((w) => w.state === 'reset'));
      await until('the tooltip lists them', () => api.statusBarTooltip().includes('Codex 5h | — | reset'), 5000);
    } finally {
      await config.update('codexHome', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("sets up Claude Code's status line keeping the previous one chained, and undoes it", async () => {
    await activatedApi();
    const settingsFile = path.join(
      process.env.CLAUDE_CONFIG_DIR?.split(',')[0] || path.join(process.env.HOME || os.homedir(), '.claude'),
      'settings.json',
    );
    const before = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : undefined;
    assert.equal(await vscode.commands.executeCommand('tokenCost.setUpStatusLine', { confirm: true }), 'applied');
    const set = JSON.parse(readFileSync(settingsFile, 'utf8')) as { statusLine: { type: string; command: string } };
    assert.equal(set.statusLine.type, 'command');
    assert.match(set.statusLine.command, /^node '.*statusline\.js'/);
    assert.ok(existsSync(path.join(dataDir, 'statusline.js')), 'the script is copied beside the limits');
    assert.equal(await vscode.commands.executeCommand('tokenCost.setUpStatusLine', { confirm: true }), 'unchanged');
    assert.equal(await vscode.commands.executeCommand('tokenCost.undoStatusLine', { confirm: true }), 'undone');
    const after = existsSync(settingsFile) ? (JSON.parse(readFileSync(settingsFile, 'utf8')) as { statusLine?: unknown }) : {};
    assert.deepEqual(after.statusLine, before === undefined ? undefined : (JSON.parse(before) as { statusLine?: unknown }).statusLine);
  });
});
