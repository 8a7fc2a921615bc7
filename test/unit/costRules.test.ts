// The two cost rule sets on one worked example (README "Cost rules"): ccusage's (per token kind,
// only the tokens past 200k at the higher rate; no geo premium, no search fee) and what the API
// bills (past 200k prompt tokens the whole request at the long-context rates, "us" inference
// 1.1x on Opus 4.6 and later, $10 per 1,000 web searches).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { PriceTable } from '../../src/core/pricing/pricing';
import { tempDir, writeLines } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);

const longPrompt = { inputTokens: 5000, outputTokens: 2000, cacheWriteTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 250_000 };

describe('cost rules: ccusage and api', () => {
  const prices = new PriceTable();

  it('a 255k-token prompt on Sonnet 4.5: ccusage tiers each kind past 200k, the API prices the whole request long', () => {
    // ccusage: 5,000 x $3 + (200,000 x $0.30 + 50,000 x $0.60) cache read + 2,000 x $15 (per MTok)
    close(prices.cost('claude-sonnet-4-5-20250929', longPrompt, null, 'calculate').cost, 0.015 + 0.06 + 0.03 + 0.03, 'ccusage');
    // API: 5,000 x $6 + 250,000 x $0.60 + 2,000 x $22.50
    close(prices.apiCost('claude-sonnet-4-5-20250929', longPrompt, null, 'calculate').cost, 0.03 + 0.15 + 0.045, 'api');
    // Under 200k the two agree.
    const short = { ...longPrompt, cacheReadTokens: 150_000 };
    close(
      prices.apiCost('claude-sonnet-4-5-20250929', short, null, 'calculate').cost,
      prices.cost('claude-sonnet-4-5-20250929', short, null, 'calculate').cost,
      'short',
    );
  });

  it('US-only inference costs 1.1x on Opus 4.6 and later, not before; web searches cost $0.01 each', () => {
    const t = { inputTokens: 1000, outputTokens: 1000, cacheWriteTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 };
    const base46 = prices.cost('claude-opus-4-6', t, null, 'calculate').cost;
    close(prices.apiCost('claude-opus-4-6', t, null, 'calculate', { inferenceGeo: 'us' }).cost, base46 * 1.1, 'opus 4.6 us');
    close(prices.apiCost('claude-opus-4-6', t, null, 'calculate', { inferenceGeo: 'not_available' }).cost, base46, 'opus 4.6 no geo');
    const base45 = prices.cost('claude-opus-4-5', t, null, 'calculate').cost;
    close(prices.apiCost('claude-opus-4-5', t, null, 'calculate', { inferenceGeo: 'us' }).cost, base45, 'opus 4.5 us');
    close(prices.apiCost('claude-opus-4-6', t, null, 'calculate', { webSearchRequests: 3 }).cost, base46 + 0.03, 'searches');
    // A family newer than the 4.x line pays it too; the older naming does not.
    const fable = prices.cost('claude-fable-5', t, null, 'calculate').cost;
    close(prices.apiCost('claude-fable-5', t, null, 'calculate', { inferenceGeo: 'us' }).cost, fable * 1.1, 'claude-fable-5 us');
    const old = prices.cost('claude-3-5-sonnet-20241022', t, null, 'calculate').cost;
    close(prices.apiCost('claude-3-5-sonnet-20241022', t, null, 'calculate', { inferenceGeo: 'us' }).cost, old, 'claude-3-5-sonnet us');
    close(
      prices.apiCost('us.anthropic.claude-opus-4-6-v1', t, null, 'calculate', { inferenceGeo: 'us' }).cost,
      prices.cost('us.anthropic.claude-opus-4-6-v1', t, null, 'calculate').cost * 1.1,
      'bedrock opus 4.6 us',
    );
    // ccusage ignores both.
    close(prices.cost('claude-opus-4-6', t, null, 'calculate', { inferenceGeo: 'us', webSearchRequests: 3 }).cost, base46, 'ccusage');
  });

  it('the CLI reports either figure from one database: --cost-rules api and the default', function () {
    this.timeout(60_000);
    const home = tempDir('tcd-rules-');
    const line = (id: string, model: string, usage: Record<string, unknown>) =>
      JSON.stringify({
        type: 'assistant',
        timestamp: '2026-11-20T10:00:00.000Z',
        requestId: `req_${id}`,
        sessionId: 's',
        cwd: '/w',
        message: { id: `msg_${id}`, model, role: 'assistant', type: 'message', usage },
      });
    writeLines(path.join(home, '.claude', 'projects', '-w', 's.jsonl'), [
      line('long', 'claude-sonnet-4-5-20250929', {
        input_tokens: 5000,
        output_tokens: 2000,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 250_000,
      }),
      line('geo', 'claude-opus-4-6', {
        input_tokens: 1000,
        output_tokens: 1000,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        inference_geo: 'us',
        server_tool_use: { web_search_requests: 3 },
      }),
    ]);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: path.join(home, '.codex'), TZ: 'UTC' };
    delete env.CLAUDE_CONFIG_DIR;
    delete env.XDG_CONFIG_HOME;
    const dataDir = tempDir('tcd-rules-data-');
    const report = (...extra: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, [cli, 'daily', '--json', '-z', 'UTC', '--data-dir', dataDir, ...extra], { env, encoding: 'utf8' }),
      );
    const opus = (1000 * 5 + 1000 * 25) / 1e6;
    close(report().totals.totalCost, 0.135 + opus, 'ccusage rules');
    close(report('--cost-rules', 'api').totals.totalCost, 0.225 + opus * 1.1 + 0.03, 'api rules');
    close(report('--cost-rules', 'ccusage').totals.totalCost, 0.135 + opus, 'ccusage rules again, same database');
  });

  it("the seed verbs follow --cost-rules too: today's cost and the per-project table", function () {
    this.timeout(60_000);
    const home = tempDir('tcd-rules-today-');
    writeLines(path.join(home, '.claude', 'projects', '-w', 's.jsonl'), [
      JSON.stringify({
        type: 'assistant',
        timestamp: new Date().toISOString(),
        requestId: 'req_today',
        sessionId: 's',
        cwd: '/w',
        message: {
          id: 'msg_today',
          model: 'claude-sonnet-4-5-20250929',
          role: 'assistant',
          type: 'message',
          usage: { input_tokens: 5000, output_tokens: 2000, cache_creation_input_tokens: 0, cache_read_input_tokens: 250_000 },
        },
      }),
    ]);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: path.join(home, '.codex'), TZ: 'UTC' };
    delete env.CLAUDE_CONFIG_DIR;
    delete env.XDG_CONFIG_HOME;
    const dataDir = tempDir('tcd-rules-data-');
    const today = (...extra: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, [cli, 'today', '--json', '-z', 'UTC', '--data-dir', dataDir, ...extra], { env, encoding: 'utf8' }),
      );
    close(today().totalCost, 0.135, 'today, ccusage rules');
    close(today('--cost-rules', 'api').totalCost, 0.225, 'today, api rules');
    const project = execFileSync(process.execPath, [cli, 'project', '--data-dir', dataDir, '--cost-rules', 'api'], {
      env,
      encoding: 'utf8',
    });
    assert.match(project, /0\.225|0\.23/, `project table under api rules: ${project}`);
  });
});
