// Every model name ccusage 20.0.24 can price costs here what it costs there: one transcript line
// per name (each key of the LiteLLM snapshot and built-in table inside ccusage's binary, with and
// without its provider prefix and its date or version suffix, listed by scripts/ccusage-probe.mjs
// from ccusage itself, not from our table), in three token mixes (below the 200k tier, above it on
// every kind, and in fast mode), priced by ccusage (offline) and by our PriceTable; and a model
// without a price is unpriced in both.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import bundled from '../../src/core/pricing/prices.json';
import { PriceTable, displayModel, type TokenCounts } from '../../src/core/pricing/pricing';

const root = path.resolve(__dirname, '../../..');

const MIXES: { day: string; usage: Record<string, unknown>; counts: TokenCounts; fast: boolean }[] = [
  {
    day: '2026-02-01',
    usage: { input_tokens: 1234, output_tokens: 5678, cache_creation_input_tokens: 9012, cache_read_input_tokens: 34567 },
    counts: { inputTokens: 1234, outputTokens: 5678, cacheWriteTokens: 9012, cacheWrite1hTokens: 0, cacheReadTokens: 34567 },
    fast: false,
  },
  {
    day: '2026-02-02',
    usage: { input_tokens: 250_001, output_tokens: 210_000, cache_creation_input_tokens: 300_000, cache_read_input_tokens: 400_000 },
    counts: { inputTokens: 250_001, outputTokens: 210_000, cacheWriteTokens: 300_000, cacheWrite1hTokens: 0, cacheReadTokens: 400_000 },
    fast: false,
  },
  {
    day: '2026-02-03',
    usage: { input_tokens: 4321, output_tokens: 8765, cache_creation_input_tokens: 1000, cache_read_input_tokens: 20000, speed: 'fast' },
    counts: { inputTokens: 4321, outputTokens: 8765, cacheWriteTokens: 1000, cacheWrite1hTokens: 0, cacheReadTokens: 20000 },
    fast: true,
  },
];

describe('price coverage: every model ccusage prices, priced identically', function () {
  this.timeout(120_000);
  const keys = Object.keys(bundled).filter((k) => !k.startsWith('_'));
  const probe = path.join(root, 'scripts/ccusage-probe.mjs');
  let names: string[] = [];
  let unseen: string[] = [];
  const prices = new PriceTable();
  let theirs: Record<string, number | boolean>;

  before(() => {
    names = JSON.parse(execFileSync(process.execPath, [probe, '--names'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as string[];
    // Names no table holds (a router's prefix, a later date): only name matching can price them.
    unseen = [...new Set(names.flatMap((k) => [`someproxy/${k}`, `${k.replace(/-\d{8}$/, '')}-20991231`]))]
      .filter((n) => !names.includes(n))
      .sort();
    const entries = MIXES.flatMap((m) => [...names, ...unseen].map((model) => ({ day: m.day, model, usage: m.usage })));
    const out = execFileSync(process.execPath, [probe], { input: JSON.stringify(entries), maxBuffer: 1 << 28, encoding: 'utf8' });
    theirs = JSON.parse(out) as Record<string, number | boolean>;
  });

  it('covers the whole snapshot, provider-prefixed keys included', () => {
    assert.ok(keys.length >= 600, `only ${keys.length} keys bundled`);
    for (const prefixed of [
      'azure/gpt-5.4',
      'openrouter/openai/gpt-5.5',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'anthropic.claude-3-5-haiku-20241022-v1:0',
    ]) {
      assert.ok(keys.includes(prefixed), `${prefixed} is not bundled`);
    }
    assert.ok(names.length >= keys.length && unseen.length > keys.length, `${names.length} names, ${unseen.length} unseen`);
  });

  for (const [i, mix] of MIXES.entries()) {
    it(`costs what ccusage says for each of the names, mix ${i + 1} (${mix.fast ? 'fast mode' : i === 1 ? 'above 200k' : 'below 200k'})`, () => {
      const wrong: string[] = [];
      let priced = 0;
      for (const model of names) {
        const row = `${mix.day} ${displayModel(model, mix.fast)}`;
        const expected = Number(theirs[row] ?? 0);
        const got = prices.cost(model, mix.counts, null, 'calculate', { fast: mix.fast });
        if (expected > 0) priced++;
        if (Math.abs(got.cost - expected) > 1e-9 * Math.max(1, expected)) wrong.push(`${model}: ours ${got.cost}, ccusage ${expected}`);
        if (got.priced === (theirs[`missing:${row}`] === true))
          wrong.push(`${model}: ${got.priced ? 'priced here, unpriced in ccusage' : 'unpriced here, priced in ccusage'}`);
      }
      assert.deepEqual(wrong.slice(0, 30), [], `${wrong.length} of ${names.length} names differ`);
      assert.ok(priced > keys.length * 0.9, `ccusage priced only ${priced} names`);
    });
  }

  it('prices names no table holds as ccusage does (its name matching, then its models.dev snapshot)', () => {
    const wrong: string[] = [];
    for (const mix of MIXES) {
      for (const model of unseen) {
        const row = `${mix.day} ${displayModel(model, mix.fast)}`;
        const expected = Number(theirs[row] ?? 0);
        const got = prices.cost(model, mix.counts, null, 'calculate', { fast: mix.fast });
        if (Math.abs(got.cost - expected) > 1e-9 * Math.max(1, expected)) wrong.push(`${model}: ours ${got.cost}, ccusage ${expected}`);
        if (got.priced === (theirs[`missing:${row}`] === true))
          wrong.push(`${model}: ${got.priced ? 'priced here, unpriced in ccusage' : 'unpriced here, priced in ccusage'}`);
      }
    }
    assert.deepEqual(wrong.slice(0, 30), [], `${wrong.length} of ${MIXES.length * unseen.length} differ`);
  });

  it('prices claude-3-5-haiku-20241022, which LiteLLM lists only under provider keys', () => {
    assert.ok(prices.cost('claude-3-5-haiku-20241022', MIXES[0].counts, null, 'calculate').cost > 0);
    assert.equal(
      prices.cost('claude-3-5-haiku-20241022', MIXES[0].counts, null, 'calculate').cost,
      theirs[`${MIXES[0].day} claude-3-5-haiku-20241022`],
    );
  });

  it('never gives claude-opus-4 the price of claude-opus-4-5', () => {
    assert.equal(prices.lookup('claude-opus-4')?.input_cost_per_token, 15e-6);
    assert.equal(prices.lookup('claude-opus-4-20250514')?.input_cost_per_token, 15e-6);
    assert.equal(prices.lookup('claude-opus-4-5')?.input_cost_per_token, 5e-6);
  });
});
