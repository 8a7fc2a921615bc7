import type { DashboardSnapshot, KpiSnapshot } from '../protocol';
import { dailyReport, todayRange, totals, type Totals } from './query';
import type { UsageStore } from './store';

function kpis(t: Totals, days: number): KpiSnapshot {
  return {
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    cacheWriteTokens: t.cacheWriteTokens,
    cacheReadTokens: t.cacheReadTokens,
    totalTokens: t.totalTokens,
    cost: t.cost,
    requests: t.requests,
    days,
  };
}

/** Everything the dashboard and sidebar draw, computed from the store in one pass. */
export function buildSnapshot(
  store: UsageStore,
  timeZone: string,
  scanned: boolean,
  storageRole: DashboardSnapshot['storageRole'] = 'memory',
  now = Date.now(),
): DashboardSnapshot {
  const today = todayRange(timeZone, now);
  const all = totals(store);
  const daily = dailyReport(store, timeZone);
  return {
    generatedAt: now,
    today: today.day,
    timeZone,
    todayKpis: kpis(totals(store, today), 1),
    kpis: kpis(all, daily.daily.length),
    daily: daily.daily.map((d) => ({ date: d.date, cost: d.totalCost, totalTokens: d.totalTokens })),
    unpricedModels: all.unpricedModels,
    scanned,
    recordCount: all.requests,
    storageRole,
  };
}
