import * as assert from 'node:assert/strict';
import { todaySummary } from '../../src/cli/seedVerbs';
import { buildDashboard, type DashboardContext } from '../../src/core/dashboard';
import { ACTIVE_SESSION_MINUTES, BURN_WINDOW_MINUTES, budgetLevel, monthProjection, warningThreshold } from '../../src/core/figures';
import type { UsageRecord } from '../../src/core/model';
import type { CostRules } from '../../src/core/pricing/pricing';
import { costs, tokensLive, type ReadContext } from '../../src/core/server/readApi';
import { statusSummary, type Budget } from '../../src/core/status';
import { UsageStore } from '../../src/core/store';

const TZ = 'Europe/Berlin';
const MIN = 60_000;
const H = 60 * MIN;

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

/** Every surface's figures, each read from the surface's own output, for one store at one instant. */
function surfaces(store: UsageStore, now: number, budget: Budget, costRules: CostRules = 'ccusage') {
  const status = statusSummary(store, TZ, budget, now, costRules);
  const ctx: DashboardContext = {
    timeZone: TZ,
    now,
    scanned: true,
    storageRole: 'memory',
    budget,
    thresholds: [80, 100],
    costThreshold: 0,
    burnRatePerHour: 0,
    workspaceFolders: [],
    gettingStarted: { transcriptRoots: [] },
    costRules,
  };
  const dash = buildDashboard(store, { range: { kind: 'preset', preset: 'today' } }, ctx);
  const read: ReadContext = { store, timeZone: TZ, budget, burnAlertPerHour: 0, thresholds: [80, 100], costRules, now };
  const live = tokensLive(read, new Map()) as any;
  const cost = costs(read, new URLSearchParams()) as any;
  const cli = JSON.parse(JSON.stringify(todaySummary(store, { tz: TZ, costRules, budget }, now)));
  const round1 = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 10) / 10);
  return {
    status: {
      costPerHour: status.burn.costPerHour,
      tokensPerMinute: Math.round(status.burn.tokensPerMinute),
      activeSessions: status.activeSessions,
      projected: status.monthProjected,
      today: status.today.cost,
      dailyUsed: round1(status.dailyUsedPct),
    },
    dashboard: {
      costPerHour: dash.insights.burn.costPerHour,
      tokensPerMinute: Math.round(dash.insights.burn.tokensPerMinute),
      activeSessions: dash.insights.activeSessions,
      projected: dash.insights.month.projected,
      today: dash.todayKpis.cost,
      dailyUsed: round1(dash.insights.budgetUsedPct.daily),
    },
    tokensLive: {
      costPerHour: live.live.costPerHour,
      tokensPerMinute: live.live.burnRate,
      activeSessions: live.live.activeSessions,
      projected: live.summary.projectedMonthly,
      today: live.live.todayCost,
      dailyUsed: live.live.budgetUsed,
    },
    cli: {
      costPerHour: cli.burnRate.costPerHour,
      tokensPerMinute: Math.round(cli.burnRate.tokensPerMinute),
      activeSessions: cli.activeSessions,
      projected: cli.month.projected,
      today: cli.totalCost,
      dailyUsed: round1(cli.budget.dailyUsedPct),
    },
    costs: { projected: cost.projected, today: cost.today },
    extra: { dash, live, status, cost },
  };
}

/** Sums of floats taken in different orders may differ in the last bits: compare to 1e-9. */
function assertSame(name: string, a: Record<string, number | null>, b: Record<string, number | null>) {
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    if (x === null || y === null) assert.equal(x, y, `${name}.${k}`);
    else assert.ok(Math.abs(x - y) < 1e-9, `${name}.${k}: ${x} vs ${y}`);
  }
}

describe('figures: one definition, the same numbers on every surface', () => {
  // Monday 2026-11-23, 16:00 in Berlin.
  const NOW = Date.parse('2026-11-23T15:00:00Z');

  async function fixture(): Promise<UsageStore> {
    const s = await UsageStore.open(null);
    s.insert([
      rec('now', NOW, { cost: 0.5 }), // at the instant itself: inside every window
      rec('burn', NOW - 5 * MIN, { cost: 2, outputTokens: 800 }), // in the burn window
      rec('active', NOW - 20 * MIN, { sessionId: 's2', cost: 3 }), // active (30 min), outside the 15-minute burn window
      rec('idle', NOW - 40 * MIN, { sessionId: 's3', cost: 4 }), // today, idle
      rec('heartbeat', NOW - 10 * MIN, { source: 'heartbeat', model: 'gpt-5', project: 'fleet', sessionId: 'nexus', cost: 1.25 }),
      rec('morning', NOW - 6 * H, { sessionId: 's4', cost: 0.75, apiCost: 1.75 }),
      rec('yesterday', NOW - 26 * H, { cost: 5 }),
      rec('month', Date.parse('2026-11-02T10:00:00Z'), { cost: 20 }),
      rec('lastMonth', Date.parse('2026-10-20T10:00:00Z'), { cost: 100 }),
    ]);
    return s;
  }

  for (const rules of ['ccusage', 'api'] as const) {
    it(`agrees on burn rate, active sessions, projection, today's cost and budget use (${rules} rules)`, async () => {
      const s = await fixture();
      const f = surfaces(s, NOW, { daily: 20, monthly: 200 }, rules);
      const todayCost = rules === 'api' ? 12.5 : 11.5;
      // What a user would check by hand: the burn window holds $3.75 ($0.5 + $2 + $1.25) of requests.
      assert.equal(BURN_WINDOW_MINUTES, 15);
      assert.ok(Math.abs(f.status.costPerHour - 3.75 * 4) < 1e-9, String(f.status.costPerHour));
      assert.equal(f.status.tokensPerMinute, Math.round((1500 + 2100 + 1500) / 15));
      // s1 (now, 5 min), s2 (20 min) and the nexus agent (10 min) are active; s3 (40 min) is not.
      assert.equal(ACTIVE_SESSION_MINUTES, 30);
      assert.equal(f.status.activeSessions, 3);
      assert.ok(Math.abs(f.status.today - todayCost) < 1e-9, String(f.status.today));
      assert.equal(f.status.dailyUsed, Math.round((todayCost / 20) * 1000) / 10);
      assert.ok(f.status.projected > todayCost + 20, 'the month is not over: the projection is above the month so far');
      for (const [name, figures] of [
        ['dashboard', f.dashboard],
        ['tokens-live', f.tokensLive],
        ['cli', f.cli],
        ['costs', f.costs],
      ] as const) {
        assertSame(name, figures, f.status);
      }
      // Yesterday is one local day too: the dashboard's comparison and /api/costs agree on it.
      assert.equal(f.extra.dash.insights.days.yesterday, 5);
      assert.equal(f.extra.cost.yesterday, f.extra.dash.insights.days.yesterday);
    });
  }

  it("agrees on the projection at the first instant of a month, and uses the settings' thresholds", async () => {
    const start = Date.parse('2026-11-30T23:00:00Z'); // 2026-12-01 00:00 in Berlin
    const s = await UsageStore.open(null);
    s.insert([rec('first', start, { cost: 9 }), rec('before', start - 1, { cost: 1 })]);
    assert.equal(monthProjection(9, start, TZ), 9, 'no pace yet: the month so far is the projection');
    const f = surfaces(s, start, { daily: 10 });
    assert.equal(f.status.projected, 9);
    for (const [name, figures] of [
      ['dashboard', f.dashboard],
      ['tokens-live', f.tokensLive],
      ['cli', f.cli],
      ['costs', f.costs],
    ] as const) {
      assertSame(name, figures, f.status);
    }
    // 90 % of the daily budget: past the first threshold (80), so the API and the dashboard both warn.
    assert.equal(f.tokensLive.dailyUsed, 90);
    assert.equal(f.extra.live.alerts.approachingBudget, true);
    assert.equal(f.extra.live.alerts.overBudget, false);
    assert.ok(f.extra.dash.alerts.some((a) => a.id === 'budget-daily' && a.severity === 'warning'));
    const read: ReadContext = { store: s, timeZone: TZ, budget: { daily: 10 }, burnAlertPerHour: 0, thresholds: [95, 100], now: start };
    assert.equal((tokensLive(read, new Map()) as any).alerts.approachingBudget, false, 'with thresholds 95/100, 90 % does not warn yet');
    assert.equal(budgetLevel(90, [95, 100]), 'ok');
    assert.equal(budgetLevel(90, []), 'warning', 'no thresholds set: the default 80 %');
    assert.equal(warningThreshold([100, 50]), 50);
  });
});
