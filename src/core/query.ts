import type { SqlValue } from 'sql.js';
import type { TokenSums } from '../protocol';
import { filterClause, type TimeRange, type UsageFilter } from './filter';
import { bucketIndex, costColumn, idWhere, names, sumsByModel, totalsOf, usageRows, type Totals } from './rollupQuery';
import type { UsageStore } from './store';
import { isPlaceholderModel } from './model';
import type { CostRules } from './pricing/pricing';
import { dayKey, dayRange, daysBetween, nextDay, startOfDay, weekStart } from './time';

// The filter (filter.ts) and the totals (rollupQuery.ts) live where both query engines can import
// them without a cycle; callers keep importing them from here.
export { filterClause, type TimeRange, type UsageFilter } from './filter';
export type { Totals } from './rollupQuery';

/** The token and cost figures of a ccusage JSON row (and of its `totals`). */
export interface CcusageFigures {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
}

export function addFigures(into: CcusageFigures, row: CcusageFigures): void {
  into.inputTokens += row.inputTokens;
  into.outputTokens += row.outputTokens;
  into.cacheCreationTokens += row.cacheCreationTokens;
  into.cacheReadTokens += row.cacheReadTokens;
  into.totalTokens += row.totalTokens;
  into.totalCost += row.totalCost;
}

/** One day in ccusage's `daily --json` shape, so scripts written for ccusage read ours. */
export interface DailyEntry extends CcusageFigures {
  date: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
}

export interface ModelBreakdown {
  modelName: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  cost: number;
}

export interface DailyReport {
  daily: DailyEntry[];
  totals: CcusageFigures;
}

const n = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export function totals(store: UsageStore, range: UsageFilter = {}): Totals {
  // Whole hours come pre-summed from the hourly rollup, only a range's ragged ends per request:
  // the status bar asks for today, the month and all time on every update.
  return totalsOf(sumsByModel(store, range, idWhere(store, range), names(store, 'models')));
}

/**
 * All-time `totals(store).unpricedModels` (models with a request counted at $0 for want of a
 * price), from one look-up per model in the hourly rollup instead of summing all of it: the
 * status bar asks on every update (2.6 ms instead of 50 ms at 1M requests).
 */
export function unpricedModels(store: UsageStore): string[] {
  return store
    .all('SELECT m.name AS model FROM models m WHERE EXISTS (SELECT 1 FROM rollup r WHERE r.model_id = m.id AND r.unpriced > 0)')
    .map((r) => String(r.model))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** [start, end) of the local day containing `now`. */
export function todayRange(timeZone: string, now = Date.now()): TimeRange & { day: string } {
  const r = dayRange(now, timeZone);
  return { day: r.day, start: r.start, end: r.end };
}

/** Converts inclusive `YYYY-MM-DD` bounds to instants in the zone. */
export function dayBounds(timeZone: string, since?: string, until?: string): TimeRange {
  return {
    start: since ? startOfDay(since, timeZone) : undefined,
    end: until ? startOfDay(nextDay(until), timeZone) : undefined,
  };
}

export type Period = 'daily' | 'weekly' | 'monthly';

/** The bucket a local day belongs to: the day, the first day of its week (Monday unless `weekStartsOn` says), or its month. */
export function periodKey(day: string, period: Period, weekStartsOn = 1): string {
  if (period === 'weekly') return weekStart(day, weekStartsOn);
  if (period === 'monthly') return day.slice(0, 7);
  return day;
}

/** A weekly or monthly report: ccusage's `weekly --json` / `monthly --json` shapes. */
export interface PeriodReport {
  weekly?: (Omit<DailyEntry, 'date'> & { week: string })[];
  monthly?: (Omit<DailyEntry, 'date'> & { month: string })[];
  totals: DailyReport['totals'];
}

export function periodReport(
  store: UsageStore,
  timeZone: string,
  period: 'weekly' | 'monthly',
  range: UsageFilter = {},
  weekStartsOn = 1,
): PeriodReport {
  const r = dailyReport(store, timeZone, range, period, weekStartsOn);
  const key = period === 'weekly' ? 'week' : 'month';
  const rows = r.daily.map(({ date, ...rest }) => ({ [key]: date, ...rest }));
  return period === 'weekly'
    ? { weekly: rows as PeriodReport['weekly'], totals: r.totals }
    : { monthly: rows as PeriodReport['monthly'], totals: r.totals };
}

/**
 * Per-day (or per-week, per-month) totals with a per-model breakdown. Days are local calendar
 * days: their boundaries are computed for the zone and each row is put in its day in SQL, so the
 * aggregation itself stays in the database (over the hourly rollup where hours fit in a day).
 */
export function dailyReport(
  store: UsageStore,
  timeZone: string,
  range: UsageFilter = {},
  period: Period = 'daily',
  weekStartsOn = 1,
): DailyReport {
  const empty: DailyReport = {
    daily: [],
    totals: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0, totalCost: 0 },
  };
  const where = idWhere(store, range);
  const all = usageRows(range, where);
  const span = store.get(`SELECT min(lo) AS lo, max(hi) AS hi FROM (${all.sql})`, all.params);
  if (!span || span.lo === null) return empty;
  const days = daysBetween(dayKey(n(span.lo), timeZone), dayKey(n(span.hi), timeZone), timeZone);
  const starts = days.map((d) => d.start);
  // Whole hours come pre-summed from the hourly rollup; an hour that a local midnight cuts (zones
  // with :30 and :45 offsets) is read per request, so every row lies inside one day.
  const rowsOf = usageRows(range, where, starts);
  const rows = store.all(
    `SELECT ${bucketIndex('lo', starts)} AS d, m, sum(input) AS input, sum(output) AS output, sum(cw) AS cw, sum(cr) AS cr,
            sum(cost) AS cost
       FROM (${rowsOf.sql}) GROUP BY d, m`,
    rowsOf.params,
  );
  const models = names(store, 'models');
  const byDay = new Map<string, Map<string, ModelBreakdown>>();
  for (const r of rows) {
    const date = periodKey(days[n(r.d)].day, period, weekStartsOn);
    const model = models.get(n(r.m)) ?? '';
    let day = byDay.get(date);
    if (!day) byDay.set(date, (day = new Map()));
    const b = day.get(model) ?? { modelName: model, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, cost: 0 };
    b.inputTokens += n(r.input);
    b.outputTokens += n(r.output);
    b.cacheCreationTokens += n(r.cw);
    b.cacheReadTokens += n(r.cr);
    b.cost += n(r.cost);
    day.set(model, b);
  }
  const report: DailyReport = { daily: [], totals: { ...empty.totals } };
  for (const date of [...byDay.keys()].sort()) {
    // Models by name, then the most expensive first (a stable sort keeps names among equals).
    const breakdowns = [...byDay.get(date)!.values()].sort((a, b) => (a.modelName < b.modelName ? -1 : a.modelName > b.modelName ? 1 : 0));
    const d: DailyEntry = {
      date,
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      totalTokens: 0,
      totalCost: 0,
      modelsUsed: breakdowns.map((b) => b.modelName),
      modelBreakdowns: breakdowns,
    };
    for (const b of breakdowns) {
      d.inputTokens += b.inputTokens;
      d.outputTokens += b.outputTokens;
      d.cacheCreationTokens += b.cacheCreationTokens;
      d.cacheReadTokens += b.cacheReadTokens;
      d.totalCost += b.cost;
    }
    d.totalTokens = d.inputTokens + d.outputTokens + d.cacheCreationTokens + d.cacheReadTokens;
    d.modelBreakdowns.sort((a, b) => b.cost - a.cost);
    report.daily.push(d);
    addFigures(report.totals, d);
  }
  return report;
}

/** One session in ccusage's `session --json` shape (plus where it ran and what produced it). */
export interface SessionEntry extends CcusageFigures {
  sessionId: string;
  projectPath: string;
  source: string;
  requests: number;
  firstActivity: string;
  lastActivity: string;
  modelsUsed: string[];
  modelBreakdowns: ModelBreakdown[];
}

export interface SessionReport {
  sessions: SessionEntry[];
  totals: DailyReport['totals'];
}

/** Per-session totals, most recently active last (as ccusage lists them). */
export function sessionReport(store: UsageStore, range: UsageFilter = {}): SessionReport {
  const where = filterClause(range);
  const rows = store.all(
    `SELECT session, model, sum(input) AS input, sum(output) AS output, sum(cache_write) AS cw, sum(cache_read) AS cr,
            sum(${costColumn(range.costRules, 'usage')}) AS cost, count(*) AS requests, min(ts) AS first, max(ts) AS last,
            (SELECT project FROM usage p WHERE p.session = usage.session ORDER BY ts DESC LIMIT 1) AS project,
            (SELECT source FROM usage p WHERE p.session = usage.session ORDER BY ts DESC LIMIT 1) AS source
       FROM usage ${where.sql}
      GROUP BY session, model`,
    where.params,
  );
  const bySession = new Map<string, SessionEntry>();
  for (const r of rows) {
    const id = String(r.session);
    let e = bySession.get(id);
    if (!e) {
      e = {
        sessionId: id,
        projectPath: String(r.project),
        source: String(r.source),
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationTokens: 0,
        cacheReadTokens: 0,
        totalTokens: 0,
        totalCost: 0,
        requests: 0,
        firstActivity: new Date(n(r.first)).toISOString(),
        lastActivity: new Date(n(r.last)).toISOString(),
        modelsUsed: [],
        modelBreakdowns: [],
      };
      bySession.set(id, e);
    }
    const b: ModelBreakdown = {
      modelName: String(r.model),
      inputTokens: n(r.input),
      outputTokens: n(r.output),
      cacheCreationTokens: n(r.cw),
      cacheReadTokens: n(r.cr),
      cost: n(r.cost),
    };
    e.modelsUsed.push(b.modelName);
    e.modelBreakdowns.push(b);
    e.inputTokens += b.inputTokens;
    e.outputTokens += b.outputTokens;
    e.cacheCreationTokens += b.cacheCreationTokens;
    e.cacheReadTokens += b.cacheReadTokens;
    e.totalCost += b.cost;
    e.requests += n(r.requests);
    if (new Date(n(r.first)).toISOString() < e.firstActivity) e.firstActivity = new Date(n(r.first)).toISOString();
    if (new Date(n(r.last)).toISOString() > e.lastActivity) e.lastActivity = new Date(n(r.last)).toISOString();
  }
  const sessions = [...bySession.values()].sort(
    (a, b) => a.lastActivity.localeCompare(b.lastActivity) || a.sessionId.localeCompare(b.sessionId),
  );
  const totals = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0, totalCost: 0 };
  for (const e of sessions) {
    e.totalTokens = e.inputTokens + e.outputTokens + e.cacheCreationTokens + e.cacheReadTokens;
    e.modelBreakdowns.sort((a, b) => b.cost - a.cost);
    addFigures(totals, e);
  }
  return { sessions, totals };
}

/** One exported request. */
export interface ExportRow {
  timestamp: string;
  source: string;
  model: string;
  project: string;
  session: string;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  cost: number;
}

/** Streams every request in the range, oldest first. */
export function eachRequest(store: UsageStore, range: UsageFilter, onRow: (row: ExportRow) => void): void {
  const where = filterClause(range);
  store.each(
    `SELECT ts, source, model, project, session, input, output, cache_write, cache_read, ${costColumn(range.costRules, 'usage')} AS cost
       FROM usage ${where.sql} ORDER BY ts, id`,
    where.params,
    (r) => {
      const input = n(r.input);
      const output = n(r.output);
      const cw = n(r.cache_write);
      const cr = n(r.cache_read);
      onRow({
        timestamp: new Date(n(r.ts)).toISOString(),
        source: String(r.source),
        model: String(r.model),
        project: String(r.project),
        session: String(r.session),
        inputTokens: input,
        outputTokens: output,
        cacheWriteTokens: cw,
        cacheReadTokens: cr,
        totalTokens: input + output + cw + cr,
        cost: n(r.cost),
      });
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Aggregates for the local HTTP API (src/core/server). Everything is summed in SQL here so the
// server only renames fields; each function takes the same half-open TimeRange as the above.
// ---------------------------------------------------------------------------------------------

/** Token, cost and request sums of one group (an agent, a model, a project, a session, a bucket). */
export interface GroupTotals extends TokenSums {
  key: string;
  /** Latest request in the group (epoch ms). */
  lastTs: number;
}

const groupSums = (rules?: CostRules) => `sum(input) AS input, sum(output) AS output, sum(cache_write) AS cw, sum(cache_read) AS cr,
  sum(${costColumn(rules, 'usage')}) AS cost, count(*) AS requests, max(ts) AS last`;

function groupTotals(r: Record<string, SqlValue>): GroupTotals {
  const t = { inputTokens: n(r.input), outputTokens: n(r.output), cacheWriteTokens: n(r.cw), cacheReadTokens: n(r.cr) };
  return {
    key: String(r.k),
    ...t,
    totalTokens: t.inputTokens + t.outputTokens + t.cacheWriteTokens + t.cacheReadTokens,
    cost: n(r.cost),
    requests: n(r.requests),
    lastTs: n(r.last),
  };
}

/** WHERE clause for a range and, optionally, one source. */
function rangeAndSource(range: TimeRange, source?: string): { sql: string; params: SqlValue[] } {
  return filterClause({ start: range.start, end: range.end, sources: source === undefined ? undefined : [source] });
}

// Must name agents exactly as agentOf() in model.ts: a heartbeat's agent is kept as its session.
const AGENT_SQL = `CASE WHEN source = 'heartbeat' THEN session ELSE source END`;

export type GroupBy = 'agent' | 'model' | 'project' | 'session' | 'source';
const GROUP_COLUMN: Record<GroupBy, string> = {
  agent: AGENT_SQL,
  model: 'model',
  project: 'project',
  session: 'session',
  source: 'source',
};

/** Sums per agent, model, project, session or source; most expensive first. `limit` 0 = all. */
export function totalsBy(
  store: UsageStore,
  by: GroupBy,
  range: TimeRange = {},
  opts: { source?: string; limit?: number } = {},
): GroupTotals[] {
  const where = rangeAndSource(range, opts.source);
  const limit = opts.limit && opts.limit > 0 ? `LIMIT ${Math.floor(opts.limit)}` : '';
  return store
    .all(
      `SELECT ${GROUP_COLUMN[by]} AS k, ${groupSums(range.costRules)} FROM usage ${where.sql}
        GROUP BY k ORDER BY cost DESC, (sum(input) + sum(output) + sum(cache_write) + sum(cache_read)) DESC, k ${limit}`,
      where.params,
    )
    .map(groupTotals)
    .filter((g) => by !== 'model' || !isPlaceholderModel(g.key));
}

/** Sessions with their latest project and source, most expensive first. */
export function sessionTotals(store: UsageStore, range: TimeRange = {}, limit = 0): (GroupTotals & { project: string; source: string })[] {
  const where = filterClause(range);
  const lim = limit > 0 ? `LIMIT ${Math.floor(limit)}` : '';
  return store
    .all(
      `SELECT session AS k, ${groupSums(range.costRules)},
              (SELECT project FROM usage p WHERE p.session = usage.session ORDER BY ts DESC LIMIT 1) AS project,
              (SELECT source FROM usage p WHERE p.session = usage.session ORDER BY ts DESC LIMIT 1) AS source
         FROM usage ${where.sql} GROUP BY session ORDER BY cost DESC, k ${lim}`,
      where.params,
    )
    .map((r) => ({ ...groupTotals(r), project: String(r.project), source: String(r.source) }));
}

/**
 * Fixed-width buckets from `start` (e.g. 2-minute or 1-hour buckets). Only buckets with usage
 * are returned; `key` is the bucket's start instant as a decimal string.
 */
export function totalsByBucket(
  store: UsageStore,
  range: TimeRange & { start: number; end: number },
  bucketMs: number,
  source?: string,
): GroupTotals[] {
  const where = rangeAndSource(range, source);
  // sql.js binds numbers beyond 32 bits as REAL, so the division must be truncated explicitly.
  return store
    .all(`SELECT ? + CAST((ts - ?) / ? AS INTEGER) * ? AS k, ${groupSums(range.costRules)} FROM usage ${where.sql} GROUP BY k ORDER BY k`, [
      range.start,
      range.start,
      Math.floor(bucketMs),
      Math.floor(bucketMs),
      ...where.params,
    ])
    .map(groupTotals);
}

/** Sums per local calendar day (`key` is YYYY-MM-DD), oldest first; days without usage are left out. */
export function totalsByDay(store: UsageStore, timeZone: string, range: TimeRange = {}, source?: string): GroupTotals[] {
  const where = rangeAndSource(range, source);
  const span = store.get(`SELECT min(ts) AS lo, max(ts) AS hi FROM usage ${where.sql}`, where.params);
  if (!span || span.lo === null) return [];
  const days = daysBetween(dayKey(n(span.lo), timeZone), dayKey(n(span.hi), timeZone), timeZone);
  const joinWhere = filterClause({ start: range.start, end: range.end, sources: source === undefined ? undefined : [source] }, 'u.');
  const sql = joinWhere.sql;
  return store.withDayTable(days, () =>
    store
      .all(
        `SELECT d.day AS k, sum(u.input) AS input, sum(u.output) AS output, sum(u.cache_write) AS cw,
                sum(u.cache_read) AS cr, sum(u.${costColumn(range.costRules, 'usage')}) AS cost, count(*) AS requests, max(u.ts) AS last
           FROM temp.days d JOIN usage u ON u.ts >= d.start AND u.ts < d.end ${sql}
          GROUP BY d.day ORDER BY d.day`,
        joinWhere.params,
      )
      .map(groupTotals),
  );
}

/** The latest `limit` requests in the range, returned oldest first (as the tail of a log). */
export function latestRequests(store: UsageStore, range: TimeRange, limit: number, source?: string): ExportRow[] {
  const where = rangeAndSource(range, source);
  return store
    .all(
      `SELECT * FROM (SELECT ts, id, source, model, project, session, input, output, cache_write, cache_read, cost
                        FROM usage ${where.sql} ORDER BY ts DESC, id DESC LIMIT ?)
        ORDER BY ts, id`,
      [...where.params, Math.max(0, Math.floor(limit))],
    )
    .map((r) => {
      const t = {
        inputTokens: n(r.input),
        outputTokens: n(r.output),
        cacheWriteTokens: n(r.cache_write),
        cacheReadTokens: n(r.cache_read),
      };
      return {
        timestamp: new Date(n(r.ts)).toISOString(),
        source: String(r.source),
        model: String(r.model),
        project: String(r.project),
        session: String(r.session),
        ...t,
        totalTokens: t.inputTokens + t.outputTokens + t.cacheWriteTokens + t.cacheReadTokens,
        cost: n(r.cost),
      };
    });
}

/**
 * All-time sums per (model, source, project): the counters of the Prometheus exposition and of
 * `token-cost push`. All time is whole hours, so they come from the hourly rollup (kept in step
 * with every request by triggers): at 1M requests about 15k rows to add instead of 1M.
 */
export function countersByModelSourceProject(store: UsageStore): (GroupTotals & { model: string; source: string; project: string })[] {
  return store
    .all(
      `SELECT mo.name AS model, so.name AS source, pr.name AS project, '' AS k, sum(r.input) AS input, sum(r.output) AS output,
              sum(r.cache_write) AS cw, sum(r.cache_read) AS cr, sum(r.cost) AS cost, sum(r.requests) AS requests, max(r.last_ts) AS last
         FROM rollup r JOIN models mo ON mo.id = r.model_id JOIN sources so ON so.id = r.source_id JOIN projects pr ON pr.id = r.project_id
        GROUP BY mo.name, so.name, pr.name ORDER BY mo.name, so.name, pr.name`,
    )
    .map((r) => ({ ...groupTotals(r), model: String(r.model), source: String(r.source), project: String(r.project) }));
}

/** One session's sums, with its latest project and source and its costliest model. */
export interface SessionSummary extends GroupTotals {
  project: string;
  source: string;
  /** The model that cost the most in the session (most tokens when nothing was priced). */
  model: string;
  models: string[];
  firstTs: number;
}

/**
 * Per-session sums in one grouped pass (no per-session subquery, so thousands of sessions stay
 * fast). With `activeSince`, only sessions with a request at or after it, found through the
 * time index first. Most recently active first.
 */
export function sessionSummaries(store: UsageStore, filter: UsageFilter, activeSince?: number): SessionSummary[] {
  const where = filterClause(filter);
  const parts = where.sql ? [where.sql] : [];
  const params = [...where.params];
  if (activeSince !== undefined) {
    const recent = filterClause({ ...filter, start: Math.max(filter.start ?? activeSince, activeSince) });
    parts.push(`${parts.length ? 'AND' : 'WHERE'} session IN (SELECT session FROM usage ${recent.sql})`);
    params.push(...recent.params);
  }
  const rows = store.all(
    `SELECT session AS k, model, project, source, ${groupSums(filter.costRules)}, min(ts) AS first
       FROM usage ${parts.join(' ')} GROUP BY session, model, project, source`,
    params,
  );
  const bySession = new Map<string, { s: SessionSummary; modelCost: Map<string, [number, number]>; latest: number }>();
  for (const r of rows) {
    const g = groupTotals(r);
    let e = bySession.get(g.key);
    if (!e) {
      e = {
        s: {
          ...g,
          inputTokens: 0,
          outputTokens: 0,
          cacheWriteTokens: 0,
          cacheReadTokens: 0,
          totalTokens: 0,
          cost: 0,
          requests: 0,
          lastTs: 0,
          project: String(r.project),
          source: String(r.source),
          model: String(r.model),
          models: [],
          firstTs: n(r.first),
        },
        modelCost: new Map(),
        latest: -1,
      };
      bySession.set(g.key, e);
    }
    const s = e.s;
    s.inputTokens += g.inputTokens;
    s.outputTokens += g.outputTokens;
    s.cacheWriteTokens += g.cacheWriteTokens;
    s.cacheReadTokens += g.cacheReadTokens;
    s.totalTokens += g.totalTokens;
    s.cost += g.cost;
    s.requests += g.requests;
    s.firstTs = Math.min(s.firstTs, n(r.first));
    if (g.lastTs > e.latest) {
      e.latest = g.lastTs;
      s.project = String(r.project);
      s.source = String(r.source);
    }
    s.lastTs = Math.max(s.lastTs, g.lastTs);
    const m = e.modelCost.get(String(r.model)) ?? [0, 0];
    e.modelCost.set(String(r.model), [m[0] + g.cost, m[1] + g.totalTokens]);
  }
  const out = [...bySession.values()].map(({ s, modelCost }) => {
    const ranked = [...modelCost].sort((a, b) => b[1][0] - a[1][0] || b[1][1] - a[1][1] || byKey(a[0], b[0]));
    return { ...s, model: ranked[0][0], models: ranked.map(([m]) => m) };
  });
  return out.sort((a, b) => b.lastTs - a.lastTs || byKey(a.key, b.key));
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
