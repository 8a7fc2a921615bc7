import type { DashboardFilter, SidebarData } from '../protocol';
import { alerts, budgetsUsed, modelRows, viewBasis, type DashboardContext } from './dashboard';
import { burnRate, costBetween, creditsBySource, figureScope, localDay, monthToDate, storedRequests } from './read';
import type { UsageStore } from './store';
import { dayKey } from './time';

const TOP_MODELS = 5;

/**
 * The sidebar's figures for one filter: the KPI cards, the alerts and the top models, from the
 * same read layer and the same functions as the dashboard (viewBasis, modelRows, alerts), so
 * each equals its dashboard counterpart. About a third of the dashboard's statements: no chart
 * buckets, tables, insights or filter options.
 */
export function buildSidebar(store: UsageStore, filter: DashboardFilter, ctx: DashboardContext): SidebarData {
  const v = viewBasis(store, filter, ctx);
  const { now, resolved, scope, kpis } = v;
  const tz = ctx.timeZone;
  const figures = figureScope(scope);
  const month = monthToDate(figures, now, tz);
  // Today's cost as figures.dayCosts counts it for the dashboard's alerts.
  const day = localDay(now, tz, 0);
  const today = costBetween(figures, day.start, day.end);
  const alertFigures = {
    burn: burnRate(figures, now),
    month: { cost: month.cost, projected: month.projectedCost },
    today,
    budgetUsedPct: budgetsUsed(ctx.budget, today, month),
  };
  return {
    generatedAt: now,
    today: dayKey(now, tz),
    timeZone: tz,
    filter,
    range: { start: resolved.start ?? null, end: resolved.end ?? null, label: resolved.label },
    costRules: scope.costRules,
    kpis,
    todayKpis: v.todayKpis,
    topModels: modelRows(v.sums, kpis.cost)
      .slice(0, TOP_MODELS)
      .map((m) => ({ model: m.model, displayName: m.displayName, cost: m.cost })),
    alerts: alerts(kpis, alertFigures, resolved.label, ctx, creditsBySource(store, v.f)),
    recordCount: storedRequests(store),
    scanned: ctx.scanned,
    storageRole: ctx.storageRole,
    gettingStarted: ctx.gettingStarted,
  };
}
