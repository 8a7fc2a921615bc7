import type { SqlValue } from 'sql.js';
import type { UsageStore } from './store';
import { dayKey, dayRange, daysBetween, nextDay, startOfDay } from './time';

/** A half-open interval of instants [start, end); either side may be open. */
export interface TimeRange {
  start?: number;
  end?: number;
}

export interface Totals {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  cost: number;
  requests: number;
  /** Models with usage in the range but no price: their cost counts as $0. */
  unpricedModels: string[];
}

/** One day in ccusage's `daily --json` shape, so scripts written for ccusage read ours. */
export interface DailyEntry {
  date: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
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
  totals: {
    inputTokens: number;
    outputTokens: number;
    cacheCreationTokens: number;
    cacheReadTokens: number;
    totalTokens: number;
    totalCost: number;
  };
}

function rangeClause(range: TimeRange, column = 'ts'): { sql: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (range.start !== undefined) {
    parts.push(`${column} >= ?`);
    params.push(range.start);
  }
  if (range.end !== undefined) {
    parts.push(`${column} < ?`);
    params.push(range.end);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

const n = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export function totals(store: UsageStore, range: TimeRange = {}): Totals {
  const where = rangeClause(range);
  const row = store.get(
    `SELECT count(*) AS requests, sum(input) AS input, sum(output) AS output, sum(cache_write) AS cw,
            sum(cache_read) AS cr, sum(cost) AS cost
       FROM usage ${where.sql}`,
    where.params,
  );
  const unpricedWhere = rangeClause(range);
  const unpriced = store
    .all(
      `SELECT DISTINCT model FROM usage ${unpricedWhere.sql ? `${unpricedWhere.sql} AND` : 'WHERE'} unpriced = 1 ORDER BY model`,
      unpricedWhere.params,
    )
    .map((r) => String(r.model));
  const t = {
    inputTokens: n(row?.input),
    outputTokens: n(row?.output),
    cacheWriteTokens: n(row?.cw),
    cacheReadTokens: n(row?.cr),
  };
  return {
    ...t,
    totalTokens: t.inputTokens + t.outputTokens + t.cacheWriteTokens + t.cacheReadTokens,
    cost: n(row?.cost),
    requests: n(row?.requests),
    unpricedModels: unpriced,
  };
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

/**
 * Per-day totals with a per-model breakdown. Days are local calendar days: the day boundaries
 * are computed for the zone and joined in SQL, so the aggregation itself stays in the database.
 */
export function dailyReport(store: UsageStore, timeZone: string, range: TimeRange = {}): DailyReport {
  const where = rangeClause(range);
  const span = store.get(`SELECT min(ts) AS lo, max(ts) AS hi FROM usage ${where.sql}`, where.params);
  const empty: DailyReport = {
    daily: [],
    totals: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0, totalCost: 0 },
  };
  if (!span || span.lo === null) return empty;
  const days = daysBetween(dayKey(n(span.lo), timeZone), dayKey(n(span.hi), timeZone), timeZone);
  const joinWhere = rangeClause(range, 'u.ts');
  const rows = store.withDayTable(days, () =>
    store.all(
      `SELECT d.day AS day, u.model AS model, sum(u.input) AS input, sum(u.output) AS output,
              sum(u.cache_write) AS cw, sum(u.cache_read) AS cr, sum(u.cost) AS cost
         FROM temp.days d JOIN usage u ON u.ts >= d.start AND u.ts < d.end
         ${joinWhere.sql}
        GROUP BY d.day, u.model
        ORDER BY d.day, u.model`,
      joinWhere.params,
    ),
  );
  const byDay = new Map<string, DailyEntry>();
  for (const r of rows) {
    const date = String(r.day);
    let entry = byDay.get(date);
    if (!entry) {
      entry = {
        date, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0,
        totalCost: 0, modelsUsed: [], modelBreakdowns: [],
      };
      byDay.set(date, entry);
    }
    const b: ModelBreakdown = {
      modelName: String(r.model),
      inputTokens: n(r.input),
      outputTokens: n(r.output),
      cacheCreationTokens: n(r.cw),
      cacheReadTokens: n(r.cr),
      cost: n(r.cost),
    };
    entry.modelsUsed.push(b.modelName);
    entry.modelBreakdowns.push(b);
    entry.inputTokens += b.inputTokens;
    entry.outputTokens += b.outputTokens;
    entry.cacheCreationTokens += b.cacheCreationTokens;
    entry.cacheReadTokens += b.cacheReadTokens;
    entry.totalCost += b.cost;
  }
  const report: DailyReport = { daily: [...byDay.values()], totals: { ...empty.totals } };
  for (const d of report.daily) {
    d.totalTokens = d.inputTokens + d.outputTokens + d.cacheCreationTokens + d.cacheReadTokens;
    d.modelBreakdowns.sort((a, b) => b.cost - a.cost);
    report.totals.inputTokens += d.inputTokens;
    report.totals.outputTokens += d.outputTokens;
    report.totals.cacheCreationTokens += d.cacheCreationTokens;
    report.totals.cacheReadTokens += d.cacheReadTokens;
    report.totals.totalTokens += d.totalTokens;
    report.totals.totalCost += d.totalCost;
  }
  return report;
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
export function eachRequest(store: UsageStore, range: TimeRange, onRow: (row: ExportRow) => void): void {
  const where = rangeClause(range);
  store.each(
    `SELECT ts, source, model, project, session, input, output, cache_write, cache_read, cost
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
