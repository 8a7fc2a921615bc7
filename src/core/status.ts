import type { CostRules } from './pricing/pricing';
import { monthRange } from './periods';
import { todayRange, totals, type Totals } from './query';
import { costColumn } from './rollupQuery';
import type { UsageStore } from './store';

export interface Budget {
  daily?: number;
  monthly?: number;
}

/** Everything the status bar and the budget alerts need, computed in SQL from the store. */
export interface StatusSummary {
  day: string;
  month: string;
  today: Totals;
  monthCost: number;
  /** Spend rate over the last 15 minutes. */
  burn: { tokensPerMinute: number; costPerHour: number; windowMinutes: number };
  topModelsToday: { model: string; cost: number; tokens: number }[];
  budget: Budget;
  /** Percent of each budget used, when that budget is set. */
  dailyUsedPct?: number;
  monthlyUsedPct?: number;
  unpricedModels: string[];
}

const BURN_WINDOW_MIN = 15;

export function statusSummary(store: UsageStore, timeZone: string, budget: Budget, now = Date.now(), costRules: CostRules = 'ccusage'): StatusSummary {
  const today = todayRange(timeZone, now);
  const month = monthRange(now, timeZone);
  const t = totals(store, { ...today, costRules });
  const monthCost = totals(store, { ...month, costRules }).cost;
  const cost = costColumn(costRules, 'usage');
  const since = now - BURN_WINDOW_MIN * 60_000;
  const burnRow = store.get(
    `SELECT coalesce(sum(input + output + cache_write + cache_read), 0) AS tokens, coalesce(sum(${cost}), 0) AS cost FROM usage WHERE ts >= ? AND ts <= ?`,
    [since, now],
  );
  const top = store.all(
    `SELECT model, sum(${cost}) AS cost, sum(input + output + cache_write + cache_read) AS tokens FROM usage
      WHERE ts >= ? AND ts < ? GROUP BY model ORDER BY cost DESC, tokens DESC LIMIT 3`,
    [today.start!, today.end!],
  );
  const pct = (spent: number, limit?: number) => (limit && limit > 0 ? (spent / limit) * 100 : undefined);
  return {
    day: today.day,
    month: month.month,
    today: t,
    monthCost,
    burn: {
      tokensPerMinute: Number(burnRow?.tokens ?? 0) / BURN_WINDOW_MIN,
      costPerHour: (Number(burnRow?.cost ?? 0) * 60) / BURN_WINDOW_MIN,
      windowMinutes: BURN_WINDOW_MIN,
    },
    topModelsToday: top.map((r) => ({ model: String(r.model), cost: Number(r.cost), tokens: Number(r.tokens) })),
    budget,
    dailyUsedPct: pct(t.cost, budget.daily),
    monthlyUsedPct: pct(monthCost, budget.monthly),
    unpricedModels: totals(store).unpricedModels,
  };
}

export interface ThresholdCrossing {
  period: 'daily' | 'monthly';
  /** The day or month it applies to: an alert fires once per threshold per period. */
  periodKey: string;
  threshold: number;
  spent: number;
  budget: number;
}

/** The highest threshold each budget has reached (lower ones are implied and not repeated). */
export function crossedThresholds(s: StatusSummary, thresholds: readonly number[]): ThresholdCrossing[] {
  const out: ThresholdCrossing[] = [];
  const check = (period: 'daily' | 'monthly', periodKey: string, spent: number, budget?: number) => {
    if (!budget) return;
    const reached = thresholds.filter((t) => (spent / budget) * 100 >= t);
    if (reached.length) out.push({ period, periodKey, threshold: Math.max(...reached), spent, budget });
  };
  check('daily', s.day, s.today.cost, s.budget.daily);
  check('monthly', s.month, s.monthCost, s.budget.monthly);
  return out;
}
