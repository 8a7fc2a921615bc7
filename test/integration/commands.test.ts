import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TokenCostApi } from '../../src/extension';
import { activatedApi, cliDaily, localToday, repo, until } from './util';

const tmpFile = (name: string) => vscode.Uri.file(path.join(mkdtempSync(path.join(os.tmpdir(), 'tcd-cmd-')), name));

describe('Token Cost commands, from the command palette ids', function () {
  let api: TokenCostApi;

  before(async () => {
    api = await activatedApi();
    await vscode.commands.executeCommand('tokenCost.refresh');
  });

  after(async () => {
    const config = vscode.workspace.getConfiguration('tokenCost');
    await config.update('budget.daily', undefined, vscode.ConfigurationTarget.Global);
    await config.update('budget.monthly', undefined, vscode.ConfigurationTarget.Global);
  });

  it('contributes every command it registers, each with the "Token Cost" category', async () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
      contributes: { commands: { command: string; category: string }[] };
    };
    const registered = await vscode.commands.getCommands(true);
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, 'Token Cost', c.command);
      assert.ok(registered.includes(c.command), `${c.command} is registered`);
    }
    const ids = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(ids, [
      'tokenCost.copyApiKey',
      'tokenCost.copyHeartbeatUrl',
      'tokenCost.copyOtelSettings',
      'tokenCost.exportCsv',
      'tokenCost.exportJson',
      'tokenCost.logUsage',
      'tokenCost.openDashboard',
      'tokenCost.rebuildDatabase',
      'tokenCost.refresh',
      'tokenCost.setBudget',
      'tokenCost.setUpStatusLine',
      'tokenCost.showLog',
      'tokenCost.showUnpricedModels',
      'tokenCost.undoStatusLine',
    ]);
  });

  it('exports JSON for all time whose totals equal the CLI', async () => {
    const target = tmpFile('all.json');
    const written = await vscode.commands.executeCommand<vscode.Uri>('tokenCost.exportJson', { target, timeframe: 'all' });
    assert.equal(written?.fsPath, target.fsPath);
    const json = JSON.parse(readFileSync(target.fsPath, 'utf8')) as {
      totals: { cost: number; totalTokens: number; requests: number };
      requests: { cost: number; provider: string; agent: string }[];
    };
    const cli = cliDaily();
    assert.ok(Math.abs(json.totals.cost - cli.totals.totalCost) < 1e-9, `${json.totals.cost} vs ${cli.totals.totalCost}`);
    assert.equal(json.totals.totalTokens, cli.totals.totalTokens);
    assert.equal(json.requests.length, json.totals.requests);
    assert.ok(json.requests.every((r) => r.provider === 'Anthropic' && r.agent.startsWith('claude-code')));
  });

  it("exports today's CSV with the agent and provider columns, summing to the CLI's today", async () => {
    const target = tmpFile('day.csv');
    await vscode.commands.executeCommand('tokenCost.exportCsv', { target, timeframe: 'day' });
    const [header, ...rows] = readFileSync(target.fsPath, 'utf8').trim().split('\n');
    assert.equal(
      header,
      'Timestamp,Model,Session ID,Input tokens,Output tokens,Total tokens,Cost,Source,Agent,Provider,Project,Cache write tokens,Cache read tokens',
    );
    const today = cliDaily().daily.find((d) => d.date === localToday());
    assert.ok(today);
    const sum = rows.reduce((s, r) => s + Number(r.split(',')[6]), 0);
    assert.ok(Math.abs(sum - today.totalCost) < 1e-9, `${sum} vs ${today.totalCost}`);
  });

  it('colours the badge and notifies once per budget threshold', async () => {
    const today = cliDaily().daily.find((d) => d.date === localToday());
    assert.ok(today && today.totalCost > 0);
    const before = api.alertsShown().length;
    // 90 % of the daily budget used: the warning colour and one 80 % notification.
    await vscode.commands.executeCommand('tokenCost.setBudget', {
      period: 'daily',
      amount: Math.ceil((today.totalCost / 0.9) * 100) / 100,
    });
    await until('the warning level', () => api.budgetLevel() === 'warning');
    // A window without the focus (headless) leaves an alert a few seconds to a focused one.
    await until('one notification', () => api.alertsShown().length === before + 1, 20_000);
    assert.match(api.alertsShown().at(-1)!, /80 % of today's budget/);
    assert.match(api.statusBarTooltip(), /Daily budget \| 9\d % of \$/);
    // More updates in the same day do not repeat it.
    await vscode.commands.executeCommand('tokenCost.refresh');
    await vscode.commands.executeCommand('tokenCost.setBudget', { period: 'monthly', amount: 100000 });
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(api.alertsShown().length, before + 1, 'a threshold notifies once per period');
    // Over budget: the error colour and the 100 % notification, once.
    await vscode.commands.executeCommand('tokenCost.setBudget', {
      period: 'daily',
      amount: Math.max(0.01, Math.floor((today.totalCost / 2) * 100) / 100),
    });
    await until('the error level', () => api.budgetLevel() === 'error');
    await until('the 100 % notification', () => api.alertsShown().length === before + 2, 20_000);
    assert.match(api.alertsShown().at(-1)!, /over today's budget/);
    await vscode.commands.executeCommand('tokenCost.setBudget', { period: 'daily', amount: null });
    await until('no budget colour', () => api.budgetLevel() === 'ok');
  });

  it("logs usage by hand, priced, and counts it in today's spend", async () => {
    const before = api.statusBarText();
    const record = await vscode.commands.executeCommand<{ cost: number; source: string; unpriced: boolean }>('tokenCost.logUsage', {
      project: 'website',
      task: 'review',
      model: 'claude-opus-4-5-20251101',
      tokens: 0,
      inputTokens: 100_000,
      outputTokens: 100_000,
    });
    assert.ok(record && record.source === 'manual' && !record.unpriced);
    assert.ok(Math.abs(record.cost - 3.0) < 1e-9, `opus-4-5: 100k in at $5/M + 100k out at $25/M = $3.00, got ${record.cost}`);
    const cost = (t: string) => Number(/\$(\d+\.\d\d)/.exec(t)![1]);
    await until('the status bar to include it', () => Math.abs(cost(api.statusBarText()) - (cost(before) + 3)) < 0.011);
    const bad = await vscode.commands.executeCommand('tokenCost.logUsage', { project: 'x', task: 'y', tokens: -5 });
    assert.equal(bad, undefined, 'negative tokens are refused');
  });

  it('lists unpriced models (none in the fixture) and opens the log', async () => {
    assert.deepEqual(await vscode.commands.executeCommand('tokenCost.showUnpricedModels'), []);
    await vscode.commands.executeCommand('tokenCost.showLog');
  });
});
