import type { CostRules } from './pricing/pricing';
import { activeSessions, budgetUse, burnRate, monthToDate, reachedThresholds, type BurnRate } from './figures';
import { todayRange, totals, unpricedModels, type Totals } from './query';
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
  /** Spend rate over the burn window (figures.burnRate). */
  burn: BurnRate;
  /** Where this month ends at its pace so far (figures.monthProjection). */
  monthProjected: number;
  /** Sessions with a request in the active window (figures.activeSessions). */
  activeSessions: number;
  topModelsToday: { model: string; cost: number; tokens: number }[];
  budget: Budget;
  /** Percent of each budget used, when that budget is set. */
  dailyUsedPct?: number;
  monthlyUsedPct?: number;
  unpricedModels: string[];
}

export function statusSummary(
  store: UsageStore,
  timeZone: string,
  budget: Budget,
  now = Date.now(),
  costRules: CostRules = 'ccusage',
): StatusSummary {
  const today = todayRange(timeZone, now);
  const t = totals(store, { ...today, costRules });
  const scope = { store, where: '', costRules };
  const month = monthToDate(scope, now, timeZone);
  const cost = costColumn(costRules, 'usage');
  const top = store.all(
    `SELECT model, sum(${cost}) AS cost, sum(input + output + cache_write + cache_read) AS tokens FROM usage
      WHERE ts >= ? AND ts < ? GROUP BY model ORDER BY cost DESC, tokens DESC LIMIT 3`,
    [today.start!, today.end!],
  );
  return {
    day: today.day,
    month: month.month,
    today: t,
    monthCost: month.cost,
    monthProjected: month.projectedCost,
    burn: burnRate(scope, now),
    activeSessions: activeSessions(scope, now),
    topModelsToday: top.map((r) => ({ model: String(r.model), cost: Number(r.cost), tokens: Number(r.tokens) })),
    budget,
    dailyUsedPct: budgetUse(t.cost, budget.daily),
    monthlyUsedPct: budgetUse(month.cost, budget.monthly),
    unpricedModels: unpricedModels(store),
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
    const reached = reachedThresholds(budgetUse(spent, budget), thresholds);
    if (budget && reached.length) out.push({ period, periodKey, threshold: Math.max(...reached), spent, budget });
  };
  check('daily', s.day, s.today.cost, s.budget.daily);
  check('monthly', s.month, s.monthCost, s.budget.monthly);
  return out;
}
