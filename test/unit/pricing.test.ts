import * as assert from 'node:assert/strict';
import { PriceTable } from '../../src/core/pricing/pricing';

const zero = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} != ${b}`);

describe('pricing', () => {
  const prices = new PriceTable();

  it('matches exact keys, provider prefixes and date-less names', () => {
    const exact = prices.lookup('claude-sonnet-4-5-20250929');
    assert.ok(exact);
    assert.deepEqual(prices.lookup('anthropic/claude-sonnet-4-5-20250929'), exact);
    assert.deepEqual(prices.lookup('claude-sonnet-4-5'), exact);
    // Bedrock's regional endpoints cost 10 % more, as LiteLLM lists them.
    assert.equal(prices.lookup('us.anthropic.claude-sonnet-4-5-20250929-v1:0')?.input_cost_per_token, 3.3e-6);
    // OpenAI's dated names ("-2025-08-07") without a key of their own.
    assert.deepEqual(prices.lookup('gpt-4.1-nano-2099-01-01'), prices.lookup('gpt-4.1-nano'));
  });

  it('never lets claude-opus-4 take the price of claude-opus-4-5 (or the reverse)', () => {
    const opus4 = prices.lookup('claude-opus-4');
    const opus45 = prices.lookup('claude-opus-4-5');
    assert.ok(opus4 && opus45);
    assert.equal(opus4.input_cost_per_token, 15e-6);
    assert.equal(opus45.input_cost_per_token, 5e-6);
    // A name that is a whole part of longer keys takes the longest of them, as in ccusage.
    assert.equal(prices.lookup('claude-opus')?.input_cost_per_token, 5e-6);
    // Exact, then provider-stripped, then date-stripped, never another version.
    assert.equal(prices.lookup('anthropic/claude-opus-4')?.input_cost_per_token, 15e-6);
    assert.equal(prices.lookup('claude-opus-4-20990101')?.input_cost_per_token, 15e-6);
    assert.equal(prices.lookup('claude-opus-4-5-20990101')?.input_cost_per_token, 5e-6);
    // No LiteLLM key matches it; ccusage's models.dev snapshot has o4-mini, a whole part of it.
    assert.equal(prices.lookup('o4-mini-deep-thought')?.input_cost_per_token, 1.1e-6);
    assert.equal(prices.lookup('claude-opus-4-9'), null);
  });

  it('prices input, output, cache write and cache read', () => {
    const { cost, priced } = prices.cost(
      'claude-sonnet-4-5-20250929',
      { inputTokens: 1000, outputTokens: 500, cacheWriteTokens: 2000, cacheWrite1hTokens: 0, cacheReadTokens: 10000 },
      null,
      'auto',
    );
    assert.equal(priced, true);
    close(cost, 1000 * 3e-6 + 500 * 15e-6 + 2000 * 3.75e-6 + 10000 * 0.3e-6);
  });

  it('prices 1-hour cache writes at twice the input rate', () => {
    const { cost } = prices.cost('claude-haiku-4-5-20251001', { ...zero, cacheWriteTokens: 3000, cacheWrite1hTokens: 1000 }, null, 'auto');
    close(cost, 2000 * 1.25e-6 + 1000 * 2 * 1e-6);
  });

  it('prices tokens above 200k at the tiered rate, per token kind', () => {
    const { cost } = prices.cost('claude-sonnet-4-5-20250929', { ...zero, inputTokens: 250_000, outputTokens: 10 }, null, 'auto');
    close(cost, 200_000 * 3e-6 + 50_000 * 6e-6 + 10 * 15e-6);
  });

  it('tiers 1-hour cache writes above 200k at twice the above-200k input rate', () => {
    const p = prices.lookup('claude-sonnet-4-5-20250929')!;
    const { cost } = prices.cost(
      'claude-sonnet-4-5-20250929',
      { ...zero, cacheWriteTokens: 300_000, cacheWrite1hTokens: 300_000 },
      null,
      'auto',
    );
    close(cost, 200_000 * 2 * p.input_cost_per_token + 100_000 * 2 * p.input_cost_per_token_above_200k_tokens!);
  });

  it('uses a reported costUSD in auto and display modes, and recomputes in calculate mode', () => {
    const t = { ...zero, inputTokens: 1000 };
    assert.equal(prices.cost('claude-sonnet-4-5', t, 0.5, 'auto').cost, 0.5);
    assert.equal(prices.cost('claude-sonnet-4-5', t, 0.5, 'display').cost, 0.5);
    close(prices.cost('claude-sonnet-4-5', t, 0.5, 'calculate').cost, 1000 * 3e-6);
    assert.equal(prices.cost('claude-sonnet-4-5', t, null, 'display').cost, 0);
  });

  it('reports unknown models as unpriced instead of silently free; <synthetic> is free', () => {
    assert.deepEqual(prices.cost('gpt-99-ultra', { ...zero, inputTokens: 5 }, null, 'auto'), { cost: 0, priced: false });
    assert.deepEqual(prices.cost('<synthetic>', { ...zero, inputTokens: 5 }, null, 'auto'), { cost: 0, priced: true });
  });

  it('applies an override of a bare name to the dated and prefixed names agents write', () => {
    const custom = new PriceTable({ 'claude-sonnet-4-5': { input: 1, output: 2 } });
    for (const name of ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4-5-20250929']) {
      assert.equal(custom.lookup(name)?.input_cost_per_token, 1e-6, name);
    }
    assert.equal(custom.lookup('claude-sonnet-4-6')?.input_cost_per_token, 3e-6, 'another version keeps its price');
    assert.equal(custom.fastMultiplier('claude-opus-4-8'), 2);
    assert.equal(new PriceTable({ 'claude-opus-4-8': { fast: 3 } }).fastMultiplier('claude-opus-4-8'), 3, 'fast alone');
    assert.equal(new PriceTable({ 'claude-opus-4-8': { fast: 3 } }).lookup('claude-opus-4-8')?.input_cost_per_token, 5e-6, 'the rest kept');
  });

  it('applies user overrides given per million tokens', () => {
    const custom = new PriceTable({ 'my-model': { input: 2, output: 8 } });
    const { cost, priced } = custom.cost(
      'my-model',
      { ...zero, inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 1_000_000 },
      null,
      'auto',
    );
    assert.equal(priced, true);
    close(cost, 2 + 8 + 0.2);
  });
});
