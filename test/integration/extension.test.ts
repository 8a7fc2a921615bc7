import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TokenCostApi } from '../../src/extension';
import { cliDaily, EXTENSION_ID, localToday } from './util';

function findTranscripts(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTranscripts(full));
    else if (name.endsWith('.jsonl')) out.push(full);
  }
  return out;
}

describe('Token Cost Dashboard in the extension host', function () {
  let api: TokenCostApi;

  before(async function () {
    const home = os.homedir();
    assert.ok(
      process.env.TOKEN_COST_FIXTURE_HOME && path.resolve(home) === path.resolve(process.env.TOKEN_COST_FIXTURE_HOME),
      `the extension host must run with the fixture HOME (HOME=${home}), never the machine's own ~/.claude`,
    );
    const ext = vscode.extensions.getExtension<TokenCostApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
    await api.whenReady();
  });

  it('activates and registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['tokenCost.openDashboard', 'tokenCost.refresh', 'tokenCost.exportCsv']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });

  it("shows today's spend in the status bar, equal to the CLI's today total", () => {
    const today = cliDaily().daily.find((d) => d.date === localToday());
    assert.ok(today, 'the fixture has usage today');
    assert.ok(today.totalCost > 0);
    assert.equal(api.statusBarText(), `$(graph) $${today.totalCost.toFixed(2)} today`);
  });

  it('exports one CSV row per request whose sums equal the CLI totals', async () => {
    const target = vscode.Uri.file(path.join(mkdtempSync(path.join(os.tmpdir(), 'tcd-export-')), 'usage.csv'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('tokenCost.exportCsv', target);
    assert.equal(written?.fsPath, target.fsPath);
    const [header, ...rows] = readFileSync(target.fsPath, 'utf8').trim().split('\n');
    const cols = header.split(',');
    const costCol = cols.indexOf('Cost');
    const totalCol = cols.indexOf('Total tokens');
    assert.ok(costCol > 0 && totalCol > 0, header);
    const cli = cliDaily();
    const sumCost = rows.reduce((s, r) => s + Number(r.split(',')[costCol]), 0);
    const sumTokens = rows.reduce((s, r) => s + Number(r.split(',')[totalCol]), 0);
    assert.ok(Math.abs(sumCost - cli.totals.totalCost) < 1e-9, `${sumCost} vs ${cli.totals.totalCost}`);
    assert.equal(sumTokens, cli.totals.totalTokens);
    assert.ok(rows.length > 0);
  });

  it('opens the dashboard from its command', async () => {
    await vscode.commands.executeCommand('tokenCost.openDashboard');
    assert.equal(api.isDashboardOpen(), true);
  });

  it('updates the status bar when an agent appends usage', async () => {
    const before = api.statusBarText();
    const file = findTranscripts(path.join(os.homedir(), '.claude', 'projects')).find((f) => !f.includes('subagents'));
    assert.ok(file);
    const line = {
      type: 'assistant',
      cwd: '/home/me/app',
      sessionId: 'live-session',
      timestamp: new Date().toISOString(),
      requestId: 'req_live_1',
      message: {
        id: 'msg_live_1',
        model: 'claude-opus-4-5-20251101',
        usage: { input_tokens: 1000, output_tokens: 40_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    };
    // A file being written may end without a newline; the appended line completes it first.
    const text = readFileSync(file, 'utf8');
    appendFileSync(file, `${text.endsWith('\n') ? '' : '\n'}${JSON.stringify(line)}\n`);
    await vscode.commands.executeCommand('tokenCost.refresh');
    const today = cliDaily().daily.find((d) => d.date === localToday());
    assert.ok(today);
    assert.equal(api.statusBarText(), `$(graph) $${today.totalCost.toFixed(2)} today`);
    assert.notEqual(api.statusBarText(), before);
  });

  it('shows a line an agent appends without any refresh (file watcher)', async () => {
    const before = api.statusBarText();
    const file = findTranscripts(path.join(os.homedir(), '.claude', 'projects')).find((f) => !f.includes('subagents'));
    assert.ok(file);
    const line = {
      type: 'assistant',
      cwd: '/home/me/app',
      sessionId: 'live-session',
      timestamp: new Date().toISOString(),
      requestId: 'req_live_2',
      message: {
        id: 'msg_live_2',
        model: 'claude-opus-4-5-20251101',
        usage: { input_tokens: 2000, output_tokens: 60_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    };
    const appendedAt = Date.now();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    const today = () => cliDaily().daily.find((d) => d.date === localToday());
    const expected = `$(graph) $${today()!.totalCost.toFixed(2)} today`;
    assert.notEqual(expected, before);
    while (api.statusBarText() !== expected && Date.now() - appendedAt < 20_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(api.statusBarText(), expected);
    console.log(`      appended line visible in the status bar after ${Date.now() - appendedAt} ms`);
  });

  it('keeps the history of a transcript Claude Code deleted, and after a rebuild', async () => {
    const file = findTranscripts(path.join(os.homedir(), '.claude', 'projects')).find((f) => f.includes('-home-me-api'));
    assert.ok(file);
    const before = api.statusBarText();
    const moved = path.join(mkdtempSync(path.join(os.tmpdir(), 'tcd-gone-')), 'gone.jsonl');
    renameSync(file, moved); // what Claude Code's 30-day clean-up does
    await vscode.commands.executeCommand('tokenCost.refresh');
    assert.equal(api.statusBarText(), before, 'deleting a transcript does not erase its spend');
    const rebuilt = await vscode.commands.executeCommand<{ reread: number; keptFromDatabase: number }>('tokenCost.rebuildDatabase', {
      confirmed: true,
    });
    assert.ok(rebuilt && rebuilt.keptFromDatabase >= 2, `requests of the deleted transcript were kept (${JSON.stringify(rebuilt)})`);
    assert.equal(api.statusBarText(), before, 'a rebuild keeps them too');
    renameSync(moved, file);
  });
});
