import {
  WORKSPACE_PROJECT,
  type Alert,
  type DashboardData,
  type DashboardFilter,
  type FilterOptions,
  type Insights,
  type KpiSnapshot,
  type ModelRow,
  type RecentRow,
  type SessionRow,
  type ShareSlice,
  type TrendPoint,
} from '../protocol';
import { agentOf, providerOf } from './model';
import { addDays, bucketFor, bucketsBetween, monthProgress, monthRange, resolveRange } from './periods';
import { filterClause, todayRange, totals, type Totals, type UsageFilter } from './query';
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
  /** Alert when the last 15 minutes run faster than this many USD per hour; 0 turns it off. */
  burnRatePerHour: number;
  workspaceFolders: readonly string[];
  gettingStarted: DashboardData['gettingStarted'];
}

const ACTIVE_WINDOW_MS = 30 * 60_000;
const BURN_WINDOW_MIN = 15;
const BLOCK_MS = 5 * 3_600_000;
// Every zone's offset is a multiple of 15 minutes, so 15-minute groups never straddle a local
// hour or day: SQL groups by them and the host folds them into the chart's buckets.
const QUANTUM_MS = 15 * 60_000;

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const TOKENS = 'input + output + cache_write + cache_read';

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

function filterOptions(store: UsageStore, workspaceFolders: readonly string[]): FilterOptions {
  const names = (table: string) => store.all(`SELECT name FROM ${table} ORDER BY name`).map((r) => String(r.name));
  const sources = store.all('SELECT DISTINCT s.name AS name FROM sources s WHERE EXISTS (SELECT 1 FROM requests r WHERE r.source_id = s.id) ORDER BY name').map((r) => String(r.name));
  const models = names('models').map((model) => ({ model, provider: providerOf(model) }));
  const agents = [
    ...sources.filter((s) => s !== 'heartbeat'),
    ...store.all(`SELECT DISTINCT session FROM usage WHERE source = 'heartbeat' ORDER BY session`).map((r) => String(r.session)),
  ];
  return {
    sources,
    providers: [...new Set(models.map((m) => m.provider))].sort(),
    models,
    projects: store.all('SELECT name FROM projects ORDER BY name LIMIT 500').map((r) => String(r.name)),
    agents,
    hasWorkspace: workspaceFolders.length > 0,
  };
}

/** Fills the chart buckets from 15-minute groups; also yields the sources seen, by cost. */
function trend(store: UsageStore, f: UsageFilter, span: { start: number; end: number }, bucket: DashboardData['range']['bucket'], timeZone: string) {
  const w = filterClause(f);
  const rows = store.all(
    `SELECT ts / ${QUANTUM_MS} AS q, source, sum(input) AS input, sum(output) AS output, sum(cache_write) AS cw,
            sum(cache_read) AS cr, sum(cost) AS cost, count(*) AS requests
       FROM usage ${w.sql} GROUP BY q, source ORDER BY q`,
    w.params,
  );
  const buckets = bucketsBetween(span.start, span.end, bucket, timeZone);
  const points: TrendPoint[] = buckets.map((b) => ({
    start: b.start, label: b.label, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0,
    totalTokens: 0, cost: 0, requests: 0, costBySource: {},
  }));
  const sourceCost = new Map<string, number>();
  let i = 0;
  for (const r of rows) {
    const t = n(r.q) * QUANTUM_MS;
    while (i < buckets.length && buckets[i].end <= t) i++;
    if (i >= buckets.length) break;
    if (t < buckets[i].start) continue;
    const p = points[i];
    const source = String(r.source);
    p.inputTokens += n(r.input);
    p.outputTokens += n(r.output);
    p.cacheWriteTokens += n(r.cw);
    p.cacheReadTokens += n(r.cr);
    p.cost += n(r.cost);
    p.requests += n(r.requests);
    p.costBySource[source] = (p.costBySource[source] ?? 0) + n(r.cost);
    sourceCost.set(source, (sourceCost.get(source) ?? 0) + n(r.cost));
  }
  for (const p of points) p.totalTokens = p.inputTokens + p.outputTokens + p.cacheWriteTokens + p.cacheReadTokens;
  const trendSources = [...sourceCost.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s);
  return { points, trendSources };
}

function modelRows(store: UsageStore, f: UsageFilter, totalCost: number): ModelRow[] {
  const w = filterClause(f);
  return store
    .all(
      `SELECT model, sum(input) AS input, sum(output) AS output, sum(cache_write) AS cw, sum(cache_read) AS cr,
              sum(cost) AS cost, count(*) AS requests, max(unpriced) AS unpriced
         FROM usage ${w.sql} GROUP BY model ORDER BY cost DESC, model`,
      w.params,
    )
    .map((r) => {
      const totalTokens = n(r.input) + n(r.output) + n(r.cw) + n(r.cr);
      const requests = n(r.requests);
      const cost = n(r.cost);
      return {
        model: String(r.model), provider: providerOf(String(r.model)), inputTokens: n(r.input), outputTokens: n(r.output),
        cacheWriteTokens: n(r.cw), cacheReadTokens: n(r.cr), totalTokens, cost, requests,
        avgCostPerRequest: requests ? cost / requests : 0, avgTokensPerRequest: requests ? totalTokens / requests : 0,
        costPer1k: totalTokens ? (cost / totalTokens) * 1000 : null, costShare: totalCost > 0 ? (cost / totalCost) * 100 : 0,
        unpriced: n(r.unpriced) === 1,
      };
    });
}

function shareSlices(models: ModelRow[], total: number): ShareSlice[] {
  const top = models.filter((m) => m.cost > 0).slice(0, 6);
  const rest = models.filter((m) => m.cost > 0).slice(6).reduce((s, m) => s + m.cost, 0);
  const slices = top.map((m) => ({ label: m.model, cost: m.cost, share: total > 0 ? (m.cost / total) * 100 : 0 }));
  if (rest > 0) slices.push({ label: 'Other', cost: rest, share: total > 0 ? (rest / total) * 100 : 0 });
  return slices;
}

function sessionRows(store: UsageStore, f: UsageFilter, now: number): SessionRow[] {
  const w = filterClause(f);
  return store
    .all(
      `SELECT session, source, max(project) AS project, sum(cost) AS cost, sum(${TOKENS}) AS tokens, count(*) AS requests,
              min(ts) AS first, max(ts) AS last
         FROM usage ${w.sql} GROUP BY session, source ORDER BY cost DESC, tokens DESC LIMIT 20`,
      w.params,
    )
    .map((r) => ({
      session: String(r.session), source: String(r.source), project: String(r.project), agent: agentOf(String(r.source), String(r.session)),
      cost: n(r.cost), totalTokens: n(r.tokens), requests: n(r.requests), firstActivity: n(r.first), lastActivity: n(r.last),
      active: now - n(r.last) <= ACTIVE_WINDOW_MS,
    }));
}

function insights(store: UsageStore, f: UsageFilter, models: ModelRow[], ctx: DashboardContext, now: number): Insights {
  const priced = models.filter((m) => !m.unpriced && m.cost > 0 && m.costPer1k !== null);
  const efficient = priced.reduce<ModelRow | undefined>((best, m) => (!best || m.costPer1k! < best.costPer1k! ? m : best), undefined);
  const used = models.reduce<ModelRow | undefined>((best, m) => (!best || m.requests > best.requests ? m : best), undefined);
  const rangeCost = models.reduce((s, m) => s + m.cost, 0);
  const rangeTokens = models.reduce((s, m) => s + m.totalTokens, 0);
  let optimization: Insights['optimization'];
  if (efficient && rangeCost > 0) {
    const wouldCost = (rangeTokens / 1000) * efficient.costPer1k!;
    const saving = Math.max(0, rangeCost - wouldCost);
    optimization = { model: efficient.model, wouldCost, saving, savingPct: (saving / rangeCost) * 100 };
  }
  const tz = ctx.timeZone;
  const sum = (start: number, end: number) => totals(store, { ...f, start, end });
  const burnRow = store.get(
    `SELECT coalesce(sum(${TOKENS}), 0) AS tokens, coalesce(sum(cost), 0) AS cost FROM usage ${filterClause({ ...f, start: now - BURN_WINDOW_MIN * 60_000, end: now + 1 }).sql}`,
    filterClause({ ...f, start: now - BURN_WINDOW_MIN * 60_000, end: now + 1 }).params,
  );
  const activeW = filterClause({ ...f, start: now - ACTIVE_WINDOW_MS, end: now + 1 });
  const active = store.get(`SELECT count(DISTINCT session) AS c FROM usage ${activeW.sql}`, activeW.params);
  const month = monthRange(now, tz);
  const monthCost = sum(month.start!, month.end!).cost;
  const progress = monthProgress(now, tz);
  const today = dayKey(now, tz);
  const dayCost = (day: string) => sum(startOfDay(day, tz), startOfDay(addDays(day, 1), tz)).cost;
  const todayCost = dayCost(today);
  const yesterday = dayCost(addDays(today, -1));
  return {
    mostEfficientModel: efficient ? { model: efficient.model, costPer1k: efficient.costPer1k! } : undefined,
    mostUsedModel: used ? { model: used.model, totalTokens: used.totalTokens, requests: used.requests } : undefined,
    optimization,
    burn: { tokensPerMinute: n(burnRow?.tokens) / BURN_WINDOW_MIN, costPerHour: (n(burnRow?.cost) * 60) / BURN_WINDOW_MIN, windowMinutes: BURN_WINDOW_MIN },
    activeSessions: n(active?.c),
    month: { month: month.month, cost: monthCost, projected: progress.elapsed > 0 ? monthCost / progress.elapsed : monthCost, budget: ctx.budget.monthly },
    days: {
      today: todayCost, yesterday, sameDayLastWeek: dayCost(addDays(today, -7)),
      todayVsYesterdayPct: yesterday > 0 ? ((todayCost - yesterday) / yesterday) * 100 : null,
    },
    block: currentBlock(store, f, now),
  };
}

/**
 * The running 5-hour block, as ccusage's `blocks` counts them: a block starts at the hour of
 * its first request and ends 5 hours later; a gap of 5 hours also ends it.
 */
function currentBlock(store: UsageStore, f: UsageFilter, now: number): Insights['block'] {
  const w = filterClause({ ...f, start: now - 2 * BLOCK_MS, end: now + 1 });
  const times = store.all(`SELECT DISTINCT ts FROM usage ${w.sql} ORDER BY ts`, w.params).map((r) => n(r.ts));
  let start: number | undefined;
  let last: number | undefined;
  for (const t of times) {
    if (start === undefined || t - start >= BLOCK_MS || (last !== undefined && t - last >= BLOCK_MS)) start = Math.floor(t / 3_600_000) * 3_600_000;
    last = t;
  }
  if (start === undefined || last === undefined || now >= start + BLOCK_MS || now - last >= BLOCK_MS) return undefined;
  const end = start + BLOCK_MS;
  const t = totals(store, { ...f, start, end: now + 1 });
  const elapsed = Math.max(60_000, now - start);
  return { start, end, cost: t.cost, totalTokens: t.totalTokens, projectedCost: (t.cost / elapsed) * BLOCK_MS, minutesLeft: Math.max(0, Math.round((end - now) / 60_000)) };
}

function alerts(k: KpiSnapshot, ins: Insights, rangeLabel: string, ctx: DashboardContext): Alert[] {
  const out: Alert[] = [];
  const usd = (v: number) => `$${v.toFixed(2)}`;
  if (ctx.costThreshold > 0 && k.cost > ctx.costThreshold) {
    out.push({
      id: 'cost-threshold', severity: 'warning', title: `Total cost of ${usd(k.cost)} exceeds the ${usd(ctx.costThreshold)} threshold (${rangeLabel})`,
      detail: 'Consider using more cost-effective models for routine tasks.', action: { label: 'Change threshold', command: 'openSettings' },
    });
  }
  const lowest = Math.min(...(ctx.thresholds.length ? ctx.thresholds : [80]));
  const budgetAlert = (period: string, spent: number, budget?: number) => {
    if (!budget) return;
    const pct = (spent / budget) * 100;
    if (pct < lowest) return;
    out.push({
      id: `budget-${period}`, severity: pct >= 100 ? 'error' : 'warning',
      title: pct >= 100 ? `Over the ${period} budget: ${usd(spent)} of ${usd(budget)}` : `${Math.floor(pct)} % of the ${period} budget used: ${usd(spent)} of ${usd(budget)}`,
      detail: period === 'daily' ? 'Today, in your time zone.' : `This calendar month; at this pace it ends at ${usd(ins.month.projected)}.`,
      action: { label: 'Change budget', command: 'setBudget' },
    });
  };
  budgetAlert('daily', ins.days.today, ctx.budget.daily);
  budgetAlert('monthly', ins.month.cost, ctx.budget.monthly);
  if (ctx.burnRatePerHour > 0 && ins.burn.costPerHour >= ctx.burnRatePerHour) {
    out.push({
      id: 'burn-rate', severity: 'warning', title: `High burn rate: ${usd(ins.burn.costPerHour)}/hour`,
      detail: `Spend over the last ${ins.burn.windowMinutes} minutes runs above ${usd(ctx.burnRatePerHour)}/hour.`, action: { label: 'Change limit', command: 'openSettings' },
    });
  }
  if (k.unpricedModels.length) {
    out.push({
      id: 'unpriced', severity: 'info', title: `No price for ${k.unpricedModels.length === 1 ? 'a model' : `${k.unpricedModels.length} models`}: ${k.unpricedModels.join(', ')}`,
      detail: 'Their tokens are counted but cost $0. Add a price in tokenCost.pricing.', action: { label: 'Add a price', command: 'openPricingSettings' },
    });
  }
  return out;
}

/** Everything one view draws for one filter, aggregated in SQL. */
export function buildDashboard(store: UsageStore, filter: DashboardFilter, ctx: DashboardContext): DashboardData {
  const now = ctx.now ?? Date.now();
  const tz = ctx.timeZone;
  const resolved = resolveRange(filter.range, tz, now);
  const f = storeFilter(store, filter, resolved, ctx.workspaceFolders);
  const t = totals(store, f);
  const w = filterClause(f);
  const spanRow = store.get(`SELECT min(ts) AS lo, max(ts) AS hi FROM usage ${w.sql}`, w.params);
  const start = resolved.start ?? (spanRow?.lo != null ? startOfDay(dayKey(n(spanRow.lo), tz), tz) : startOfDay(dayKey(now, tz), tz));
  const end = resolved.end ?? Math.max(now, n(spanRow?.hi) + 1);
  const spanDays = Math.max(1, Math.round((Math.min(end, Math.max(now, start + 1)) - start) / 86_400_000));
  const bucket = bucketFor(end - start);
  const todayT = totals(store, { ...storeFilter(store, { ...filter, range: { kind: 'preset', preset: 'today' } }, todayRange(tz, now), ctx.workspaceFolders) });
  const k = kpis(t, t.requests ? spanDays : 0);
  const models = modelRows(store, f, t.cost);
  const { points, trendSources } = trend(store, f, { start, end }, bucket, tz);
  const ins = insights(store, f, models, ctx, now);
  const projectsW = filterClause(f);
  const tasksW = filterClause({ ...f, sources: f.sources?.length ? f.sources.filter((s) => s === 'heartbeat' || s === 'manual') : ['heartbeat', 'manual'] });
  return {
    generatedAt: now,
    today: dayKey(now, tz),
    timeZone: tz,
    filter,
    range: { start: resolved.start ?? null, end: resolved.end ?? null, label: resolved.label, bucket },
    kpis: k,
    todayKpis: kpis(todayT, 1),
    trend: points,
    trendSources,
    models,
    costShare: shareSlices(models, t.cost),
    sessions: sessionRows(store, f, now),
    projects: store
      .all(
        `SELECT project, sum(cost) AS cost, sum(${TOKENS}) AS tokens, count(*) AS requests, count(DISTINCT session) AS sessions, max(ts) AS last
           FROM usage ${projectsW.sql} GROUP BY project ORDER BY cost DESC, tokens DESC LIMIT 50`,
        projectsW.params,
      )
      .map((r) => ({ project: String(r.project), cost: n(r.cost), totalTokens: n(r.tokens), requests: n(r.requests), sessions: n(r.sessions), lastActivity: n(r.last) })),
    tasks: store
      .all(
        `SELECT session, source, max(project) AS project, sum(cost) AS cost, sum(${TOKENS}) AS tokens, count(*) AS requests, max(ts) AS last
           FROM usage ${tasksW.sql} GROUP BY session, source ORDER BY cost DESC, tokens DESC LIMIT 20`,
        tasksW.params,
      )
      .map((r) => ({
        task: String(r.session), project: String(r.project), source: String(r.source), agent: agentOf(String(r.source), String(r.session)),
        cost: n(r.cost), totalTokens: n(r.tokens), requests: n(r.requests), lastActivity: n(r.last),
      })),
    recent: recentRows(store, f),
    insights: ins,
    alerts: alerts(k, ins, resolved.label, ctx),
    options: filterOptions(store, ctx.workspaceFolders),
    recordCount: store.recordCount(),
    scanned: ctx.scanned,
    storageRole: ctx.storageRole,
    gettingStarted: ctx.gettingStarted,
  };
}

function recentRows(store: UsageStore, f: UsageFilter): RecentRow[] {
  const w = filterClause(f);
  return store
    .all(`SELECT ts, source, model, project, session, ${TOKENS} AS tokens, cost FROM usage ${w.sql} ORDER BY ts DESC LIMIT 20`, w.params)
    .map((r) => ({
      timestamp: n(r.ts), source: String(r.source), agent: agentOf(String(r.source), String(r.session)), model: String(r.model),
      project: String(r.project), session: String(r.session), totalTokens: n(r.tokens), cost: n(r.cost),
    }));
}
