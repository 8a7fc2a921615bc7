import {
  type AgentRow,
  type Alert,
  type DashboardData,
  type DashboardFilter,
  type FilterOptions,
  type Insights,
  type KpiSnapshot,
  type ModelRow,
  type ProjectRow,
  type RecentRow,
  type SessionRow,
  type ShareSlice,
  type TaskRow,
  type TrendPoint,
} from '../protocol';
import {
  activeSessions,
  activityGroups,
  agentSums,
  bucketSums,
  budgetUse,
  burnRate,
  byName,
  creditsBySource,
  currentBlock,
  dayCosts,
  figureScope,
  isActiveSession,
  isHighBurn,
  latestInScope,
  modelSums,
  monthToDate,
  projectSums,
  rangeTotals,
  readScope,
  span,
  storeInventory,
  storeFilter,
  todayRange,
  topSessions,
  totalsOf,
  warningThreshold,
  type BurnRate,
  type ModelSums,
  type MonthToDate,
  type Range,
  type ReadScope,
  type ActivityGroup,
  type StoreInventory,
  type Totals,
} from './read';
import { AGENTS } from './ingest/registry';
import { agentOf, isPlaceholderModel, providerOf } from './model';
import type { CostRules } from './pricing/pricing';
import { displayNames } from './modelName';
import { bucketFor, bucketsBetween, resolveRange } from './periods';
import type { Budget } from './status';
import type { UsageStore } from './store';
import { dayKey, startOfDay } from './time';

// Callers (the export command) take the store filter of a dashboard filter from here.
export { storeFilter } from './read';

/** What the dashboard needs besides the store: the zone, settings and the window's state. */
export interface DashboardContext {
  timeZone: string;
  now?: number;
  scanned: boolean;
  storageRole: DashboardData['storageRole'];
  budget: Budget;
  /** Budget percentages that raise an alert (tokenCost.alerts.thresholds). */
  thresholds: readonly number[];
  /** Alert when the range costs more than this many USD; 0 turns it off. */
  costThreshold: number;
  /** Alert when the burn rate (figures.burnRate) runs faster than this many USD per hour; 0 turns it off. */
  burnRatePerHour: number;
  workspaceFolders: readonly string[];
  gettingStarted: DashboardData['gettingStarted'];
  /** Whose rules the page's dollars follow (tokenCost.costRules); the other figure is shown beside. */
  costRules?: CostRules;
  /** Agents found whose usage is not in local files (ScanStats.notes: Cursor), shown as info alerts. */
  agentNotes?: readonly string[];
}

const TASK_SOURCES: readonly string[] = ['heartbeat', 'manual'];

export function kpis(t: Totals, days: number): KpiSnapshot {
  return {
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    cacheWriteTokens: t.cacheWriteTokens,
    cacheReadTokens: t.cacheReadTokens,
    totalTokens: t.totalTokens,
    cost: t.cost,
    requests: t.requests,
    days,
    avgTokensPerRequest: t.requests ? t.totalTokens / t.requests : 0,
    avgCostPerRequest: t.requests ? t.cost / t.requests : 0,
    unpricedModels: t.unpricedModels,
  };
}

function filterOptions(s: ReadScope, inventory: StoreInventory, workspaceFolders: readonly string[]): FilterOptions {
  const { sources, heartbeatAgents } = inventory;
  const models = [...s.models.values()].sort(byName).map((model) => ({ model, provider: providerOf(model) }));
  return {
    sources,
    providers: [...new Set(models.map((m) => m.provider))].sort(),
    models,
    projects: [...s.projects.values()].sort(byName).slice(0, 500),
    agents: [...sources.filter((x) => x !== 'heartbeat'), ...heartbeatAgents],
    hasWorkspace: workspaceFolders.length > 0,
  };
}

/** Fills the chart buckets; also yields the sources seen, by cost. */
function trend(s: ReadScope, range: Range, buckets: { start: number; end: number; label: string }[]) {
  const points: TrendPoint[] = buckets.map((b) => ({
    start: b.start,
    label: b.label,
    inputTokens: 0,
    outputTokens: 0,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    totalTokens: 0,
    cost: 0,
    requests: 0,
    costBySource: {},
  }));
  const sourceCost = new Map<string, number>();
  const last = buckets.length ? buckets[buckets.length - 1].end : 0;
  for (const r of bucketSums(
    s,
    range,
    buckets.map((b) => b.start),
    last,
  )) {
    const p = points[r.bucket];
    p.inputTokens += r.inputTokens;
    p.outputTokens += r.outputTokens;
    p.cacheWriteTokens += r.cacheWriteTokens;
    p.cacheReadTokens += r.cacheReadTokens;
    p.cost += r.cost;
    p.requests += r.requests;
    p.costBySource[r.source] = (p.costBySource[r.source] ?? 0) + r.cost;
    sourceCost.set(r.source, (sourceCost.get(r.source) ?? 0) + r.cost);
  }
  for (const p of points) p.totalTokens = p.inputTokens + p.outputTokens + p.cacheWriteTokens + p.cacheReadTokens;
  const trendSources = [...sourceCost.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([x]) => x);
  return { points, trendSources };
}

export function modelRows(sums: ModelSums[], totalCost: number): ModelRow[] {
  const shown = displayNames(sums.map((r) => r.model));
  return sums
    .filter((r) => !isPlaceholderModel(r.model))
    .map((r) => {
      const totalTokens = r.input + r.output + r.cw + r.cr;
      return {
        model: r.model,
        displayName: shown.get(r.model) ?? r.model,
        provider: providerOf(r.model),
        inputTokens: r.input,
        outputTokens: r.output,
        cacheWriteTokens: r.cw,
        cacheReadTokens: r.cr,
        totalTokens,
        cost: r.cost,
        requests: r.requests,
        avgCostPerRequest: r.requests ? r.cost / r.requests : 0,
        avgTokensPerRequest: r.requests ? totalTokens / r.requests : 0,
        costPer1k: totalTokens ? (r.cost / totalTokens) * 1000 : null,
        costShare: totalCost > 0 ? (r.cost / totalCost) * 100 : 0,
        unpriced: r.unpriced,
      };
    })
    .sort((a, b) => b.cost - a.cost || byName(a.model, b.model));
}

function shareSlices(models: ModelRow[], total: number): ShareSlice[] {
  const top = models.filter((m) => m.cost > 0).slice(0, 6);
  const rest = models
    .filter((m) => m.cost > 0)
    .slice(6)
    .reduce((s, m) => s + m.cost, 0);
  const slices: ShareSlice[] = top.map((m) => ({
    label: m.displayName,
    model: m.model,
    cost: m.cost,
    share: total > 0 ? (m.cost / total) * 100 : 0,
  }));
  if (rest > 0) slices.push({ label: 'Other', cost: rest, share: total > 0 ? (rest / total) * 100 : 0 });
  return slices;
}

function sessionRows(s: ReadScope, groups: ActivityGroup[], now: number): SessionRow[] {
  return topSessions(s, groups, 20).map((r) => ({
    session: r.session,
    source: r.source,
    project: r.project,
    agent: agentOf(r.source, r.session),
    cost: r.cost,
    totalTokens: r.tokens,
    requests: r.requests,
    firstActivity: r.first,
    lastActivity: r.last,
    active: isActiveSession(r.last, now),
  }));
}

function projectRows(s: ReadScope, groups: ActivityGroup[]): ProjectRow[] {
  return projectSums(s, groups, 50).map((r) => ({
    project: r.project,
    cost: r.cost,
    totalTokens: r.tokens,
    requests: r.requests,
    sessions: r.sessions,
    lastActivity: r.last,
  }));
}

function taskRows(s: ReadScope, groups: ActivityGroup[], sources: readonly string[]): TaskRow[] {
  return topSessions(s, groups, 20, sources).map((r) => ({
    task: r.session,
    project: r.project,
    source: r.source,
    agent: agentOf(r.source, r.session),
    cost: r.cost,
    totalTokens: r.tokens,
    requests: r.requests,
    lastActivity: r.last,
  }));
}

/**
 * Every agent of the range (agentOf(): a transcript source, or a heartbeat agent by its id) with
 * what a dollar bought: requests, and tasks (distinct sessions with their project). Ranked by
 * tasks per dollar as seed 004 ranks its agents; agents that cost nothing come last, by tasks.
 */
function agentRows(s: ReadScope, groups: ActivityGroup[]): AgentRow[] {
  const perDollar = (count: number, cost: number) => (cost > 0 ? count / cost : null);
  return agentSums(s, groups)
    .map((r) => ({
      agent: agentOf(r.source, r.heartbeatAgent),
      source: r.source,
      cost: r.cost,
      totalTokens: r.tokens,
      requests: r.requests,
      tasks: r.tasks,
      requestsPerDollar: perDollar(r.requests, r.cost),
      tasksPerDollar: perDollar(r.tasks, r.cost),
      lastActivity: r.last,
    }))
    .sort(
      (a, b) => (b.tasksPerDollar ?? -1) - (a.tasksPerDollar ?? -1) || b.tasks - a.tasks || b.cost - a.cost || byName(a.agent, b.agent),
    );
}

/** The 20 latest requests. */
function recentRows(s: ReadScope, range: Range): RecentRow[] {
  return latestInScope(s, range, 20).map((x) => ({
    timestamp: x.timestamp,
    source: x.source,
    agent: agentOf(x.source, x.session),
    model: x.model,
    project: x.project,
    session: x.session,
    totalTokens: x.tokens,
    cost: x.cost,
  }));
}

function insights(s: ReadScope, models: ModelRow[], ctx: DashboardContext, now: number): Insights {
  const priced = models.filter((m) => !m.unpriced && m.cost > 0 && m.costPer1k !== null);
  const efficient = priced.reduce<ModelRow | undefined>((best, m) => (!best || m.costPer1k! < best.costPer1k! ? m : best), undefined);
  const used = models.reduce<ModelRow | undefined>((best, m) => (!best || m.requests > best.requests ? m : best), undefined);
  const rangeCost = models.reduce((sum, m) => sum + m.cost, 0);
  const rangeTokens = models.reduce((sum, m) => sum + m.totalTokens, 0);
  let optimization: Insights['optimization'];
  if (efficient && rangeCost > 0) {
    const wouldCost = (rangeTokens / 1000) * efficient.costPer1k!;
    const saving = Math.max(0, rangeCost - wouldCost);
    optimization = { model: efficient.model, displayName: efficient.displayName, wouldCost, saving, savingPct: (saving / rangeCost) * 100 };
  }
  const scope = figureScope(s);
  const month = monthToDate(scope, now, ctx.timeZone);
  const days = dayCosts(scope, now, ctx.timeZone);
  return {
    mostEfficientModel: efficient
      ? { model: efficient.model, displayName: efficient.displayName, costPer1k: efficient.costPer1k! }
      : undefined,
    mostUsedModel: used
      ? { model: used.model, displayName: used.displayName, totalTokens: used.totalTokens, requests: used.requests }
      : undefined,
    optimization,
    burn: burnRate(scope, now),
    activeSessions: activeSessions(scope, now),
    month: { month: month.month, cost: month.cost, projected: month.projectedCost, budget: ctx.budget.monthly },
    days,
    budgetUsedPct: budgetsUsed(ctx.budget, days.today, month),
    block: currentBlock(scope, now),
  };
}

export const budgetsUsed = (budget: Budget, today: number, month: Pick<MonthToDate, 'cost'>): Insights['budgetUsedPct'] => ({
  daily: budgetUse(today, budget.daily) ?? null,
  monthly: budgetUse(month.cost, budget.monthly) ?? null,
});

/** What the alerts are made of: the live figures the dashboard's insights and the sidebar both hold. */
interface AlertFigures {
  burn: BurnRate;
  month: { cost: number; projected: number };
  today: number;
  budgetUsedPct: Insights['budgetUsedPct'];
}

/** Credits an agent billed in a range (read/credits.ts creditsBySource). */
export type SourceCredits = { source: string; credits: number; requests: number };

const sourceName = (source: string): string => AGENTS.find((a) => a.source === source)?.label ?? source;

export function alerts(
  k: KpiSnapshot,
  ins: AlertFigures,
  rangeLabel: string,
  ctx: DashboardContext,
  credits: readonly SourceCredits[] = [],
): Alert[] {
  const out: Alert[] = [];
  const usd = (v: number) => `$${v.toFixed(2)}`;
  if (ctx.costThreshold > 0 && k.cost > ctx.costThreshold) {
    out.push({
      id: 'cost-threshold',
      severity: 'warning',
      title: `Total cost of ${usd(k.cost)} exceeds the ${usd(ctx.costThreshold)} threshold (${rangeLabel})`,
      detail: 'Consider using more cost-effective models for routine tasks.',
      action: { label: 'Change threshold', command: 'openSettings' },
    });
  }
  const lowest = warningThreshold(ctx.thresholds);
  const budgetAlert = (period: string, spent: number, pct: number | null, budget?: number) => {
    if (pct === null || budget === undefined || pct < lowest) return;
    out.push({
      id: `budget-${period}`,
      severity: pct >= 100 ? 'error' : 'warning',
      title:
        pct >= 100
          ? `Over the ${period} budget: ${usd(spent)} of ${usd(budget)}`
          : `${Math.floor(pct)} % of the ${period} budget used: ${usd(spent)} of ${usd(budget)}`,
      detail:
        period === 'daily' ? 'Today, in your time zone.' : `This calendar month; at this pace it ends at ${usd(ins.month.projected)}.`,
      action: { label: 'Change budget', command: 'setBudget' },
    });
  };
  budgetAlert('daily', ins.today, ins.budgetUsedPct.daily, ctx.budget.daily);
  budgetAlert('monthly', ins.month.cost, ins.budgetUsedPct.monthly, ctx.budget.monthly);
  if (isHighBurn(ins.burn, ctx.burnRatePerHour)) {
    out.push({
      id: 'burn-rate',
      severity: 'warning',
      title: `High burn rate: ${usd(ins.burn.costPerHour)}/hour`,
      detail: `Spend over the last ${ins.burn.windowMinutes} minutes runs above ${usd(ctx.burnRatePerHour)}/hour.`,
      action: { label: 'Change limit', command: 'openSettings' },
    });
  }
  (ctx.agentNotes ?? []).forEach((note, i) => {
    // "<title>: <why>": the title says what is missing, the detail why.
    const cut = note.indexOf(': ');
    out.push({
      id: `agent-note-${i}`,
      severity: 'info',
      title: cut > 0 ? note.slice(0, cut) : note,
      detail: cut > 0 ? note.slice(cut + 2) : '',
    });
  });
  for (const c of credits) {
    // Amp and Codebuff bill in credits of their own: shown as they are, never turned into dollars.
    const name = sourceName(c.source);
    const amount = c.credits.toLocaleString('en-US', { maximumFractionDigits: 2 });
    out.push({
      id: `credits-${c.source}`,
      severity: 'info',
      title: `${name}: ${amount} credits (${rangeLabel})`,
      detail: `${name} bills in credits of its own (${c.requests} ${c.requests === 1 ? 'request' : 'requests'} here). No published rate turns them into dollars: the cost shown for ${name} is computed from its tokens at the model's price.`,
    });
  }
  if (k.unpricedModels.length) {
    out.push({
      id: 'unpriced',
      severity: 'info',
      title: `No price for ${k.unpricedModels.length === 1 ? 'a model' : `${k.unpricedModels.length} models`}: ${k.unpricedModels.join(', ')}`,
      detail: 'Their tokens are counted but cost $0. Add a price in tokenCost.pricing.',
      action: { label: 'Add a price', command: 'openPricingSettings' },
    });
  }
  return out;
}

/** What both views (dashboard and sidebar) resolve first for a filter: its range, its scope and the KPIs of the range and of today. */
export interface ViewBasis {
  now: number;
  resolved: ReturnType<typeof resolveRange>;
  f: ReturnType<typeof storeFilter>;
  scope: ReadScope;
  range: Range;
  sums: ModelSums[];
  kpis: KpiSnapshot;
  todayKpis: KpiSnapshot;
  /** [start, end) the range's charts span (All time: from the first request's day). */
  start: number;
  end: number;
}

export function viewBasis(store: UsageStore, filter: DashboardFilter, ctx: DashboardContext): ViewBasis {
  const now = ctx.now ?? Date.now();
  const tz = ctx.timeZone;
  const resolved = resolveRange(filter.range, tz, now);
  const f = storeFilter(store, filter, resolved, ctx.workspaceFolders);
  const scope = readScope(store, f, ctx.costRules ?? 'ccusage');
  const range: Range = { start: resolved.start, end: resolved.end };
  const bounds = resolved.start === undefined || resolved.end === undefined ? span(scope, range) : undefined;
  const start = resolved.start ?? (bounds ? startOfDay(dayKey(bounds.lo, tz), tz) : startOfDay(dayKey(now, tz), tz));
  const end = resolved.end ?? Math.max(now, (bounds?.hi ?? 0) + 1);
  const spanDays = Math.max(1, Math.round((Math.min(end, Math.max(now, start + 1)) - start) / 86_400_000));
  const sums = modelSums(scope, range);
  const t = totalsOf(sums);
  const today = todayRange(tz, now);
  // The other rules' total comes from the same pass (each model's `alt` column), as the page shows both.
  const k = { ...kpis(t, t.requests ? spanDays : 0), otherRulesCost: sums.reduce((sum, m) => sum + m.otherRulesCost, 0) };
  return {
    now,
    resolved,
    f,
    scope,
    range,
    sums,
    kpis: k,
    todayKpis: kpis(rangeTotals(scope, { start: today.start, end: today.end }), 1),
    start,
    end,
  };
}

/**
 * Everything one view draws for one filter, aggregated in SQL by the read layer (./read): whole
 * hours from the rollup, the rest of a range (and the few exact times a table shows) from
 * `requests`, names from the dimension tables.
 */
export function buildDashboard(store: UsageStore, filter: DashboardFilter, ctx: DashboardContext): DashboardData {
  const v = viewBasis(store, filter, ctx);
  const { now, resolved, f, scope, range, kpis: k } = v;
  const tz = ctx.timeZone;
  const bucket = bucketFor(v.end - v.start);
  const buckets = bucketsBetween(v.start, v.end, bucket, tz);
  const models = modelRows(v.sums, k.cost);
  const { points, trendSources } = trend(scope, range, buckets);
  const ins = insights(scope, models, ctx, now);
  // Tasks are what heartbeat agents and manual logs name; a source filter naming neither leaves none.
  const taskSources = (f.sources?.length ? f.sources : TASK_SOURCES).filter((x) => TASK_SOURCES.includes(x));
  const groups = activityGroups(scope, range);
  const inventory = storeInventory(scope);
  return {
    generatedAt: now,
    today: dayKey(now, tz),
    timeZone: tz,
    filter,
    range: { start: resolved.start ?? null, end: resolved.end ?? null, label: resolved.label, bucket },
    costRules: scope.costRules,
    kpis: k,
    todayKpis: v.todayKpis,
    trend: points,
    trendSources,
    models,
    costShare: shareSlices(models, k.cost),
    sessions: sessionRows(scope, groups, now),
    projects: projectRows(scope, groups),
    tasks: taskRows(scope, groups, taskSources),
    agents: agentRows(scope, groups),
    recent: recentRows(scope, range),
    insights: ins,
    alerts: alerts(
      k,
      { burn: ins.burn, month: ins.month, today: ins.days.today, budgetUsedPct: ins.budgetUsedPct },
      resolved.label,
      ctx,
      creditsBySource(store, f),
    ),
    options: filterOptions(scope, inventory, ctx.workspaceFolders),
    recordCount: inventory.requests,
    scanned: ctx.scanned,
    storageRole: ctx.storageRole,
    gettingStarted: ctx.gettingStarted,
  };
}
