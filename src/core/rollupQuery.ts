import type { SqlValue } from 'sql.js';
import type { TokenSums } from '../protocol';
import { filterClause, type UsageFilter } from './filter';
import { ROLLUP_HOUR_MS as HOUR, type UsageStore } from './store';
import type { CostRules } from './pricing/pricing';

/**
 * Reading usage through the hourly rollup: whole hours of a range come from `rollup` (one row per
 * hour, source, model, project and session), the parts of a range that do not fill an hour from
 * `requests`. Both are narrowed by dimension ids, so no query joins names per request.
 */

const ids = (rows: { id: SqlValue }[]) => rows.map((r) => Number(r.id));
const inIds = (column: string, list: number[]) => (list.length ? `${column} IN (${list.join(', ')})` : '0');

/**
 * The filter's source/model/project/agent conditions on `source_id`, `model_id`, `project_id`
 * and `session_id` (the same choices `filterClause` makes on names, resolved against the small
 * dimension tables); '' when nothing narrows. Time is left to `usageRows`.
 */
export function idWhere(store: UsageStore, f: UsageFilter): string {
  const parts: string[] = [];
  // filterClause decides which names match; it runs on the dimension tables, never on requests.
  const match = (table: string, column: string, filter: UsageFilter) => {
    const w = filterClause(filter);
    return ids(store.all(`SELECT id FROM (SELECT id, name AS ${column} FROM ${table}) ${w.sql}`, w.params) as { id: SqlValue }[]);
  };
  if (f.sources?.length) parts.push(inIds('source_id', match('sources', 'source', { sources: f.sources })));
  if (f.models?.length) parts.push(inIds('model_id', match('models', 'model', { models: f.models })));
  if (f.projects?.length) parts.push(inIds('project_id', match('projects', 'project', { projects: f.projects })));
  if (f.agents?.length) {
    const others = f.agents.filter((a) => a !== 'heartbeat');
    if (!others.length) parts.push('0');
    else {
      // As filterClause: another source by its name, a heartbeat agent by its id (kept as the session).
      const hb = heartbeatId(store);
      const sources = match('sources', 'source', { sources: others }).filter((id) => id !== hb);
      const sessions =
        hb === undefined
          ? []
          : ids(
              store.all(`SELECT id FROM sessions WHERE name IN (${others.map(() => '?').join(', ')})`, [...others]) as { id: SqlValue }[],
            );
      const ors = [inIds('source_id', sources)];
      if (hb !== undefined && sessions.length) ors.push(`(source_id = ${hb} AND ${inIds('session_id', sessions)})`);
      parts.push(`(${ors.join(' OR ')})`);
    }
  }
  return parts.join(' AND ');
}

function heartbeatId(store: UsageStore): number | undefined {
  const r = store.get("SELECT id FROM sources WHERE name = 'heartbeat'");
  return r ? Number(r.id) : undefined;
}

/**
 * The column holding a request's (or a rollup row's) dollars under the chosen rules: `cost` is
 * ccusage's figure; `api_cost` what the API would bill (in `requests`, NULL where it equals `cost`).
 * The one place that choice is written.
 */
export function costColumn(rules: CostRules | undefined, table: 'rollup' | 'requests' | 'usage'): string {
  if (rules !== 'api') return 'cost';
  return table === 'requests' ? 'coalesce(api_cost, cost)' : 'api_cost';
}

/** The rules the dashboard shows beside the chosen ones. */
export const otherRules = (rules: CostRules | undefined): CostRules => (rules === 'api' ? 'ccusage' : 'api');

/**
 * A SELECT of every request of `[start, end)` matching `where`, pre-summed per hour where it
 * can be: an hour comes from the rollup when it lies wholly in the range and contains none of
 * `cuts` (chart bucket boundaries, so each row falls in one bucket); the rest from `requests`.
 * Columns: h, s, m, p, se (hour and dimension ids), n (requests), input, output, cw, cr, cost,
 * alt (the cost under the other rules), unpriced, and lo, hi: the row's first and last request times.
 */
export function usageRows(
  range: { start?: number; end?: number; costRules?: CostRules },
  where: string,
  cuts: readonly number[] = [],
): { sql: string; params: SqlValue[] } {
  const { start, end } = range;
  const and = where ? ` AND ${where}` : '';
  const h0 = start === undefined ? undefined : Math.ceil(start / HOUR);
  const h1 = end === undefined ? undefined : Math.floor(end / HOUR);
  const raw: [number, number][] = [];
  // No whole hour inside: the range is read from requests alone.
  const useRollup = !(h0 !== undefined && h1 !== undefined && h0 >= h1);
  if (!useRollup) raw.push([start!, end!]);
  else {
    if (start !== undefined && h0! * HOUR > start) raw.push([start, h0! * HOUR]);
    if (end !== undefined && h1! * HOUR < end) raw.push([h1! * HOUR, end]);
  }
  const excluded = new Set<number>();
  if (useRollup) {
    for (const c of cuts) {
      if (c % HOUR === 0) continue;
      const h = Math.floor(c / HOUR);
      if ((h0 === undefined || h >= h0) && (h1 === undefined || h < h1) && !excluded.has(h)) {
        excluded.add(h);
        raw.push([h * HOUR, (h + 1) * HOUR]);
      }
    }
  }
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (useRollup) {
    const conds: string[] = [];
    if (h0 !== undefined) {
      conds.push('hour >= ?');
      params.push(h0);
    }
    if (h1 !== undefined) {
      conds.push('hour < ?');
      params.push(h1);
    }
    if (excluded.size) conds.push(`hour NOT IN (${[...excluded].join(', ')})`);
    if (where) conds.push(where);
    parts.push(
      `SELECT hour AS h, source_id AS s, model_id AS m, project_id AS p, session_id AS se, requests AS n, input, output,
              cache_write AS cw, cache_read AS cr, ${costColumn(range.costRules, 'rollup')} AS cost,
              ${costColumn(otherRules(range.costRules), 'rollup')} AS alt, unpriced, first_ts AS lo, last_ts AS hi
         FROM rollup${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}`,
    );
  }
  if (raw.length) {
    parts.push(
      `SELECT CAST(ts / ${HOUR} AS INTEGER) AS h, source_id AS s, model_id AS m, project_id AS p, session_id AS se, 1 AS n, input, output,
              cache_write AS cw, cache_read AS cr, ${costColumn(range.costRules, 'requests')} AS cost,
              ${costColumn(otherRules(range.costRules), 'requests')} AS alt, flags & 1 AS unpriced, ts AS lo, ts AS hi
         FROM requests WHERE (${raw.map(() => '(ts >= ? AND ts < ?)').join(' OR ')})${and}`,
    );
    for (const [a, b] of raw) params.push(a, b);
  }
  return { sql: parts.join(' UNION ALL '), params };
}

/**
 * A SQL expression giving the index of the bucket holding `column`, for contiguous buckets
 * starting at `starts` (a balanced tree of comparisons: a few per row whatever the bucket count).
 */
export function bucketIndex(column: string, starts: readonly number[], from = 0, to = starts.length): string {
  if (to - from <= 1) return String(from);
  const mid = (from + to) >> 1;
  return `(CASE WHEN ${column} < ${Math.floor(starts[mid])} THEN ${bucketIndex(column, starts, from, mid)} ELSE ${bucketIndex(column, starts, mid, to)} END)`;
}

/** Names of dimension ids (sources, models, projects are small; sessions are looked up by id). */
export function names(
  store: UsageStore,
  table: 'sources' | 'models' | 'projects' | 'sessions',
  only?: Iterable<number>,
): Map<number, string> {
  const list = only ? [...new Set(only)] : undefined;
  if (list && !list.length) return new Map();
  const rows = store.values(`SELECT id, name FROM ${table}${list ? ` WHERE id IN (${list.join(', ')})` : ''}`);
  return new Map(rows.map(([id, name]) => [Number(id), String(name)]));
}

/** Sums of one model over a range. */
export interface ModelSums {
  model: string;
  input: number;
  output: number;
  cw: number;
  cr: number;
  cost: number;
  /** The same requests' cost under the other rules (otherRules). */
  otherRulesCost: number;
  requests: number;
  unpriced: boolean;
}

/** Sums per model of the requests of a range matching `where` (from `idWhere`). */
export function sumsByModel(
  store: UsageStore,
  range: { start?: number; end?: number; costRules?: CostRules },
  where: string,
  models: Map<number, string>,
): ModelSums[] {
  const u = usageRows(range, where);
  return store
    .values(
      `SELECT m, sum(n), sum(input), sum(output), sum(cw), sum(cr), sum(cost), sum(alt), sum(unpriced) FROM (${u.sql}) GROUP BY m`,
      u.params,
    )
    .map(([m, requests, input, output, cw, cr, cost, alt, unpriced]) => ({
      model: models.get(Number(m)) ?? '',
      input: Number(input),
      output: Number(output),
      cw: Number(cw),
      cr: Number(cr),
      cost: Number(cost),
      otherRulesCost: Number(alt),
      requests: Number(requests),
      unpriced: Number(unpriced) > 0,
    }));
}

export interface Totals extends TokenSums {
  /** Models with usage in the range but no price: their cost counts as $0. */
  unpricedModels: string[];
}

/** The totals of per-model sums, with the unpriced models by name. */
export function totalsOf(models: readonly ModelSums[]): Totals {
  const t = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, cost: 0, requests: 0 };
  for (const m of models) {
    t.inputTokens += m.input;
    t.outputTokens += m.output;
    t.cacheWriteTokens += m.cw;
    t.cacheReadTokens += m.cr;
    t.cost += m.cost;
    t.requests += m.requests;
  }
  return {
    ...t,
    totalTokens: t.inputTokens + t.outputTokens + t.cacheWriteTokens + t.cacheReadTokens,
    // SQLite's BINARY order, as every other list of names.
    unpricedModels: models
      .filter((m) => m.unpriced)
      .map((m) => m.model)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}
