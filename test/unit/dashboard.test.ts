import * as assert from 'node:assert/strict';
import { buildDashboard, type DashboardContext } from '../../src/core/dashboard';
import type { UsageRecord } from '../../src/core/model';
import { displayModelName } from '../../src/core/modelName';
import { bucketsBetween, resolveRange } from '../../src/core/periods';
import { UsageStore } from '../../src/core/store';
import { isDashboardFilter, WORKSPACE_PROJECT, type DashboardFilter } from '../../src/protocol';
import { totals } from '../../src/core/query';

const TZ = 'Europe/Berlin';
// Monday 2026-11-23, 16:00 in Berlin.
const NOW = Date.parse('2026-11-23T15:00:00Z');
const H = 3_600_000;

function rec(key: string, ts: number, o: Partial<UsageRecord> = {}): UsageRecord {
  return {
    dedupKey: key,
    timestamp: ts,
    source: 'claude-code',
    model: 'claude-sonnet-4-5',
    project: '/work/app',
    sessionId: 's1',
    inputTokens: 1000,
    outputTokens: 100,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost: 1,
    unpriced: false,
    isSidechain: false,
    ...o,
  };
}

const ctx = (over: Partial<DashboardContext> = {}): DashboardContext => ({
  timeZone: TZ,
  now: NOW,
  scanned: true,
  storageRole: 'memory',
  budget: {},
  thresholds: [80, 100],
  costThreshold: 100,
  burnRatePerHour: 20,
  workspaceFolders: ['/work/app'],
  gettingStarted: { transcriptRoots: ['/home/me/.claude/projects'] },
  ...over,
});

/** A week of mixed usage: what each figure must add up to is written beside it. */
async function store(): Promise<UsageStore> {
  const s = await UsageStore.open(null);
  s.insert([
    rec('a', NOW - 10 * 60_000, { cost: 3, outputTokens: 500 }), // today, in the burn window and the running block
    rec('b', NOW - 2 * H, { model: 'claude-opus-4-5', cost: 10, inputTokens: 2000, sessionId: 's2' }), // today
    rec('c', NOW - 26 * H, { model: 'claude-haiku-4-5', cost: 0.1, inputTokens: 5000, outputTokens: 0 }), // yesterday
    rec('d', NOW - 7 * 24 * H, { cost: 4, project: '/work/other', sessionId: 's3' }), // same day last week
    rec('e', NOW - 3 * H, { source: 'heartbeat', model: 'gpt-5', project: 'fleet', sessionId: 'nexus', cost: 2 }),
    rec('f', NOW - 4 * H, {
      source: 'manual',
      model: 'unspecified',
      project: '<b>site</b>',
      sessionId: 'write docs',
      cost: 0,
      unpriced: true,
    }),
    rec('g', Date.parse('2026-10-15T10:00:00Z'), { cost: 50 }), // last month
  ]);
  return s;
}

describe('dashboard: the figures every section shows', () => {
  it('follows the chosen cost rules and shows the other figure beside them', async () => {
    const s = await store();
    s.insert([rec('long', NOW - 30 * 60_000, { cost: 1, apiCost: 1.5 })]);
    const range = { kind: 'preset', preset: 'today' } as const;
    const ccusage = buildDashboard(s, { range }, ctx());
    const api = buildDashboard(s, { range }, ctx({ costRules: 'api' }));
    assert.equal(ccusage.costRules, 'ccusage');
    assert.ok(Math.abs(api.kpis.cost - ccusage.kpis.cost - 0.5) < 1e-9, 'the API figure is 0.5 higher');
    assert.ok(Math.abs(ccusage.kpis.otherRulesCost! - api.kpis.cost) < 1e-9);
    assert.ok(Math.abs(api.kpis.otherRulesCost! - ccusage.kpis.cost) < 1e-9);
    assert.ok(Math.abs(api.models.reduce((n, m) => n + m.cost, 0) - api.kpis.cost) < 1e-9, 'model rows follow the rules too');
  });

  it('counts <synthetic> placeholder tokens in the figures but lists no model row for them', async () => {
    const s = await store();
    s.insert([rec('syn', NOW - 20 * 60_000, { model: '<synthetic>', inputTokens: 3, outputTokens: 0, cost: 0 })]);
    const d = buildDashboard(s, { range: { kind: 'preset', preset: 'today' } }, ctx());
    assert.ok(!d.models.some((m) => m.model === '<synthetic>'), 'no <synthetic> model row');
    assert.ok(!d.costShare.some((c) => c.model === '<synthetic>'));
    assert.equal(d.kpis.totalTokens - d.models.reduce((n, m) => n + m.totalTokens, 0), 3, "the placeholder's 3 tokens are in the total");
  });

  it('totals, buckets and breakdowns of the last 30 days add up to the same numbers', async () => {
    const s = await store();
    const d = buildDashboard(s, { range: { kind: 'preset', preset: 'last30' } }, ctx());
    assert.equal(d.kpis.requests, 6);
    assert.ok(Math.abs(d.kpis.cost - 19.1) < 1e-9);
    assert.equal(d.range.bucket, 'day');
    assert.equal(d.trend.length, 30, 'one bucket per day, empty days included');
    assert.equal(d.trend.at(-1)!.label, '2026-11-23');
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum(d.trend.map((p) => p.cost)) - d.kpis.cost) < 1e-9);
    assert.equal(sum(d.trend.map((p) => p.requests)), d.kpis.requests);
    assert.equal(sum(d.trend.map((p) => p.totalTokens)), d.kpis.totalTokens);
    assert.ok(Math.abs(sum(d.models.map((m) => m.cost)) - d.kpis.cost) < 1e-9);
    assert.deepEqual(
      d.models.map((m) => m.model),
      ['claude-opus-4-5', 'claude-sonnet-4-5', 'gpt-5', 'claude-haiku-4-5', 'unspecified'],
    );
    assert.ok(Math.abs(sum(d.costShare.map((c) => c.share)) - 100) < 1e-9);
    assert.deepEqual(d.trendSources, ['claude-code', 'heartbeat', 'manual']);
    assert.equal(d.trend.at(-1)!.costBySource['claude-code'], 13);
    assert.deepEqual(d.kpis.unpricedModels, ['unspecified']);
    assert.ok(d.alerts.some((a) => a.id === 'unpriced'));
    assert.deepEqual(d.todayKpis.cost, 15, 'today: a, b, e, f');
  });

  it('derives the insights a user acts on', async () => {
    const s = await store();
    const d = buildDashboard(s, { range: { kind: 'preset', preset: 'last30' } }, ctx({ budget: { daily: 16, monthly: 40 } }));
    const i = d.insights;
    assert.equal(i.mostEfficientModel?.model, 'claude-haiku-4-5');
    assert.equal(i.mostUsedModel?.model, 'claude-sonnet-4-5', 'most requests');
    assert.ok(i.optimization && i.optimization.saving > 0 && i.optimization.savingPct < 100);
    assert.equal(i.burn.costPerHour, 12, '$3 in the last 15 minutes');
    assert.equal(i.activeSessions, 1, 'only s1 had a request in the last 30 minutes');
    assert.deepEqual([i.days.today, i.days.yesterday, i.days.sameDayLastWeek], [15, 0.1, 4]);
    assert.ok(Math.abs(i.month.cost - 19.1) < 1e-9);
    assert.ok(i.month.projected > i.month.cost, 'the month is not over');
    assert.ok(i.block, 'a 5-hour block is running');
    assert.equal(i.block!.start, Date.parse('2026-11-23T11:00:00Z'), 'from the hour of its first request (f, 4 hours ago)');
    assert.equal(i.block!.cost, 15);
    const ids = d.alerts.map((a) => `${a.id}:${a.severity}`);
    assert.ok(ids.includes('budget-daily:warning'), `${ids}`); // 15 of 16
    assert.ok(!ids.some((i) => i.startsWith('budget-monthly')), `19.1 of 40 is under 80 %: ${ids}`);
  });

  it('narrows every figure by source, provider, model, project and agent', async () => {
    const s = await store();
    const base: DashboardFilter = { range: { kind: 'preset', preset: 'last30' } };
    const by = (f: Partial<DashboardFilter>) => buildDashboard(s, { ...base, ...f }, ctx()).kpis;
    assert.equal(by({ source: 'heartbeat' }).cost, 2);
    assert.equal(by({ provider: 'Anthropic' }).requests, 4);
    assert.equal(by({ provider: 'OpenAI' }).cost, 2);
    assert.equal(by({ provider: 'Anthropic', model: 'claude-opus-4-5' }).cost, 10);
    assert.equal(by({ project: '/work/other' }).cost, 4);
    assert.equal(by({ project: WORKSPACE_PROJECT }).requests, 3, 'a, b and c are under the open folder /work/app');
    assert.equal(by({ agent: 'nexus' }).cost, 2);
    assert.equal(by({ agent: 'manual' }).requests, 1);
    assert.deepEqual(buildDashboard(s, { ...base, source: 'claude-code' }, ctx()).tasks, [], 'Claude Code sessions are not tasks');
    assert.deepEqual(
      buildDashboard(s, { ...base, source: 'manual' }, ctx()).tasks.map((t) => t.task),
      ['write docs'],
    );
    const none = buildDashboard(s, { ...base, model: 'no-such-model' }, ctx());
    assert.equal(none.kpis.requests, 0);
    assert.equal(none.recordCount, 7, 'the database is not empty: a filter is');
  });

  it('offers the sources, models and agents stored since the last answer, and counts the requests pruned since', async () => {
    const s = await store();
    const range = { kind: 'preset', preset: 'last30' } as const;
    const first = buildDashboard(s, { range }, ctx());
    assert.ok(!first.options.sources.includes('codex'));
    first.options.sources.push('edited by a caller');
    first.options.agents.length = 0;
    s.insert([
      rec('new-codex', NOW - 5 * 60_000, { source: 'codex', model: 'gpt-5-codex', project: '/work/new', sessionId: 'c1', cost: 1 }),
      rec('new-agent', NOW - 6 * 60_000, { source: 'heartbeat', model: 'gpt-5', project: 'fleet', sessionId: 'orion', cost: 1 }),
    ]);
    const next = buildDashboard(s, { range }, ctx());
    assert.ok(next.options.sources.includes('codex'), `${next.options.sources}`);
    assert.ok(!next.options.sources.includes('edited by a caller'), 'an earlier payload is its own copy');
    assert.ok(next.options.models.some((m) => m.model === 'gpt-5-codex'));
    assert.ok(next.options.projects.includes('/work/new'));
    assert.ok(
      next.options.agents.includes('codex') && next.options.agents.includes('orion') && next.options.agents.includes('nexus'),
      `${next.options.agents}`,
    );
    assert.equal(next.recordCount, 9);
    s.prune(NOW - 20 * 24 * H); // drops g, last month
    assert.equal(buildDashboard(s, { range }, ctx()).recordCount, 8);
  });

  it('keeps names as data: HTML in a project or task is returned verbatim, never interpreted', async () => {
    const s = await store();
    const d = buildDashboard(s, { range: { kind: 'preset', preset: 'today' } }, ctx());
    assert.ok(d.projects.some((p) => p.project === '<b>site</b>'));
    assert.ok(d.tasks.some((t) => t.task === 'write docs' && t.source === 'manual'));
    assert.ok(d.tasks.some((t) => t.task === 'nexus' && t.agent === 'nexus'));
    assert.equal(d.recent[0].cost, 3, 'newest first');
    assert.equal(d.range.bucket, 'hour');
    assert.equal(d.trend.length, 24);
  });

  it('ranks the agents by what a dollar bought: tasks and requests per dollar', async () => {
    const s = await store();
    const d = buildDashboard(s, { range: { kind: 'preset', preset: 'last30' } }, ctx());
    const by = new Map(d.agents.map((a) => [a.agent, a]));
    assert.deepEqual([...by.keys()], ['nexus', 'claude-code', 'manual'], 'most tasks per dollar first; the agent that cost nothing last');
    const cc = by.get('claude-code')!;
    assert.equal(cc.requests, 4);
    assert.equal(cc.tasks, 3, 'a and c share session s1 in /work/app; b is s2, d is s3 in /work/other');
    assert.ok(Math.abs(cc.cost - 17.1) < 1e-9);
    assert.ok(Math.abs(cc.requestsPerDollar! - 4 / 17.1) < 1e-9);
    assert.ok(Math.abs(cc.tasksPerDollar! - 3 / 17.1) < 1e-9);
    assert.deepEqual([by.get('nexus')!.requests, by.get('nexus')!.tasks, by.get('nexus')!.tasksPerDollar], [1, 1, 0.5]);
    assert.equal(by.get('manual')!.tasksPerDollar, null, 'no cost, no ratio');
    const sum = d.agents.reduce((t, a) => t + a.cost, 0);
    assert.ok(Math.abs(sum - d.kpis.cost) < 1e-9, 'the agents add up to the total');
  });

  it("draws the Hour view's trend in 2-minute steps", async () => {
    const s = await store();
    const d = buildDashboard(s, { range: { kind: 'quick', quick: 'hour' } }, ctx());
    assert.equal(d.range.bucket, 'twoMinutes');
    assert.ok(d.trend.length >= 30 && d.trend.length <= 31, `${d.trend.length} buckets`);
    assert.ok(d.trend.every((p, i) => i === 0 || p.start - d.trend[i - 1].start === 120_000));
    const hit = d.trend.filter((p) => p.requests > 0);
    assert.equal(hit.length, 1, 'the one request of the last hour (a, 10 minutes ago) is in one bucket');
    assert.equal(hit[0].label, '15:50', '16:00 Berlin minus 10 minutes');
    assert.equal(hit[0].cost, 3);
  });

  it('gives cards and charts short model names and keeps the exact id beside them', async () => {
    const s = await store();
    s.insert([rec('h', NOW - H, { model: 'anthropic/claude-sonnet-4-20250514', cost: 0.5 })]);
    const d = buildDashboard(s, { range: { kind: 'preset', preset: 'today' } }, ctx());
    const row = d.models.find((m) => m.model === 'anthropic/claude-sonnet-4-20250514')!;
    assert.equal(row.displayName, 'sonnet-4');
    assert.equal(d.models.find((m) => m.model === 'claude-opus-4-5')!.displayName, 'opus-4-5');
    const slice = d.costShare.find((c) => c.model === 'claude-opus-4-5')!;
    assert.equal(slice.label, 'opus-4-5');
    assert.equal(d.insights.mostUsedModel?.displayName, displayModelName(d.insights.mostUsedModel!.model));
  });

  it('resolves ranges to local days and buckets across a DST change', () => {
    const r = resolveRange({ kind: 'preset', preset: 'lastMonth' }, TZ, NOW);
    assert.equal(r.start, Date.parse('2026-09-30T22:00:00Z'));
    assert.equal(r.end, Date.parse('2026-10-31T23:00:00Z'), 'October ends in winter time');
    const days = bucketsBetween(r.start!, r.end!, 'day', TZ);
    assert.equal(days.length, 31);
    assert.equal(days.find((b) => b.label === '2026-10-25')!.end - days.find((b) => b.label === '2026-10-25')!.start, 25 * H);
    assert.throws(() => resolveRange({ kind: 'custom', from: '2026-11-10', until: '2026-11-01' }, TZ, NOW), /before/);
  });

  it('matches a Windows workspace folder whatever the case of its drive letter', async () => {
    const s = await UsageStore.open(null);
    s.insert([rec('w1', NOW - H, { project: 'C:\\Users\\me\\app\\web' }), rec('w2', NOW - H, { project: 'C:\\Users\\me\\apple' })]);
    assert.equal(
      totals(s, { projects: ['c:\\Users\\me\\app'] }).requests,
      1,
      'the folder and what is under it, not a sibling sharing its prefix',
    );
    const d = buildDashboard(
      s,
      { range: { kind: 'preset', preset: 'today' }, project: WORKSPACE_PROJECT },
      ctx({ workspaceFolders: ['c:\\Users\\me\\app'] }),
    );
    assert.equal(d.kpis.requests, 1);
  });

  it('accepts only the filters the page offers', () => {
    assert.ok(isDashboardFilter({ range: { kind: 'preset', preset: 'last7' }, model: 'claude-opus-4-5' }));
    assert.ok(isDashboardFilter({ range: { kind: 'custom', from: '2026-11-01', until: '2026-11-23' } }));
    for (const bad of [
      null,
      {},
      { range: { kind: 'quick', quick: 'year' } },
      { range: { kind: 'preset', preset: 'forever' } },
      { range: { kind: 'custom', from: '0050-01-01', until: '2026-01-01' } },
      { range: { kind: 'custom', from: '2026-11-23', until: '2026-11-01' } },
      { range: { kind: 'preset', preset: 'today' }, model: 42 },
    ])
      assert.equal(isDashboardFilter(bad), false, JSON.stringify(bad));
  });
});
