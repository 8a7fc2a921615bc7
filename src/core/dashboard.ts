import {
  WORKSPACE_PROJECT,
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
import { activeSessions, budgetUse, burnRate, currentBlock, dayCosts, isActiveSession, isHighBurn, monthToDate, warningThreshold, type FigureScope } from './figures';
import { agentOf, isPlaceholderModel, providerOf } from './model';
import type { CostRules } from './pricing/pricing';
import { displayNames } from './modelName';
import { bucketFor, bucketsBetween, resolveRange } from './periods';
import { todayRange, type Totals, type UsageFilter } from './query';
import { bucketIndex, costColumn, idWhere, names, sumsByModel, totalsOf, usageRows, type ModelSums } from './rollupQuery';
import type { SqlValue } from 'sql.js';
import type { Budget } from './status';
import type { UsageStore } from './store';
import { dayKey, startOfDay } from './time';

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

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const TOKENS = 'input + output + cw + cr';
const SUMS = `sum(n) AS requests, sum(input) AS input, sum(output) AS output, sum(cw) AS cw, sum(cr) AS cr, sum(cost) AS cost`;
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0); // SQLite's BINARY order

/** What every query of one dashboard shares: the filter's id conditions and the small name tables. */
interface Q {
  store: UsageStore;
  costRules: CostRules;
  where: string;
  sources: Map<number, string>;
  models: Map<number, string>;
  projects: Map<number, string>;
}

type Range = { start?: number; end?: number };

/** `WITH u AS (rows of the range)` followed by `select`, run. */
function over(q: Q, range: Range, select: string, opts: { where?: string; cuts?: readonly number[]; params?: SqlValue[] } = {}) {
  const u = usageRows({ ...range, costRules: q.costRules }, opts.where ?? q.where, opts.cuts);
  return q.store.all(`WITH u AS (${u.sql}) ${select}`, [...u.params, ...(opts.params ?? [])]);
}

/** The store filter a dashboard filter stands for (provider is resolved to its models). */
export function storeFilter(store: UsageStore, f: DashboardFilter, range: { start?: number; end?: number }, workspaceFolders: readonly string[]): UsageFilter {
  const out: UsageFilter = { start: range.start, end: range.end };
  if (f.source) out.sources = [f.source];
  if (f.model) out.models = [f.model];
  else if (f.provider) {
    const models = store.all('SELECT name FROM models').map((r) => String(r.name)).filter((m) => providerOf(m) === f.provider);
    out.models = models.length ? models : ['\u0000none'];
  }
  if (f.project === WORKSPACE_PROJECT) out.projects = workspaceFolders.length ? workspaceFolders : ['\u0000none'];
  else if (f.project) out.projects = [f.project];
  if (f.agent) out.agents = [f.agent];
  return out;
}

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
    avgTokensPerRequest: t.requests ? t.totalTokens / t.requests : 0,
    avgCostPerRequest: t.requests ? t.cost / t.requests : 0,
    unpricedModels: t.unpricedModels,
  };
}

function filterOptions(q: Q, workspaceFolders: readonly string[]): FilterOptions {
  // The rollup holds a row for every source and heartbeat agent with requests: no request is read.
  const present = new Set(q.store.all('SELECT DISTINCT source_id AS s FROM rollup').map((r) => n(r.s)));
  const sources = [...q.sources].filter(([id]) => present.has(id)).map(([, name]) => name).sort(byName);
  const models = [...q.models.values()].sort(byName).map((model) => ({ model, provider: providerOf(model) }));
  const agents = [
    ...sources.filter((s) => s !== 'heartbeat'),
    ...q.store
      .all(
        `SELECT DISTINCT se.name AS session FROM rollup r JOIN sessions se ON se.id = r.session_id
          WHERE r.source_id = (SELECT id FROM sources WHERE name = 'heartbeat') ORDER BY session`,
      )
      .map((r) => String(r.session)),
  ];
  return {
    sources,
    providers: [...new Set(models.map((m) => m.provider))].sort(),
    models,
    projects: [...q.projects.values()].sort(byName).slice(0, 500),
    agents,
    hasWorkspace: workspaceFolders.length > 0,
  };
}

const rangeTotals = (q: Q, range: Range, costRules = q.costRules) => totalsOf(sumsByModel(q.store, { ...range, costRules }, q.where, q.models));

/** The first and last request of the filtered range (for "All time"). */
function span(q: Q, range: Range): { lo: number; hi: number } | undefined {
  const r = over(q, range, 'SELECT min(lo) AS lo, max(hi) AS hi FROM u')[0];
  return r?.lo == null ? undefined : { lo: n(r.lo), hi: n(r.hi) };
}

/** Fills the chart buckets (each rollup row lies inside one); also yields the sources seen, by cost. */
function trend(q: Q, range: Range, buckets: { start: number; end: number; label: string }[]) {
  const points: TrendPoint[] = buckets.map((b) => ({
    start: b.start, label: b.label, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0,
    totalTokens: 0, cost: 0, requests: 0, costBySource: {},
  }));
  const sourceCost = new Map<string, number>();
  if (buckets.length) {
    const starts = buckets.map((b) => b.start);
    const last = buckets[buckets.length - 1].end;
    const rows = over(q, range, `SELECT ${bucketIndex('lo', starts)} AS b, s, ${SUMS} FROM u WHERE lo >= ? AND lo < ? GROUP BY b, s`, {
      cuts: [...starts, last],
      params: [starts[0], last],
    });
    for (const r of rows) {
      const p = points[n(r.b)];
      const source = q.sources.get(n(r.s)) ?? '';
      p.inputTokens += n(r.input);
      p.outputTokens += n(r.output);
      p.cacheWriteTokens += n(r.cw);
      p.cacheReadTokens += n(r.cr);
      p.cost += n(r.cost);
      p.requests += n(r.requests);
      p.costBySource[source] = (p.costBySource[source] ?? 0) + n(r.cost);
      sourceCost.set(source, (sourceCost.get(source) ?? 0) + n(r.cost));
    }
  }
  for (const p of points) p.totalTokens = p.inputTokens + p.outputTokens + p.cacheWriteTokens + p.cacheReadTokens;
  const trendSources = [...sourceCost.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s);
  return { points, trendSources };
}

function modelRows(sums: ModelSums[], totalCost: number): ModelRow[] {
  const shown = displayNames(sums.map((r) => r.model));
  return sums
    .filter((r) => !isPlaceholderModel(r.model))
    .map((r) => {
      const totalTokens = r.input + r.output + r.cw + r.cr;
      return {
        model: r.model, displayName: shown.get(r.model) ?? r.model, provider: providerOf(r.model), inputTokens: r.input, outputTokens: r.output,
        cacheWriteTokens: r.cw, cacheReadTokens: r.cr, totalTokens, cost: r.cost, requests: r.requests,
        avgCostPerRequest: r.requests ? r.cost / r.requests : 0, avgTokensPerRequest: r.requests ? totalTokens / r.requests : 0,
        costPer1k: totalTokens ? (r.cost / totalTokens) * 1000 : null, costShare: totalCost > 0 ? (r.cost / totalCost) * 100 : 0,
        unpriced: r.unpriced,
      };
    })
    .sort((a, b) => b.cost - a.cost || byName(a.model, b.model));
}

function shareSlices(models: ModelRow[], total: number): ShareSlice[] {
  const top = models.filter((m) => m.cost > 0).slice(0, 6);
  const rest = models.filter((m) => m.cost > 0).slice(6).reduce((s, m) => s + m.cost, 0);
  const slices: ShareSlice[] = top.map((m) => ({ label: m.displayName, model: m.model, cost: m.cost, share: total > 0 ? (m.cost / total) * 100 : 0 }));
  if (rest > 0) slices.push({ label: 'Other', cost: rest, share: total > 0 ? (rest / total) * 100 : 0 });
  return slices;
}

/** The top sessions (or tasks) by cost, with their latest project name, as SQL's max(project). */
function topSessions(q: Q, range: Range, where: string, limit: number) {
  const rows = over(
    q, range,
    `SELECT u.se AS se, u.s AS s, max(pr.name) AS project, sum(u.cost) AS cost, sum(${TOKENS}) AS tokens, sum(u.n) AS requests,
            min(u.lo) AS first, max(u.hi) AS last
       FROM u JOIN projects pr ON pr.id = u.p GROUP BY u.se, u.s ORDER BY cost DESC, tokens DESC LIMIT ${limit}`,
    { where },
  );
  const sessionNames = names(q.store, 'sessions', rows.map((r) => n(r.se)));
  return rows.map((r) => ({
    se: n(r.se), s: n(r.s), session: sessionNames.get(n(r.se)) ?? '', source: q.sources.get(n(r.s)) ?? '', project: String(r.project),
    cost: n(r.cost), tokens: n(r.tokens), requests: n(r.requests), first: n(r.first), last: n(r.last),
  }));
}

function sessionRows(q: Q, range: Range, now: number): SessionRow[] {
  return topSessions(q, range, q.where, 20).map((r) => ({
    session: r.session, source: r.source, project: r.project, agent: agentOf(r.source, r.session), cost: r.cost, totalTokens: r.tokens,
    requests: r.requests, firstActivity: r.first, lastActivity: r.last, active: isActiveSession(r.last, now),
  }));
}

function projectRows(q: Q, range: Range): ProjectRow[] {
  return over(
    q, range,
    `SELECT p, sum(cost) AS cost, sum(${TOKENS}) AS tokens, sum(n) AS requests, count(DISTINCT se) AS sessions, max(hi) AS last
       FROM u GROUP BY p ORDER BY cost DESC, tokens DESC LIMIT 50`,
  ).map((r) => ({
    project: q.projects.get(n(r.p)) ?? '', cost: n(r.cost), totalTokens: n(r.tokens), requests: n(r.requests), sessions: n(r.sessions), lastActivity: n(r.last),
  }));
}

function taskRows(q: Q, range: Range, where: string): TaskRow[] {
  return topSessions(q, range, where, 20).map((r) => ({
    task: r.session, project: r.project, source: r.source, agent: agentOf(r.source, r.session), cost: r.cost, totalTokens: r.tokens,
    requests: r.requests, lastActivity: r.last,
  }));
}

/**
 * Every agent of the range (agentOf(): a transcript source, or a heartbeat agent by its id) with
 * what a dollar bought: requests, and tasks (distinct sessions with their project). Ranked by
 * tasks per dollar as seed 004 ranks its agents; agents that cost nothing come last, by tasks.
 */
function agentRows(q: Q, range: Range): AgentRow[] {
  const hb = [...q.sources].find(([, name]) => name === 'heartbeat')?.[0] ?? -1;
  const rows = over(
    q, range,
    `SELECT s, CASE WHEN s = ${hb} THEN se ELSE NULL END AS hse, sum(cost) AS cost, sum(${TOKENS}) AS tokens, sum(n) AS requests,
            count(DISTINCT se * 4294967296 + p) AS tasks, max(hi) AS last
       FROM u GROUP BY s, hse`,
  );
  const sessionNames = names(q.store, 'sessions', rows.filter((r) => r.hse != null).map((r) => n(r.hse)));
  const perDollar = (count: number, cost: number) => (cost > 0 ? count / cost : null);
  return rows
    .map((r) => {
      const source = q.sources.get(n(r.s)) ?? '';
      const cost = n(r.cost);
      return {
        agent: agentOf(source, r.hse == null ? '' : sessionNames.get(n(r.hse)) ?? ''), source, cost, totalTokens: n(r.tokens),
        requests: n(r.requests), tasks: n(r.tasks), requestsPerDollar: perDollar(n(r.requests), cost), tasksPerDollar: perDollar(n(r.tasks), cost),
        lastActivity: n(r.last),
      };
    })
    .sort((a, b) => (b.tasksPerDollar ?? -1) - (a.tasksPerDollar ?? -1) || b.tasks - a.tasks || b.cost - a.cost || byName(a.agent, b.agent));
}

/** The 20 latest requests: the rollup finds the hour from which on there are 20, requests has them. */
function recentRows(q: Q, range: Range): RecentRow[] {
  const r = over(
    q, range,
    `SELECT max(CASE WHEN c >= 20 THEN lo END) AS lo20, min(lo) AS lo, max(hi) AS hi
       FROM (SELECT min(lo) AS lo, max(hi) AS hi, sum(sum(n)) OVER (ORDER BY h DESC) AS c FROM u GROUP BY h)`,
  )[0];
  if (r?.lo == null) return [];
  const from = r.lo20 != null ? n(r.lo20) : n(r.lo);
  const until = n(r.hi) + 1;
  const sessions = new Map<number, string>();
  const rows = q.store.all(
    `SELECT ts, source_id, model_id, project_id, session_id, input + output + cache_write + cache_read AS tokens,
            ${costColumn(q.costRules, 'requests')} AS cost
       FROM requests WHERE ts >= ? AND ts < ?${q.where ? ` AND ${q.where}` : ''} ORDER BY ts DESC LIMIT 20`,
    [from, until],
  );
  for (const [id, name] of names(q.store, 'sessions', rows.map((x) => n(x.session_id)))) sessions.set(id, name);
  return rows.map((x) => {
    const source = q.sources.get(n(x.source_id)) ?? '';
    const session = sessions.get(n(x.session_id)) ?? '';
    return {
      timestamp: n(x.ts), source, agent: agentOf(source, session), model: q.models.get(n(x.model_id)) ?? '',
      project: q.projects.get(n(x.project_id)) ?? '', session, totalTokens: n(x.tokens), cost: n(x.cost),
    };
  });
}

function insights(q: Q, models: ModelRow[], ctx: DashboardContext, now: number): Insights {
  const priced = models.filter((m) => !m.unpriced && m.cost > 0 && m.costPer1k !== null);
  const efficient = priced.reduce<ModelRow | undefined>((best, m) => (!best || m.costPer1k! < best.costPer1k! ? m : best), undefined);
  const used = models.reduce<ModelRow | undefined>((best, m) => (!best || m.requests > best.requests ? m : best), undefined);
  const rangeCost = models.reduce((s, m) => s + m.cost, 0);
  const rangeTokens = models.reduce((s, m) => s + m.totalTokens, 0);
  let optimization: Insights['optimization'];
  if (efficient && rangeCost > 0) {
    const wouldCost = (rangeTokens / 1000) * efficient.costPer1k!;
    const saving = Math.max(0, rangeCost - wouldCost);
    optimization = { model: efficient.model, displayName: efficient.displayName, wouldCost, saving, savingPct: (saving / rangeCost) * 100 };
  }
  const scope = figureScope(q);
  const month = monthToDate(scope, now, ctx.timeZone);
  const days = dayCosts(scope, now, ctx.timeZone);
  return {
    mostEfficientModel: efficient ? { model: efficient.model, displayName: efficient.displayName, costPer1k: efficient.costPer1k! } : undefined,
    mostUsedModel: used ? { model: used.model, displayName: used.displayName, totalTokens: used.totalTokens, requests: used.requests } : undefined,
    optimization,
    burn: burnRate(scope, now),
    activeSessions: activeSessions(scope, now),
    month: { month: month.month, cost: month.cost, projected: month.projectedCost, budget: ctx.budget.monthly },
    days,
    budgetUsedPct: { daily: budgetUse(days.today, ctx.budget.daily) ?? null, monthly: budgetUse(month.cost, ctx.budget.monthly) ?? null },
    block: currentBlock(scope, now),
  };
}

const figureScope = (q: Q): FigureScope => ({ store: q.store, where: q.where, costRules: q.costRules });

function alerts(k: KpiSnapshot, ins: Insights, rangeLabel: string, ctx: DashboardContext): Alert[] {
  const out: Alert[] = [];
  const usd = (v: number) => `$${v.toFixed(2)}`;
  if (ctx.costThreshold > 0 && k.cost > ctx.costThreshold) {
    out.push({
      id: 'cost-threshold', severity: 'warning', title: `Total cost of ${usd(k.cost)} exceeds the ${usd(ctx.costThreshold)} threshold (${rangeLabel})`,
      detail: 'Consider using more cost-effective models for routine tasks.', action: { label: 'Change threshold', command: 'openSettings' },
    });
  }
  const lowest = warningThreshold(ctx.thresholds);
  const budgetAlert = (period: string, spent: number, pct: number | null, budget?: number) => {
    if (pct === null || budget === undefined || pct < lowest) return;
    out.push({
      id: `budget-${period}`, severity: pct >= 100 ? 'error' : 'warning',
      title: pct >= 100 ? `Over the ${period} budget: ${usd(spent)} of ${usd(budget)}` : `${Math.floor(pct)} % of the ${period} budget used: ${usd(spent)} of ${usd(budget)}`,
      detail: period === 'daily' ? 'Today, in your time zone.' : `This calendar month; at this pace it ends at ${usd(ins.month.projected)}.`,
      action: { label: 'Change budget', command: 'setBudget' },
    });
  };
  budgetAlert('daily', ins.days.today, ins.budgetUsedPct.daily, ctx.budget.daily);
  budgetAlert('monthly', ins.month.cost, ins.budgetUsedPct.monthly, ctx.budget.monthly);
  if (isHighBurn(ins.burn, ctx.burnRatePerHour)) {
    out.push({
      id: 'burn-rate', severity: 'warning', title: `High burn rate: ${usd(ins.burn.costPerHour)}/hour`,
      detail: `Spend over the last ${ins.burn.windowMinutes} minutes runs above ${usd(ctx.burnRatePerHour)}/hour.`, action: { label: 'Change limit', command: 'openSettings' },
    });
  }
  (ctx.agentNotes ?? []).forEach((note, i) => {
    // "<title>: <why>": the title says what is missing, the detail why.
    const cut = note.indexOf(': ');
    out.push({ id: `agent-note-${i}`, severity: 'info', title: cut > 0 ? note.slice(0, cut) : note, detail: cut > 0 ? note.slice(cut + 2) : '' });
  });
  if (k.unpricedModels.length) {
    out.push({
      id: 'unpriced', severity: 'info', title: `No price for ${k.unpricedModels.length === 1 ? 'a model' : `${k.unpricedModels.length} models`}: ${k.unpricedModels.join(', ')}`,
      detail: 'Their tokens are counted but cost $0. Add a price in tokenCost.pricing.', action: { label: 'Add a price', command: 'openPricingSettings' },
    });
  }
  return out;
}

/**
 * Everything one view draws for one filter, aggregated in SQL: whole hours from the rollup, the
 * rest of a range (and the few exact times a table shows) from `requests`, names from the
 * dimension tables.
 */
export function buildDashboard(store: UsageStore, filter: DashboardFilter, ctx: DashboardContext): DashboardData {
  const now = ctx.now ?? Date.now();
  const tz = ctx.timeZone;
  const resolved = resolveRange(filter.range, tz, now);
  const f = storeFilter(store, filter, resolved, ctx.workspaceFolders);
  const q: Q = { store, costRules: ctx.costRules ?? 'ccusage', where: idWhere(store, f), sources: names(store, 'sources'), models: names(store, 'models'), projects: names(store, 'projects') };
  const range: Range = { start: resolved.start, end: resolved.end };
  const bounds = resolved.start === undefined || resolved.end === undefined ? span(q, range) : undefined;
  const start = resolved.start ?? (bounds ? startOfDay(dayKey(bounds.lo, tz), tz) : startOfDay(dayKey(now, tz), tz));
  const end = resolved.end ?? Math.max(now, (bounds?.hi ?? 0) + 1);
  const spanDays = Math.max(1, Math.round((Math.min(end, Math.max(now, start + 1)) - start) / 86_400_000));
  const bucket = bucketFor(end - start);
  const buckets = bucketsBetween(start, end, bucket, tz);
  const sums = sumsByModel(q.store, { ...range, costRules: q.costRules }, q.where, q.models);
  const t = totalsOf(sums);
  const otherRules: CostRules = q.costRules === 'api' ? 'ccusage' : 'api';
  const todayF = storeFilter(store, { ...filter, range: { kind: 'preset', preset: 'today' } }, todayRange(tz, now), ctx.workspaceFolders);
  const todayT = rangeTotals(q, { start: todayF.start, end: todayF.end });
  const k = { ...kpis(t, t.requests ? spanDays : 0), otherRulesCost: rangeTotals(q, range, otherRules).cost };
  const models = modelRows(sums, t.cost);
  const { points, trendSources } = trend(q, range, buckets);
  const ins = insights(q, models, ctx, now);
  // Tasks are what heartbeat agents and manual logs name; a source filter naming neither leaves none.
  const taskSources = (f.sources?.length ? f.sources : TASK_SOURCES).filter((s) => TASK_SOURCES.includes(s));
  const tasksWhere = idWhere(store, { ...f, sources: taskSources.length ? taskSources : ['\u0000none'] });
  return {
    generatedAt: now,
    today: dayKey(now, tz),
    timeZone: tz,
    filter,
    range: { start: resolved.start ?? null, end: resolved.end ?? null, label: resolved.label, bucket },
    costRules: q.costRules,
    kpis: k,
    todayKpis: kpis(todayT, 1),
    trend: points,
    trendSources,
    models,
    costShare: shareSlices(models, t.cost),
    sessions: sessionRows(q, range, now),
    projects: projectRows(q, range),
    tasks: taskRows(q, range, tasksWhere),
    agents: agentRows(q, range),
    recent: recentRows(q, range),
    insights: ins,
    alerts: alerts(k, ins, resolved.label, ctx),
    options: filterOptions(q, ctx.workspaceFolders),
    recordCount: n(store.get('SELECT total(requests) AS n FROM rollup')?.n),
    scanned: ctx.scanned,
    storageRole: ctx.storageRole,
    gettingStarted: ctx.gettingStarted,
  };
}
