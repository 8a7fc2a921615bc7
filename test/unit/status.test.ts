import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeExport } from '../../src/core/export';
import { agentOf, providerOf, type UsageRecord } from '../../src/core/model';
import { customRange, monthRange, timeframeRange } from '../../src/core/periods';
import { totals } from '../../src/core/query';
import { crossedThresholds, statusSummary } from '../../src/core/status';
import { UsageStore } from '../../src/core/store';
import { tempDir } from './helpers';

const NOW = Date.parse('2026-11-23T15:00:00Z');
function rec(key: string, ts: number, cost: number, o: Partial<UsageRecord> = {}): UsageRecord {
  return {
    dedupKey: key,
    timestamp: ts,
    source: 'claude-code',
    model: 'claude-sonnet-4-5-20250929',
    project: '/p',
    sessionId: 's',
    inputTokens: 100,
    outputTokens: 10,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost,
    unpriced: false,
    isSidechain: false,
    ...o,
  };
}

describe('status: what the badge and the budget alerts count', () => {
  it('names the unpriced models as the all-time totals do, also once a priced copy replaced the only unpriced one', async () => {
    const s = await UsageStore.open(null);
    s.insert([
      rec('u1', NOW - 60_000, 0, { model: 'mystery-b', unpriced: true }),
      rec('u2', Date.parse('2026-01-05T10:00:00Z'), 0, { model: 'mystery-a', unpriced: true }),
      rec('u3', NOW - 120_000, 0, { model: 'mystery-c', unpriced: true }),
      rec('p1', NOW - 60_000, 1),
    ]);
    assert.deepEqual(statusSummary(s, 'UTC', {}, NOW).unpricedModels, ['mystery-a', 'mystery-b', 'mystery-c']);
    // The more complete copy of u3 has a price now: mystery-c has no unpriced request left.
    s.insert([rec('u3', NOW - 120_000, 0.5, { model: 'mystery-c', outputTokens: 20 })]);
    const sum = statusSummary(s, 'UTC', {}, NOW);
    assert.deepEqual(sum.unpricedModels, ['mystery-a', 'mystery-b']);
    assert.deepEqual(sum.unpricedModels, totals(s).unpricedModels);
  });

  it('sums today, the month and the last 15 minutes in the configured zone', async () => {
    const s = await UsageStore.open(null);
    s.insert([
      rec('a', NOW - 5 * 60_000, 2), // today, within the burn window
      rec('b', NOW - 3 * 3600_000, 1), // today
      rec('c', Date.parse('2026-11-02T10:00:00Z'), 10), // this month
      rec('d', Date.parse('2026-10-31T10:00:00Z'), 100), // last month
      rec('e', NOW - 60_000, 0, { model: 'mystery-model', unpriced: true }),
    ]);
    const sum = statusSummary(s, 'Europe/Berlin', { daily: 4, monthly: 50 }, NOW);
    assert.equal(sum.day, '2026-11-23');
    assert.equal(sum.today.cost, 3);
    assert.equal(sum.monthCost, 13);
    assert.equal(sum.dailyUsedPct, 75);
    assert.equal(sum.monthlyUsedPct, 26);
    assert.equal(sum.burn.costPerHour, 8, '$2 in 15 minutes is $8 an hour');
    assert.deepEqual(sum.unpricedModels, ['mystery-model']);
    assert.equal(sum.topModelsToday[0].model, 'claude-sonnet-4-5-20250929');
    assert.deepEqual(crossedThresholds(sum, [80, 100]), []);
    const over = statusSummary(s, 'Europe/Berlin', { daily: 2.5 }, NOW);
    assert.deepEqual(
      crossedThresholds(over, [80, 100]).map((c) => [c.period, c.periodKey, c.threshold]),
      [['daily', '2026-11-23', 100]],
    );
  });

  it('puts a late-evening request on the local day, not the UTC one', async () => {
    const s = await UsageStore.open(null);
    s.insert([rec('late', Date.parse('2026-11-24T02:00:00Z'), 5)]); // 18:00 on the 23rd in Los Angeles
    assert.equal(statusSummary(s, 'America/Los_Angeles', {}, Date.parse('2026-11-24T03:00:00Z')).today.cost, 5);
    assert.equal(statusSummary(s, 'UTC', {}, Date.parse('2026-11-24T03:00:00Z')).today.cost, 5);
    assert.equal(statusSummary(s, 'Asia/Tokyo', {}, Date.parse('2026-11-24T16:00:00Z')).today.cost, 0);
  });
});

describe('periods and export', () => {
  it('computes timeframes as local calendar periods', () => {
    const tz = 'Europe/Berlin';
    assert.deepEqual(timeframeRange('day', tz, NOW), {
      start: Date.parse('2026-11-22T23:00:00Z'),
      end: Date.parse('2026-11-23T23:00:00Z'),
    });
    assert.equal(timeframeRange('week', tz, NOW).start, Date.parse('2026-11-22T23:00:00Z'), '2026-11-23 is a Monday');
    assert.equal(monthRange(NOW, tz).start, Date.parse('2026-10-31T23:00:00Z'));
    assert.equal(timeframeRange('hour', tz, NOW).start, NOW - 3_600_000);
    assert.deepEqual(timeframeRange('all', tz, NOW), {});
    assert.throws(() => customRange('2026-11-05', '2026-11-01', tz), /before/);
  });

  it('names providers and agents', () => {
    assert.equal(providerOf('claude-opus-4-5-20251101'), 'Anthropic');
    assert.equal(providerOf('anthropic/claude-3-5-haiku'), 'Anthropic');
    assert.equal(providerOf('gpt-5-codex'), 'OpenAI');
    assert.equal(providerOf('o4-mini'), 'OpenAI');
    assert.equal(providerOf('gemini-2.5-pro'), 'Google');
    assert.equal(providerOf('my-local-llama'), 'Other');
    assert.equal(agentOf('heartbeat', 'agent-7'), 'agent-7');
    assert.equal(agentOf('codex', 'sess'), 'codex');
  });

  it('exports JSON whose totals are the sum of its rows, for exactly the range', async () => {
    const s = await UsageStore.open(null);
    s.insert([rec('a', NOW - 1000, 1.5), rec('b', NOW - 2000, 0.25, { project: '=HYPERLINK("x")' }), rec('old', NOW - 40 * 86_400_000, 9)]);
    const file = path.join(tempDir(), 'x.json');
    const n = await writeExport(s, { start: NOW - 86_400_000 }, file, 'json');
    const j = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(n, 2);
    assert.equal(j.requests.length, 2);
    assert.equal(j.totals.cost, 1.75);
    assert.equal(j.totals.totalTokens, 220);
    assert.ok(
      j.requests.some((r: { project: string }) => r.project === '=HYPERLINK("x")'),
      'JSON keeps values verbatim',
    );
  });
});
