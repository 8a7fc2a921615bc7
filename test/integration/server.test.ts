import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TokenCostApi } from '../../src/extension';
import { activatedApi, until } from './util';

const todayDollars = (text: string) => Number(/\$([\d,.]+) today/.exec(text)?.[1].replace(/,/g, '') ?? NaN);

describe('the heartbeat endpoint, as an agent fleet uses it from this window', function () {
  let api: TokenCostApi;

  before(async () => {
    api = await activatedApi();
  });

  it('copies the URL and key, accepts a heartbeat with them, refuses one without, and counts it today', async () => {
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      url = await vscode.commands.executeCommand<string | undefined>('tokenCost.copyHeartbeatUrl');
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/api\/agents\/\{agentId\}\/heartbeat$/);
    assert.equal(await vscode.env.clipboard.readText(), url);
    await vscode.commands.executeCommand('tokenCost.copyApiKey');
    const key = await vscode.env.clipboard.readText();
    assert.ok(key.length >= 32, 'a long random key');

    const before = todayDollars(api.statusBarText());
    const target = url!.replace('{agentId}', 'integration-agent');
    const body = JSON.stringify({
      status: 'busy',
      tokens: { model: 'claude-sonnet-4-5', input: 100_000, output: 10_000, requestId: 'int-hb-1' },
    });
    const refused = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(refused.status, 401);
    const ok = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    assert.equal(ok.status, 200);
    const result = (await ok.json()) as { accepted: number; cost: number };
    assert.equal(result.accepted, 1);
    assert.ok(Math.abs(result.cost - 0.45) < 1e-9, `100k input at $3/M + 10k output at $15/M is $0.45, got ${result.cost}`);
    await until('the status bar counts the heartbeat', () => Math.abs(todayDollars(api.statusBarText()) - (before + 0.45)) < 0.006);

    const retry = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    assert.equal(((await retry.json()) as { accepted: number }).accepted, 0, 'a retry with the same requestId is not counted again');
  });
});
