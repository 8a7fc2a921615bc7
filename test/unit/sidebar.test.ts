import * as assert from 'node:assert/strict';
import { buildDashboard, type DashboardContext } from '../../src/core/dashboard';
import type { UsageRecord } from '../../src/core/model';
import { buildSidebar } from '../../src/core/sidebar';
import { UsageStore } from '../../src/core/store';
import type { DashboardFilter } from '../../src/protocol';

const TZ = 'Europe/Berlin';
const MIN = 60_000;
const H = 60 * MIN;
// Monday 2026-11-23, 16:00 in Berlin.
const NOW = Date.parse('2026-11-23T15:00:00Z');

function rec(key: string, ts: number, o: Partial<UsageRecord> = {}): UsageRecord {
  return {
    dedupKey: key,
    timestamp: ts,
    source: 'claude-code',
    model: 'claude-sonnet-4-5',
    project: '/work/app',
    sessionId: 's1',
    inputTokens: 1000,
    outputTokens: 200,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 300,
    reportedCost: null,
    cost: 1,
    unpriced: false,
    isSidechain: false,
    ...o,
  };
}

async function fixture(): Promise<UsageStore> {
  const s = await UsageStore.open(null);
  s.insert([
    rec('now', NOW, { cost: 0.5 }),
    rec('burn', NOW - 5 * MIN, { cost: 30, outputTokens: 800, model: 'claude-opus-4-5-20251101' }), // a high burn rate
    rec('active', NOW - 20 * MIN, { sessionId: 's2', cost: 3, apiCost: 4.5 }),
    rec('heartbeat', NOW - 10 * MIN, { source: 'heartbeat', model: 'gpt-5', project: 'fleet', sessionId: 'nexus', cost: 1.25 }),
    rec('codex', NOW - 3 * H, { source: 'codex', model: 'gpt-5-codex', project: '/work/other', sessionId: 'c1', cost: 2.5 }),
    rec('haiku', NOW - 7 * H, { model: 'claude-haiku-4-5-20251001', cost: 0.2 }),
    rec('gemini', NOW - 8 * H, { model: 'gemini-2.5-pro', source: 'workspace', cost: 0.7 }),
    rec('mini', NOW - 9 * H, { model: 'gpt-5-mini', source: 'codex', sessionId: 'c2', cost: 0.1 }),
    rec('unpriced', NOW - 2 * H, { model: 'my-local-model', source: 'manual', sessionId: 'task', cost: 0, unpriced: true }),
    rec('yesterday', NOW - 26 * H, { cost: 5 }),
    rec('month', Date.parse('2026-11-02T10:00:00Z'), { cost: 20 }),
    rec('lastMonth', Date.parse('2026-10-20T10:00:00Z'), { cost: 100 }),
  ]);
  return s;
}

const ctx = (o: Partial<DashboardContext> = {}): DashboardContext => ({
  timeZone: TZ,
  now: NOW,
  scanned: true,
  storageRole: 'memory',
  budget: { daily: 40, monthly: 60 },
  thresholds: [50, 100],
  costThreshold: 10,
  burnRatePerHour: 20,
  workspaceFolders: ['/work/app'],
  gettingStarted: { transcriptRoots: ['/home/me/.claude/projects'] },
  ...o,
});

describe('sidebar: its own small payload, the same figures as the dashboard', () => {
  const filters: [string, DashboardFilter][] = [
    ['last 30 days', { range: { kind: 'preset', preset: 'last30' } }],
    ['today', { range: { kind: 'preset', preset: 'today' } }],
    ['all time', { range: { kind: 'preset', preset: 'all' } }],
    ['this month, Codex only', { range: { kind: 'preset', preset: 'thisMonth' }, source: 'codex' }],
    ['last 7 days, one agent', { range: { kind: 'preset', preset: 'last7' }, agent: 'nexus' }],
    ['yesterday (nothing in range today)', { range: { kind: 'preset', preset: 'yesterday' } }],
  ];
  for (const rules of ['ccusage', 'api'] as const) {
    for (const [name, filter] of filters) {
      it(`equals the dashboard's KPIs, today, alerts and top models: ${name} (${rules} rules)`, async () => {
        const s = await fixture();
        const c = ctx({ costRules: rules });
        const d = buildDashboard(s, filter, c);
        const side = buildSidebar(s, filter, c);
        assert.deepEqual(side.kpis, d.kpis);
        assert.deepEqual(side.todayKpis, d.todayKpis);
        assert.deepEqual(side.alerts, d.alerts);
        assert.deepEqual(
          side.topModels,
          d.models.slice(0, 5).map((m) => ({ model: m.model, displayName: m.displayName, cost: m.cost })),
        );
        assert.deepEqual(side.range, { start: d.range.start, end: d.range.end, label: d.range.label });
        for (const k of [
          'generatedAt',
          'today',
          'timeZone',
          'filter',
          'costRules',
          'recordCount',
          'scanned',
          'storageRole',
          'gettingStarted',
        ] as const) {
          assert.deepEqual(side[k], d[k], k);
        }
        s.close();
      });
    }
  }

  it('raises the alerts a user sees in the sidebar: cost threshold, budgets, burn rate, unpriced model', async () => {
    const s = await fixture();
    const side = buildSidebar(s, { range: { kind: 'preset', preset: 'last30' } }, ctx());
    assert.deepEqual(side.alerts.map((a) => a.id).sort(), ['budget-daily', 'budget-monthly', 'burn-rate', 'cost-threshold', 'unpriced']);
    assert.equal(side.topModels.length, 5, 'seven models in range, five listed');
    assert.equal(side.topModels[0].model, 'claude-opus-4-5-20251101', 'the most expensive first');
    s.close();
  });

  it('holds only what the sidebar draws: a fraction of the dashboard payload', async () => {
    const s = await fixture();
    const filter: DashboardFilter = { range: { kind: 'preset', preset: 'last30' } };
    const side = buildSidebar(s, filter, ctx());
    const d = buildDashboard(s, filter, ctx());
    for (const k of ['trend', 'sessions', 'projects', 'tasks', 'agents', 'recent', 'insights', 'options', 'models'])
      assert.ok(!(k in side), `no ${k}`);
    assert.ok(JSON.stringify(side).length * 2 < JSON.stringify(d).length, 'less than half the bytes');
    s.close();
  });
});
