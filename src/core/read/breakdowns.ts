/**
 * The breakdowns a view shows for one filter, read through the hourly rollup (rollupQuery.usageRows):
 * the range's span, chart buckets, top sessions and tasks, projects, agents, the latest requests,
 * the filter's option lists and the stored-request count. Every SQL statement the dashboard and the
 * sidebar need lives here or in query.ts / rollupQuery.ts / figures.ts; the views (dashboard.ts,
 * sidebar.ts, server/readApi.ts) only assemble and name what these return.
 */
import type { SqlValue } from 'sql.js';
import { WORKSPACE_PROJECT, type DashboardFilter } from '../../protocol';
import type { FigureScope } from '../figures';
import type { UsageFilter } from '../filter';
import { providerOf } from '../model';
import type { CostRules } from '../pricing/pricing';
import { bucketIndex, costColumn, idWhere, names, sumsByModel, totalsOf, usageRows, type ModelSums, type Totals } from '../rollupQuery';
import type { UsageStore } from '../store';

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const TOKENS = 'input + output + cw + cr';
const SUMS = `sum(n) AS requests, sum(input) AS input, sum(output) AS output, sum(cw) AS cw, sum(cr) AS cr, sum(cost) AS cost`;
/** SQLite's BINARY order, as every other list of names. */
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** What every read of one view shares: the store, the filter's id conditions, the rules and the small name tables. */
export interface ReadScope {
  store: UsageStore;
  costRules: CostRules;
  /** rollupQuery.idWhere of the filter ('' for everything). */
  where: string;
  sources: Map<number, string>;
  models: Map<number, string>;
  projects: Map<number, string>;
}

export type Range = { start?: number; end?: number };

/** The scope of a store filter: its id conditions resolved once, the name tables read once. */
export function readScope(store: UsageStore, f: UsageFilter, costRules: CostRules = 'ccusage'): ReadScope {
  return { store, costRules, where: idWhere(store, f), sources: names(store, 'sources'), models: names(store, 'models'), projects: names(store, 'projects') };
}

/** The same scope narrowed by another store filter (the names are shared). */
export function narrowed(scope: ReadScope, f: UsageFilter): ReadScope {
  return { ...scope, where: idWhere(scope.store, f) };
}

/** What figures.ts needs of a scope. */
export const figureScope = (s: ReadScope): FigureScope => ({ store: s.store, where: s.where, costRules: s.costRules });

/** `WITH u AS (rows of the range)` followed by `select`, run. */
function over(s: ReadScope, range: Range, select: string, opts: { where?: string; cuts?: readonly number[]; params?: SqlValue[] } = {}) {
  const u = usageRows({ ...range, costRules: s.costRules }, opts.where ?? s.where, opts.cuts);
  return s.store.all(`WITH u AS (${u.sql}) ${select}`, [...u.params, ...(opts.params ?? [])]);
}

/** The store filter a dashboard filter stands for (provider is resolved to its models). */
export function storeFilter(store: UsageStore, f: DashboardFilter, range: Range, workspaceFolders: readonly string[]): UsageFilter {
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

/** Per-model sums of the range in the scope's rules. */
export const modelSums = (s: ReadScope, range: Range, costRules = s.costRules): ModelSums[] => sumsByModel(s.store, { ...range, costRules }, s.where, s.models);

/** Totals of the range (by default in the scope's rules). */
export const rangeTotals = (s: ReadScope, range: Range, costRules = s.costRules): Totals => totalsOf(modelSums(s, range, costRules));

/** The first and last request of the filtered range (for "All time"). */
export function span(s: ReadScope, range: Range): { lo: number; hi: number } | undefined {
  const r = over(s, range, 'SELECT min(lo) AS lo, max(hi) AS hi FROM u')[0];
  return r?.lo == null ? undefined : { lo: num(r.lo), hi: num(r.hi) };
}

/** Sums of one chart bucket and source. */
export interface BucketSourceSums {
  bucket: number;
  source: string;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  cost: number;
  requests: number;
}

/** Sums per contiguous bucket (by index into `starts`, the last ending at `end`) and source; each rollup row lies inside one bucket. */
export function bucketSums(s: ReadScope, range: Range, starts: readonly number[], end: number): BucketSourceSums[] {
  if (!starts.length) return [];
  const rows = over(s, range, `SELECT ${bucketIndex('lo', starts)} AS b, s, ${SUMS} FROM u WHERE lo >= ? AND lo < ? GROUP BY b, s`, {
    cuts: [...starts, end],
    params: [starts[0], end],
  });
  return rows.map((r) => ({
    bucket: num(r.b), source: s.sources.get(num(r.s)) ?? '', inputTokens: num(r.input), outputTokens: num(r.output),
    cacheWriteTokens: num(r.cw), cacheReadTokens: num(r.cr), cost: num(r.cost), requests: num(r.requests),
  }));
}

/** A session (or a task) of the range: its sums, its source and its latest project name (SQL's max(project)). */
export interface SessionSums {
  session: string;
  source: string;
  project: string;
  cost: number;
  tokens: number;
  requests: number;
  first: number;
  last: number;
}

/** The top sessions (or tasks, with `where` narrowed to their sources) by cost, then tokens. */
export function topSessions(s: ReadScope, range: Range, limit: number, where = s.where): SessionSums[] {
  const rows = over(
    s, range,
    `SELECT u.se AS se, u.s AS s, max(pr.name) AS project, sum(u.cost) AS cost, sum(${TOKENS}) AS tokens, sum(u.n) AS requests,
            min(u.lo) AS first, max(u.hi) AS last
       FROM u JOIN projects pr ON pr.id = u.p GROUP BY u.se, u.s ORDER BY cost DESC, tokens DESC LIMIT ${Math.floor(limit)}`,
    { where },
  );
  const sessionNames = names(s.store, 'sessions', rows.map((r) => num(r.se)));
  return rows.map((r) => ({
    session: sessionNames.get(num(r.se)) ?? '', source: s.sources.get(num(r.s)) ?? '', project: String(r.project),
    cost: num(r.cost), tokens: num(r.tokens), requests: num(r.requests), first: num(r.first), last: num(r.last),
  }));
}

export interface ProjectSums {
  project: string;
  cost: number;
  tokens: number;
  requests: number;
  sessions: number;
  last: number;
}

/** The most expensive projects of the range, with their distinct sessions. */
export function projectSums(s: ReadScope, range: Range, limit: number): ProjectSums[] {
  return over(
    s, range,
    `SELECT p, sum(cost) AS cost, sum(${TOKENS}) AS tokens, sum(n) AS requests, count(DISTINCT se) AS sessions, max(hi) AS last
       FROM u GROUP BY p ORDER BY cost DESC, tokens DESC LIMIT ${Math.floor(limit)}`,
  ).map((r) => ({
    project: s.projects.get(num(r.p)) ?? '', cost: num(r.cost), tokens: num(r.tokens), requests: num(r.requests), sessions: num(r.sessions), last: num(r.last),
  }));
}

/** One source (and, for heartbeats, one agent id) of the range with its distinct tasks (session with project). */
export interface AgentSums {
  source: string;
  /** The heartbeat agent's id; '' for other sources. */
  heartbeatAgent: string;
  cost: number;
  tokens: number;
  requests: number;
  tasks: number;
  last: number;
}

export function agentSums(s: ReadScope, range: Range): AgentSums[] {
  const hb = [...s.sources].find(([, name]) => name === 'heartbeat')?.[0] ?? -1;
  const rows = over(
    s, range,
    `SELECT s, CASE WHEN s = ${hb} THEN se ELSE NULL END AS hse, sum(cost) AS cost, sum(${TOKENS}) AS tokens, sum(n) AS requests,
            count(DISTINCT se * 4294967296 + p) AS tasks, max(hi) AS last
       FROM u GROUP BY s, hse`,
  );
  const sessionNames = names(s.store, 'sessions', rows.filter((r) => r.hse != null).map((r) => num(r.hse)));
  return rows.map((r) => ({
    source: s.sources.get(num(r.s)) ?? '', heartbeatAgent: r.hse == null ? '' : sessionNames.get(num(r.hse)) ?? '',
    cost: num(r.cost), tokens: num(r.tokens), requests: num(r.requests), tasks: num(r.tasks), last: num(r.last),
  }));
}

/** One of the latest requests, with its names. */
export interface LatestRequest {
  timestamp: number;
  source: string;
  model: string;
  project: string;
  session: string;
  tokens: number;
  cost: number;
}

/** The `limit` latest requests: the rollup finds the hour from which on there are `limit`, requests has them. */
export function latestInScope(s: ReadScope, range: Range, limit: number): LatestRequest[] {
  const k = Math.floor(limit);
  const r = over(
    s, range,
    `SELECT max(CASE WHEN c >= ${k} THEN lo END) AS lo20, min(lo) AS lo, max(hi) AS hi
       FROM (SELECT min(lo) AS lo, max(hi) AS hi, sum(sum(n)) OVER (ORDER BY h DESC) AS c FROM u GROUP BY h)`,
  )[0];
  if (r?.lo == null) return [];
  const from = r.lo20 != null ? num(r.lo20) : num(r.lo);
  const until = num(r.hi) + 1;
  const rows = s.store.all(
    `SELECT ts, source_id, model_id, project_id, session_id, input + output + cache_write + cache_read AS tokens,
            ${costColumn(s.costRules, 'requests')} AS cost
       FROM requests WHERE ts >= ? AND ts < ?${s.where ? ` AND ${s.where}` : ''} ORDER BY ts DESC LIMIT ${k}`,
    [from, until],
  );
  const sessions = names(s.store, 'sessions', rows.map((x) => num(x.session_id)));
  return rows.map((x) => ({
    timestamp: num(x.ts), source: s.sources.get(num(x.source_id)) ?? '', model: s.models.get(num(x.model_id)) ?? '',
    project: s.projects.get(num(x.project_id)) ?? '', session: sessions.get(num(x.session_id)) ?? '', tokens: num(x.tokens), cost: num(x.cost),
  }));
}

/** Sources with stored requests and the heartbeat agents' ids, by name; read from the rollup, never from requests. */
export function presentSourcesAndAgents(s: ReadScope): { sources: string[]; heartbeatAgents: string[] } {
  const present = new Set(s.store.all('SELECT DISTINCT source_id AS s FROM rollup').map((r) => num(r.s)));
  const sources = [...s.sources].filter(([id]) => present.has(id)).map(([, name]) => name).sort(byName);
  const heartbeatAgents = s.store
    .all(
      `SELECT DISTINCT se.name AS session FROM rollup r JOIN sessions se ON se.id = r.session_id
        WHERE r.source_id = (SELECT id FROM sources WHERE name = 'heartbeat') ORDER BY session`,
    )
    .map((r) => String(r.session));
  return { sources, heartbeatAgents };
}

/** Requests stored, across all time and filters. */
export function storedRequests(store: UsageStore): number {
  return num(store.get('SELECT total(requests) AS n FROM rollup')?.n);
}
