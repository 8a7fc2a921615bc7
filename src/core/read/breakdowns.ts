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

/**
 * Reads that do not depend on the filter (the small name tables, the store's inventory), kept per
 * store until its data changes (UsageStore.dataVersion): a filter change reads them once per write
 * instead of once per answer. Callers get copies, so the payloads built from them never share state.
 */
interface Unfiltered {
  version: string;
  names: { sources: Map<number, string>; models: Map<number, string>; projects: Map<number, string> };
  inventory?: StoreInventory;
}
const unfilteredByStore = new WeakMap<UsageStore, Unfiltered>();

function unfiltered(store: UsageStore): Unfiltered {
  const version = store.dataVersion();
  let e = unfilteredByStore.get(store);
  if (!e || e.version !== version) {
    e = { version, names: { sources: names(store, 'sources'), models: names(store, 'models'), projects: names(store, 'projects') } };
    unfilteredByStore.set(store, e);
  }
  return e;
}

/** The scope of a store filter: its id conditions resolved once, the name tables read once per store version. */
export function readScope(store: UsageStore, f: UsageFilter, costRules: CostRules = 'ccusage'): ReadScope {
  const n = unfiltered(store).names;
  return {
    store,
    costRules,
    where: idWhere(store, f),
    sources: new Map(n.sources),
    models: new Map(n.models),
    projects: new Map(n.projects),
  };
}

/** What figures.ts needs of a scope. */
export const figureScope = (s: ReadScope): FigureScope => ({ store: s.store, where: s.where, costRules: s.costRules });

type OverOptions = { where?: string; cuts?: readonly number[]; params?: SqlValue[] };

/** `WITH u AS (rows of the range)` followed by `select`. */
function withRows(s: ReadScope, range: Range, select: string, opts: OverOptions) {
  const u = usageRows({ ...range, costRules: s.costRules }, opts.where ?? s.where, opts.cuts);
  return { sql: `WITH u AS (${u.sql}) ${select}`, params: [...u.params, ...(opts.params ?? [])] };
}

/** `WITH u AS (rows of the range)` followed by `select`, run. */
function over(s: ReadScope, range: Range, select: string, opts: OverOptions = {}) {
  const q = withRows(s, range, select, opts);
  return s.store.all(q.sql, q.params);
}

/** As `over`, each row an array of the SELECT's columns in order (the reads that return thousands of rows). */
function overValues(s: ReadScope, range: Range, select: string, opts: OverOptions = {}) {
  const q = withRows(s, range, select, opts);
  return s.store.values(q.sql, q.params);
}

/** The store filter a dashboard filter stands for (provider is resolved to its models). */
export function storeFilter(store: UsageStore, f: DashboardFilter, range: Range, workspaceFolders: readonly string[]): UsageFilter {
  const out: UsageFilter = { start: range.start, end: range.end };
  if (f.source) out.sources = [f.source];
  if (f.model) out.models = [f.model];
  else if (f.provider) {
    const models = store
      .all('SELECT name FROM models')
      .map((r) => String(r.name))
      .filter((m) => providerOf(m) === f.provider);
    out.models = models.length ? models : ['\u0000none'];
  }
  if (f.project === WORKSPACE_PROJECT) out.projects = workspaceFolders.length ? workspaceFolders : ['\u0000none'];
  else if (f.project) out.projects = [f.project];
  if (f.agent) out.agents = [f.agent];
  return out;
}

/** Per-model sums of the range in the scope's rules. */
export const modelSums = (s: ReadScope, range: Range, costRules = s.costRules): ModelSums[] =>
  sumsByModel(s.store, { ...range, costRules }, s.where, s.models);

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
  const rows = overValues(s, range, `SELECT ${bucketIndex('lo', starts)} AS b, s, ${SUMS} FROM u WHERE lo >= ? AND lo < ? GROUP BY b, s`, {
    cuts: [...starts, end],
    params: [starts[0], end],
  });
  // Columns: b, s, then SUMS in its order (requests, input, output, cw, cr, cost).
  return rows.map(([b, source, requests, input, output, cw, cr, cost]) => ({
    bucket: num(b),
    source: s.sources.get(num(source)) ?? '',
    inputTokens: num(input),
    outputTokens: num(output),
    cacheWriteTokens: num(cw),
    cacheReadTokens: num(cr),
    cost: num(cost),
    requests: num(requests),
  }));
}

/**
 * The range's sums per (session, source, project): one pass over the rollup from which the
 * session, task, project and agent tables are all drawn (four GROUP BYs over the same rows were
 * most of a dashboard's time at 1M requests).
 */
export interface ActivityGroup {
  se: number;
  s: number;
  p: number;
  cost: number;
  tokens: number;
  requests: number;
  first: number;
  last: number;
}

export function activityGroups(s: ReadScope, range: Range): ActivityGroup[] {
  return overValues(s, range, `SELECT se, s, p, sum(cost), sum(${TOKENS}), sum(n), min(lo), max(hi) FROM u GROUP BY se, s, p`).map(
    ([se, source, p, cost, tokens, requests, first, last]) => ({
      se: num(se),
      s: num(source),
      p: num(p),
      cost: num(cost),
      tokens: num(tokens),
      requests: num(requests),
      first: num(first),
      last: num(last),
    }),
  );
}

/** A session (or a task) of the range: its sums, its source and its latest project name (the greatest, as SQL's max(project)). */
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

/** Sums of groups under one key, in the order keys first appear. */
function rollUp<K>(groups: readonly ActivityGroup[], key: (g: ActivityGroup) => K) {
  const out = new Map<K, { cost: number; tokens: number; requests: number; first: number; last: number; members: ActivityGroup[] }>();
  for (const g of groups) {
    const k = key(g);
    const e = out.get(k);
    if (!e) out.set(k, { cost: g.cost, tokens: g.tokens, requests: g.requests, first: g.first, last: g.last, members: [g] });
    else {
      e.cost += g.cost;
      e.tokens += g.tokens;
      e.requests += g.requests;
      e.first = Math.min(e.first, g.first);
      e.last = Math.max(e.last, g.last);
      e.members.push(g);
    }
  }
  return out;
}

/** Most expensive first, then most tokens, then by id (a stable order for equal figures). */
const costly = (a: { cost: number; tokens: number; id: number }, b: { cost: number; tokens: number; id: number }) =>
  b.cost - a.cost || b.tokens - a.tokens || a.id - b.id;

/**
 * The top sessions (or tasks: `sources` keeps only those source names) by cost, then tokens.
 * Session names are looked up for the rows returned only.
 */
export function topSessions(s: ReadScope, groups: readonly ActivityGroup[], limit: number, sources?: readonly string[]): SessionSums[] {
  const keep = sources ? new Set([...s.sources].filter(([, name]) => sources.includes(name)).map(([id]) => id)) : undefined;
  const bySession = rollUp(keep ? groups.filter((g) => keep.has(g.s)) : groups, (g) => g.se * 4294967296 + g.s);
  const top = [...bySession.values()]
    .map((e) => ({ ...e, id: e.members[0].se * 4294967296 + e.members[0].s }))
    .sort(costly)
    .slice(0, Math.floor(limit));
  const sessionNames = names(
    s.store,
    'sessions',
    top.map((e) => e.members[0].se),
  );
  return top.map((e) => {
    const project = e.members.map((g) => s.projects.get(g.p) ?? '').reduce((a, b) => (byName(a, b) >= 0 ? a : b));
    return {
      session: sessionNames.get(e.members[0].se) ?? '',
      source: s.sources.get(e.members[0].s) ?? '',
      project,
      cost: e.cost,
      tokens: e.tokens,
      requests: e.requests,
      first: e.first,
      last: e.last,
    };
  });
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
export function projectSums(s: ReadScope, groups: readonly ActivityGroup[], limit: number): ProjectSums[] {
  return [...rollUp(groups, (g) => g.p)]
    .map(([p, e]) => ({ ...e, id: p }))
    .sort(costly)
    .slice(0, Math.floor(limit))
    .map((e) => ({
      project: s.projects.get(e.id) ?? '',
      cost: e.cost,
      tokens: e.tokens,
      requests: e.requests,
      sessions: new Set(e.members.map((g) => g.se)).size,
      last: e.last,
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

export function agentSums(s: ReadScope, groups: readonly ActivityGroup[]): AgentSums[] {
  const hb = [...s.sources].find(([, name]) => name === 'heartbeat')?.[0] ?? -1;
  // A heartbeat agent is its session (the agent's id); every other source is one agent.
  const agents = [...rollUp(groups, (g) => (g.s === hb ? `${g.s}:${g.se}` : `${g.s}`)).values()];
  const sessionNames = names(
    s.store,
    'sessions',
    agents.filter((e) => e.members[0].s === hb).map((e) => e.members[0].se),
  );
  return agents.map((e) => ({
    source: s.sources.get(e.members[0].s) ?? '',
    heartbeatAgent: e.members[0].s === hb ? (sessionNames.get(e.members[0].se) ?? '') : '',
    cost: e.cost,
    tokens: e.tokens,
    requests: e.requests,
    tasks: e.members.length,
    last: e.last,
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
    s,
    range,
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
  const sessions = names(
    s.store,
    'sessions',
    rows.map((x) => num(x.session_id)),
  );
  return rows.map((x) => ({
    timestamp: num(x.ts),
    source: s.sources.get(num(x.source_id)) ?? '',
    model: s.models.get(num(x.model_id)) ?? '',
    project: s.projects.get(num(x.project_id)) ?? '',
    session: sessions.get(num(x.session_id)) ?? '',
    tokens: num(x.tokens),
    cost: num(x.cost),
  }));
}

/** What is stored, whatever the filter: the sources with requests, the heartbeat agents' ids, and the request count. */
export interface StoreInventory {
  sources: string[];
  heartbeatAgents: string[];
  requests: number;
}

/** The store's inventory (read once per store version; a copy). */
export function storeInventory(s: ReadScope): StoreInventory {
  const e = unfiltered(s.store);
  e.inventory ??= readInventory(s);
  return { sources: [...e.inventory.sources], heartbeatAgents: [...e.inventory.heartbeatAgents], requests: e.inventory.requests };
}

/** The store's inventory in one pass over the rollup (it holds a row for every source and heartbeat agent with requests), never over requests. */
function readInventory(s: ReadScope): StoreInventory {
  const hb = [...s.sources].find(([, name]) => name === 'heartbeat')?.[0] ?? -1;
  const rows = s.store.values(
    `SELECT source_id AS s, CASE WHEN source_id = ${hb} THEN session_id END AS hse, total(requests) AS n FROM rollup GROUP BY s, hse`,
  );
  const present = new Set(rows.map(([source]) => num(source)));
  const agentIds = rows.filter(([, hse]) => hse != null).map(([, hse]) => num(hse));
  const agentNames = names(s.store, 'sessions', agentIds);
  return {
    sources: [...s.sources]
      .filter(([id]) => present.has(id))
      .map(([, name]) => name)
      .sort(byName),
    heartbeatAgents: agentIds.map((id) => agentNames.get(id) ?? '').sort(byName),
    requests: rows.reduce((sum, [, , n]) => sum + num(n), 0),
  };
}

/** Requests stored, across all time and filters. */
export function storedRequests(store: UsageStore): number {
  return num(store.get('SELECT total(requests) AS n FROM rollup')?.n);
}
