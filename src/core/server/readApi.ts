import type { LimitsReport } from '../limits';
import { limitsFromDisk } from '../limitsSources';
import { buildDashboard } from '../dashboard';
import { CSV_COLUMNS, csvLine, exportFileName, exportRecord } from '../export';
import { agentOf, providerOf } from '../model';
import { monthRange, timeframeRange, type Timeframe } from '../periods';
import type { CostRules } from '../pricing/pricing';
import {
  activeSessions,
  activeSince,
  budgetLevel,
  budgetUse,
  burnRate,
  DEFAULT_BUDGET_THRESHOLDS,
  eachRequest,
  isActiveSession,
  isHighBurn,
  latestRequests,
  localDay,
  monthProjection,
  monthToDate,
  sessionSummaries,
  sessionTotals,
  todayRange,
  totals,
  totalsBy,
  totalsByBucket,
  totalsByDay,
  type FigureScope,
  type GroupTotals,
  type TimeRange,
} from '../read';
import type { Budget } from '../status';
import type { UsageStore } from '../store';
import { dayKey, daysBetween, startOfDay } from '../time';
import { RequestError } from './validate';

/**
 * The read API's response shapes. Field names follow the reference dashboards' APIs
 * (../shared/seeds 000, 002, 003, 004) so that scripts written against them keep working; the
 * totals come from the read layer's aggregates (../read: query.ts), the live figures (burn rate, active sessions,
 * projection, budget use) from figures.ts as everywhere else. "Tokens" everywhere means all four kinds
 * (input, output, cache write, cache read), as in the rest of the product.
 */
export interface ReadContext {
  store: UsageStore;
  timeZone: string;
  budget: Budget;
  /** USD per hour over the burn window that counts as a high burn rate (0 = off). */
  burnAlertPerHour: number;
  /** Budget percentages that alert (tokenCost.alerts.thresholds); figures' default when absent. */
  thresholds?: readonly number[];
  /** Whose rules the live figures' dollars follow (tokenCost.costRules); ccusage's when absent. */
  costRules?: CostRules;
  now: number;
}

const scopeOf = (ctx: ReadContext): FigureScope => ({ store: ctx.store, where: '', costRules: ctx.costRules });
const badQuery = (detail: string) => new RequestError(400, 'bad_query', detail);

const TIMEFRAMES: readonly Timeframe[] = ['hour', 'day', 'week', 'month', 'all'];

function timeframeParam(q: URLSearchParams, fallback: Timeframe): Timeframe {
  const tf = q.get('timeframe') ?? fallback;
  if (!(TIMEFRAMES as readonly string[]).includes(tf)) throw badQuery(`timeframe must be one of ${TIMEFRAMES.join(', ')}`);
  return tf as Timeframe;
}

function limitParam(q: URLSearchParams, fallback: number, max = 10_000): number {
  const raw = q.get('limit');
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw badQuery(`limit must be a whole number from 1 to ${max}`);
  return Number(raw);
}

function sourceParam(q: URLSearchParams): string | undefined {
  const s = q.get('source');
  if (s === null) return undefined;
  if (!/^[a-z-]{1,32}$/.test(s)) throw badQuery('source must be a source name such as manual, heartbeat or claude-code');
  return s;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);

// ------------------------------------------------------------------ GET /api/tokens (seed 000)

type TokensAction = 'stats' | 'trends' | 'export';

export function tokensAction(q: URLSearchParams): TokensAction {
  const action = q.get('action') ?? 'stats';
  if (action !== 'stats' && action !== 'trends' && action !== 'export') throw badQuery('action must be stats, trends or export');
  return action;
}

export function tokenStats(ctx: ReadContext, q: URLSearchParams): object {
  const timeframe = timeframeParam(q, 'day');
  const range = timeframeRange(timeframe, ctx.timeZone, ctx.now);
  const t = totals(ctx.store, range);
  const models: Record<string, object> = {};
  for (const m of totalsBy(ctx.store, 'model', range)) {
    models[m.key] = { totalTokens: m.totalTokens, totalCost: m.cost, requestCount: m.requests, provider: providerOf(m.key), ...kinds(m) };
  }
  const sessions: Record<string, object> = {};
  for (const s of sessionTotals(ctx.store, range, limitParam(q, 100))) {
    sessions[s.key] = {
      totalTokens: s.totalTokens,
      totalCost: s.cost,
      requestCount: s.requests,
      avgCostPerRequest: s.requests ? s.cost / s.requests : 0,
      agent: agentOf(s.source, s.key),
      project: s.project,
      active: isActiveSession(s.lastTs, ctx.now),
      lastActivity: new Date(s.lastTs).toISOString(),
    };
  }
  return {
    summary: {
      totalTokens: t.totalTokens,
      totalCost: t.cost,
      requestCount: t.requests,
      avgTokensPerRequest: t.requests ? Math.round(t.totalTokens / t.requests) : 0,
      avgCostPerRequest: t.requests ? t.cost / t.requests : 0,
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      cacheWriteTokens: t.cacheWriteTokens,
      cacheReadTokens: t.cacheReadTokens,
      unpricedModels: t.unpricedModels,
    },
    models,
    sessions,
    timeframe,
    recordCount: t.requests,
  };
}

const kinds = (g: GroupTotals) => ({
  inputTokens: g.inputTokens,
  outputTokens: g.outputTokens,
  cacheWriteTokens: g.cacheWriteTokens,
  cacheReadTokens: g.cacheReadTokens,
});

/** Trend buckets: 2 minutes for the last hour, hours for a day, local days for longer. Empty buckets are filled with zeros. */
export function tokenTrends(ctx: ReadContext, q: URLSearchParams): object {
  const timeframe = timeframeParam(q, 'day');
  const range = timeframeRange(timeframe, ctx.timeZone, ctx.now);
  const point = (start: number, g?: GroupTotals) => ({
    timestamp: new Date(start).toISOString(),
    tokens: g?.totalTokens ?? 0,
    cost: g?.cost ?? 0,
    requests: g?.requests ?? 0,
  });
  let trends: ReturnType<typeof point>[];
  if (timeframe === 'hour' || timeframe === 'day') {
    const bucketMs = timeframe === 'hour' ? 2 * 60_000 : 3600_000;
    const start = timeframe === 'hour' ? Math.floor(range.start! / bucketMs) * bucketMs : range.start!;
    const end = timeframe === 'hour' ? ctx.now : range.end!;
    const found = new Map(totalsByBucket(ctx.store, { start, end }, bucketMs).map((g) => [Number(g.key), g]));
    trends = [];
    for (let t = start; t < end; t += bucketMs) trends.push(point(t, found.get(t)));
  } else {
    const days = totalsByDay(ctx.store, ctx.timeZone, range);
    const found = new Map(days.map((g) => [g.key, g]));
    const first = range.start !== undefined ? dayKey(range.start, ctx.timeZone) : days[0]?.key;
    const last = dayKey(ctx.now, ctx.timeZone);
    trends = first ? daysBetween(first, last, ctx.timeZone).map((d) => point(d.start, found.get(d.day))) : [];
  }
  return { trends, timeframe };
}

/** CSV (the export command's columns) or JSON (`{exportedAt, timeframe, range, totals, requests}`). */
export function tokenExport(ctx: ReadContext, q: URLSearchParams): { body: string; contentType: string; filename: string } {
  const timeframe = timeframeParam(q, 'day');
  const format = q.get('format') ?? 'json';
  if (format !== 'csv' && format !== 'json') throw badQuery('format must be csv or json');
  const range = timeframeRange(timeframe, ctx.timeZone, ctx.now);
  const filename = exportFileName(timeframe, format, ctx.now, ctx.timeZone);
  if (format === 'csv') {
    const lines: string[] = [CSV_COLUMNS.join(',')];
    eachRequest(ctx.store, range, (row) => lines.push(csvLine(row)));
    return { body: `${lines.join('\n')}\n`, contentType: 'text/csv; charset=utf-8', filename };
  }
  const requests: object[] = [];
  eachRequest(ctx.store, range, (row) => requests.push(exportRecord(row)));
  const t = totals(ctx.store, range);
  return {
    body: JSON.stringify({
      exportedAt: new Date(ctx.now).toISOString(),
      timeframe,
      range: { from: iso(range.start), until: iso(range.end) },
      totals: {
        inputTokens: t.inputTokens,
        outputTokens: t.outputTokens,
        cacheWriteTokens: t.cacheWriteTokens,
        cacheReadTokens: t.cacheReadTokens,
        totalTokens: t.totalTokens,
        cost: t.cost,
        requests: t.requests,
      },
      requests,
    }),
    contentType: 'application/json; charset=utf-8',
    filename,
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

// ------------------------------------------------------------------- GET /api/costs (seed 002)

/** `timeframe` as in the reference API: a number of days for the breakdowns, `30d` by default. */
function daysParam(q: URLSearchParams): number {
  const raw = q.get('timeframe') ?? '30d';
  const m = /^(\d{1,4})d?$/.exec(raw);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 3660) throw badQuery('timeframe must be a number of days such as 30d (1 to 3660)');
  return Number(m[1]);
}

export function costs(ctx: ReadContext, q: URLSearchParams): object {
  const { store, timeZone: tz, now, costRules } = ctx;
  const days = daysParam(q);
  const today = todayRange(tz, now);
  const yesterday = localDay(now, tz, -1);
  const month = monthRange(now, tz);
  const lastMonth = monthRange(month.start! - 1, tz);
  const thisMonthCost = totals(store, { ...month, costRules }).cost;
  const firstDay = daysBetween(dayKey(now - (days - 1) * 86_400_000, tz), today.day, tz)[0]?.day ?? today.day;
  const window: TimeRange = { start: startOfDay(firstDay, tz), end: today.end };
  const byAgent = totalsBy(store, 'agent', window);
  const byModel = totalsBy(store, 'model', window);
  const windowCost = byAgent.reduce((s, g) => s + g.cost, 0);
  const hourly = totalsByBucket(store, { start: today.start!, end: today.end! }, 3600_000);
  return {
    today: totals(store, { ...today, costRules }).cost,
    yesterday: totals(store, { ...yesterday, costRules }).cost,
    thisMonth: thisMonthCost,
    lastMonth: totals(store, { ...lastMonth, costRules }).cost,
    projected: monthProjection(thisMonthCost, now, tz),
    budget: ctx.budget.monthly ?? null,
    dailyBudget: ctx.budget.daily ?? null,
    timeframe: `${days}d`,
    byAgent: byAgent.map((g) => ({
      agent: g.key,
      cost: g.cost,
      tokens: g.totalTokens,
      requests: g.requests,
      percentOfTotal: pct(g.cost, windowCost),
    })),
    byModel: byModel.map((g) => ({
      model: g.key,
      cost: g.cost,
      tokens: g.totalTokens,
      requests: g.requests,
      percentOfTotal: pct(g.cost, windowCost),
    })),
    daily: totalsByDay(store, tz, window).map((g) => ({
      date: g.key.slice(5),
      day: g.key,
      cost: g.cost,
      input: g.inputTokens,
      output: g.outputTokens,
      tokens: g.totalTokens,
    })),
    // Hours of today, by local clock time.
    hourly: hourly.map((g) => ({ hour: `${localHour(Number(g.key), tz)}:00`, cost: g.cost, tokens: g.totalTokens })),
  };
}

function localHour(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(new Date(ms)).padStart(2, '0');
}

// ----------------------------------------------------- GET /api/stats, /api/logs, /api/projects (seed 003)

/** Optional `timeframe` (default all) and `source` (e.g. `manual` for logged tasks only). */
export function stats(ctx: ReadContext, q: URLSearchParams): object {
  const timeframe = timeframeParam(q, 'all');
  const range = timeframeRange(timeframe, ctx.timeZone, ctx.now);
  const source = sourceParam(q);
  const t = totalsBy(ctx.store, 'source', range, { source });
  const sum = t.reduce((a, g) => ({ tokens: a.tokens + g.totalTokens, cost: a.cost + g.cost, count: a.count + g.requests }), {
    tokens: 0,
    cost: 0,
    count: 0,
  });
  const entry = (g: GroupTotals) => ({ tokens: g.totalTokens, cost: g.cost, count: g.requests });
  const byProject: Record<string, object> = {};
  for (const g of totalsBy(ctx.store, 'project', range, { source })) byProject[g.key] = entry(g);
  const byDate: Record<string, object> = {};
  for (const g of totalsByDay(ctx.store, ctx.timeZone, range, source)) byDate[g.key] = entry(g);
  const byTask: Record<string, object> = {};
  for (const g of totalsBy(ctx.store, 'session', range, { source, limit: limitParam(q, 100) })) byTask[g.key] = entry(g);
  return {
    totalTokens: sum.tokens,
    totalCost: sum.cost,
    logs: sum.count,
    byProject,
    byDate,
    byTask,
    timeframe,
    ...(source ? { source } : {}),
  };
}

/** The latest entries (default 100), oldest first, with local date and time. */
export function logs(ctx: ReadContext, q: URLSearchParams): object[] {
  const timeframe = timeframeParam(q, 'all');
  const range = timeframeRange(timeframe, ctx.timeZone, ctx.now);
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone: ctx.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return latestRequests(ctx.store, range, limitParam(q, 100), sourceParam(q)).map((r) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(r.timestamp)).map((x) => [x.type, x.value]));
    const date = `${p.year}-${p.month}-${p.day}`;
    const time = `${p.hour}:${p.minute}:${p.second}`;
    return {
      datetime: `${date} ${time}`,
      date,
      time,
      project: r.project,
      task: r.session,
      tokens: r.totalTokens,
      cost: r.cost,
      timestamp: r.timestamp,
      model: r.model,
      source: r.source,
      agent: agentOf(r.source, r.session),
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
    };
  });
}

/** Project names, most recently active first. */
export function projects(ctx: ReadContext, q: URLSearchParams): string[] {
  const timeframe = timeframeParam(q, 'all');
  const range = timeframeRange(timeframe, ctx.timeZone, ctx.now);
  return totalsBy(ctx.store, 'project', range, { source: sourceParam(q) })
    .sort((a, b) => b.lastTs - a.lastTs || a.key.localeCompare(b.key))
    .map((g) => g.key);
}

// --------------------------------------------------------------- GET /api/tokens-live (seed 004)

export function tokensLive(ctx: ReadContext, agentStatus: ReadonlyMap<string, { status: string; at: number }>): object {
  const { store, timeZone: tz, now, budget } = ctx;
  const scope = scopeOf(ctx);
  const today = todayRange(tz, now);
  const t = totals(store, { ...today, costRules: ctx.costRules });
  const burn = burnRate(scope, now);
  const m = monthToDate(scope, now, tz);
  const dailyBudget = budget.daily;
  const use = budgetUse(t.cost, dailyBudget);
  const level = budgetLevel(use, ctx.thresholds ?? DEFAULT_BUDGET_THRESHOLDS);
  const weekStart = dayKey(today.start! - 6 * 86_400_000, tz);
  const historicalRange = { start: startOfDay(weekStart, tz), end: today.end };
  const historical = new Map(totalsByDay(store, tz, historicalRange).map((g) => [g.key, g]));
  const agents = totalsBy(store, 'agent', today).map((g) => ({
    name: g.key,
    tokens: g.totalTokens,
    cost: g.cost,
    requests: g.requests,
    // Requests per USD: the reference's "tasks per $" with a request as the task.
    efficiency: g.cost > 0 ? round(g.requests / g.cost, 1) : null,
    tasksCompleted: g.requests,
    status: agentStatus.get(g.key)?.status ?? null,
  }));
  return {
    success: true,
    live: {
      timestamp: new Date(now).toISOString(),
      burnRate: Math.round(burn.tokensPerMinute),
      costPerHour: burn.costPerHour,
      activeSessions: activeSessions(scope, now),
      todayTokens: t.totalTokens,
      todayCost: t.cost,
      budgetUsed: use === undefined ? null : round(use, 1),
      budgetRemaining: dailyBudget ? Math.max(0, dailyBudget - t.cost) : null,
    },
    summary: {
      totalTokens: m.totalTokens,
      totalCost: m.cost,
      projectedMonthly: m.projectedCost,
      projectedMonthlyTokens: Math.round(m.projectedTokens),
    },
    agents,
    historical: daysBetween(weekStart, today.day, tz).map((d) => ({
      date: d.day,
      cost: historical.get(d.day)?.cost ?? 0,
      tokens: historical.get(d.day)?.totalTokens ?? 0,
      requests: historical.get(d.day)?.requests ?? 0,
    })),
    savings: savings(ctx),
    alerts: {
      // From the first alert threshold (the status bar's warning colour), as the budget alerts count.
      approachingBudget: level !== 'ok',
      overBudget: level === 'error',
      highBurnRate: isHighBurn(burn, ctx.burnAlertPerHour),
    },
  };
}

const SAVINGS_DAYS = 7;
/** A week's average moves slowly; the dashboard figures it reuses take a moment on a large store. */
const SAVINGS_REFRESH_MS = 60_000;
const savingsCache = new WeakMap<UsageStore, { at: number; timeZone: string; value: object }>();

/**
 * Seed 004's `savings`, from what this product can see, in USD per day over the last 7 days.
 * `model` is the dashboard's "Optimization potential" (seed 000): what the requests would have
 * cost less on the most cost-efficient model among those used, taken from the dashboard's own
 * figures. The reference's `cron` (consolidating scheduled runs), `heartbeat` (fewer polling
 * agents) and `aborted` (sessions cut off) need knowledge of an agent fleet that transcripts do
 * not hold: they are null rather than invented. `total` projects the daily figure as the seed
 * does (30-day month, 365-day year). Recomputed at most once a minute per store.
 */
function savings(ctx: ReadContext): object {
  const cached = savingsCache.get(ctx.store);
  if (cached && cached.timeZone === ctx.timeZone && ctx.now >= cached.at && ctx.now - cached.at < SAVINGS_REFRESH_MS) return cached.value;
  const week = buildDashboard(
    ctx.store,
    { range: { kind: 'preset', preset: 'last7' } },
    {
      timeZone: ctx.timeZone,
      now: ctx.now,
      scanned: true,
      storageRole: 'writer',
      budget: ctx.budget,
      thresholds: [],
      costThreshold: 0,
      burnRatePerHour: 0,
      workspaceFolders: [],
      gettingStarted: { transcriptRoots: [] },
    },
  );
  const o = week.insights.optimization;
  const daily = o ? o.saving / SAVINGS_DAYS : 0;
  const value = {
    model: o ? { savings: daily, percentage: Math.round(o.savingPct), model: o.model } : null,
    cron: null,
    heartbeat: null,
    aborted: null,
    total: { daily, monthly: daily * 30, yearly: daily * 365 },
    basis: `per day, averaged over the last ${SAVINGS_DAYS} days; refreshed every minute`,
  };
  savingsCache.set(ctx.store, { at: ctx.now, timeZone: ctx.timeZone, value });
  return value;
}

// ------------------------------------------------------ GET /api/claude/sessions (seed 000)

const CLAUDE_SOURCES = ['claude-code', 'claude-code-subagent'];

/** The last folder name of a project path (`/home/me/mission-control` is `mission-control`). */
function projectName(p: string): string {
  return (
    p
      .split(/[\\/]+/)
      .filter(Boolean)
      .pop() ?? p
  );
}

/**
 * Claude Code sessions read from transcripts, most recently active first (`limit`, default 100).
 * `active=1` keeps those with a request in the active window (figures.isActiveSession, as every
 * view counts them), `active=0` the others; `timeframe` (default all) narrows the requests counted.
 * `messageCount` is the number of API requests (assistant messages) in the session.
 */
export function claudeSessions(ctx: ReadContext, q: URLSearchParams): object {
  const activeRaw = q.get('active');
  if (activeRaw !== null && !['1', '0', 'true', 'false'].includes(activeRaw)) throw badQuery('active must be 1 or 0');
  const onlyActive = activeRaw === null ? undefined : activeRaw === '1' || activeRaw === 'true';
  const range = timeframeRange(timeframeParam(q, 'all'), ctx.timeZone, ctx.now);
  const limit = limitParam(q, 100);
  const found = sessionSummaries(ctx.store, { ...range, sources: CLAUDE_SOURCES }, onlyActive ? activeSince(ctx.now) : undefined);
  const sessions = found
    .filter((s) => onlyActive === undefined || isActiveSession(s.lastTs, ctx.now) === onlyActive)
    .slice(0, limit)
    .map((s) => ({
      project: projectName(s.project),
      model: s.model,
      messageCount: s.requests,
      totalTokens: s.totalTokens,
      cost: s.cost,
      active: isActiveSession(s.lastTs, ctx.now),
      lastActivity: s.lastTs,
      sessionId: s.key,
      projectPath: s.project,
      firstActivity: s.firstTs,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      cacheWriteTokens: s.cacheWriteTokens,
      cacheReadTokens: s.cacheReadTokens,
      modelsUsed: s.models,
    }));
  return { sessions };
}

// ------------------------------------------------------------------ GET /api/limits

/**
 * Plan limits and pace, the same object `token-cost limits --json` prints: Claude Code's readings
 * from the shared data folder's limits.jsonl, Codex's from `$CODEX_HOME` (else ~/.codex).
 */
export function limits(ctx: ReadContext): LimitsReport {
  return limitsFromDisk({}, ctx.now);
}
