/**
 * The report commands' JSON, in the shapes ccusage 20.0.24 prints for the same command, and their
 * tables. Every figure comes from src/core (query.ts, blocks.ts); this file only renames and
 * arranges them.
 */
import type { CostRules } from '../core/pricing/pricing';
import { BLOCK_MS, blockBurn, blockProjection, blockSpans, gapBetween, isActiveBlock } from '../core/blocks';
import {
  addFigures,
  dailyReport,
  periodReport,
  sessionReport,
  totals,
  type CcusageFigures,
  type DailyEntry,
  type ModelBreakdown,
  type UsageFilter,
} from '../core/query';
import type { AgentId } from '../core/ingest/agents';
import { AGENTS, agentById } from '../core/ingest/registry';
import { creditsByPeriod, creditsBySession } from '../core/read/credits';
import { idWhere, names, usageRows } from '../core/rollupQuery';
import type { UsageStore } from '../core/store';
import type { Flags } from './options';

/**
 * Which agent's usage a command reports: ccusage's `claude …`, `codex …`, `gemini …` (every
 * agent in registry.ts by its id), or all (the bare form).
 */
export type AgentScope = 'all' | 'claude' | 'codex' | AgentId;
export type ReportKind = 'daily' | 'weekly' | 'monthly' | 'session' | 'blocks';

/** The sources of the Claude and Codex scopes; the other agents' come from their readers. */
export const SCOPE_SOURCES: Record<'all' | 'claude' | 'codex', string[] | undefined> = {
  all: undefined,
  claude: ['claude-code', 'claude-code-subagent'],
  codex: ['codex'],
};

/** The stored sources a scope reads (never an empty list, which would mean every source). */
export function scopeSources(store: UsageStore, scope: AgentScope): string[] | undefined {
  if (scope === 'all' || scope === 'claude' || scope === 'codex') return SCOPE_SOURCES[scope];
  const agent = agentById(scope)!;
  const stored = store
    .all('SELECT name FROM sources')
    .map((s) => String(s.name))
    .filter((s) => agent.ownsSource(s));
  return stored.length ? stored : [agent.source];
}

/**
 * ccusage's agent name of a source (`claude`, `codex`, `gemini`, `openclaw`, …); other sources
 * (workspace, heartbeat, manual) keep their own name.
 */
export function agentName(source: string): string {
  if (source.startsWith('claude-code')) return 'claude';
  return AGENTS.find((a) => a.ownsSource(source))?.id ?? source;
}

const SYNTHETIC = '<synthetic>';

/**
 * ccusage counts the tokens of `<synthetic>` lines (Claude Code's locally made placeholder
 * replies, priced $0) in period and session figures but lists no model row for them; so do we.
 */
function withoutSyntheticRows<T extends { modelsUsed: string[]; modelBreakdowns: { modelName: string }[] }>(rows: T[]): T[] {
  for (const r of rows) {
    r.modelsUsed = r.modelsUsed.filter((m) => m !== SYNTHETIC);
    r.modelBreakdowns = r.modelBreakdowns.filter((b) => b.modelName !== SYNTHETIC);
  }
  return rows;
}

/** ccusage marks the model rows it could not price with `missingPricing: true`. */
function markUnpriced<T extends { modelBreakdowns: ModelBreakdown[] }>(rows: T[], unpriced: readonly string[]): T[] {
  if (!unpriced.length) return rows;
  for (const r of rows)
    r.modelBreakdowns = r.modelBreakdowns.map((b) => (unpriced.includes(b.modelName) ? { ...b, missingPricing: true } : b));
  return rows;
}

/** What a report prints: JSON, the table, and the models it could not price (for the warning line). */
export interface Rendered {
  json: unknown;
  table: string;
  unpricedModels: string[];
}

export interface ReportInput {
  store: UsageStore;
  flags: Flags;
  /** The report's instants, and which cost rules its dollars follow. */
  range: { start?: number; end?: number; costRules?: CostRules };
  now: number;
}

function fmtInt(v: number): string {
  return v.toLocaleString('en-US');
}

/** Columns of text, the first `textColumns` left-aligned and the figures after them right-aligned. */
function table(head: string[], rows: string[][], textColumns = 1): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

const FIGURE_HEAD = ['Input', 'Output', 'Cache write', 'Cache read', 'Total tokens', 'Cost'];
const figures = (d: CcusageFigures) => [
  fmtInt(d.inputTokens),
  fmtInt(d.outputTokens),
  fmtInt(d.cacheCreationTokens),
  fmtInt(d.cacheReadTokens),
  fmtInt(d.totalTokens),
  `$${d.totalCost.toFixed(2)}`,
];
const breakdownRows = (rows: ModelBreakdown[], lead: number) =>
  rows.map((b) => [
    ...Array<string>(lead).fill(''),
    `  └ ${b.modelName}`,
    fmtInt(b.inputTokens),
    fmtInt(b.outputTokens),
    fmtInt(b.cacheCreationTokens),
    fmtInt(b.cacheReadTokens),
    fmtInt(b.inputTokens + b.outputTokens + b.cacheCreationTokens + b.cacheReadTokens),
    `$${b.cost.toFixed(2)}`,
  ]);

/**
 * ccusage's `credits` (Amp's and Codebuff's own units): on a row only when its requests carry
 * some, in the totals when any row has them. Not dollars; `totalCost` stays computed from tokens.
 */
function withCredits<T extends object>(t: T, credits: number | undefined): T & { credits?: number } {
  return credits === undefined ? t : { ...t, credits };
}

/** The table's Credits column, shown only when a row has credits. */
const creditCell = (credits: number | undefined): string => (credits === undefined ? '' : fmtCredits(credits));
function fmtCredits(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function sumCredits(values: readonly (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length ? present.reduce((a, b) => a + b, 0) : undefined;
}

/** ccusage lists `unpricedModels` in the totals only when there are some. */
function withUnpriced<T extends object>(t: T, unpriced: string[]): T & { unpricedModels?: string[] } {
  return unpriced.length ? { ...t, unpricedModels: unpriced } : t;
}

function filterOf(input: ReportInput, scope: AgentScope): UsageFilter {
  return { ...input.range, sources: scopeSources(input.store, scope) };
}

function unpricedOf(input: ReportInput, scope: AgentScope): string[] {
  return totals(input.store, filterOf(input, scope)).unpricedModels.filter((m) => m !== SYNTHETIC);
}

type PeriodRow = Omit<DailyEntry, 'date'> & { key: string };

/** Rows of a daily, weekly or monthly report in the scope, oldest first. */
function periodRows(
  input: ReportInput,
  scope: AgentScope,
  kind: 'daily' | 'weekly' | 'monthly',
  weekStartsOn: number,
): { rows: PeriodRow[]; totals: CcusageFigures } {
  const f = filterOf(input, scope);
  if (kind === 'daily') {
    const r = dailyReport(input.store, input.flags.tz, f);
    return { rows: withoutSyntheticRows(r.daily).map(({ date, ...rest }) => ({ key: date, ...rest })), totals: r.totals };
  }
  const r = periodReport(input.store, input.flags.tz, kind, f, weekStartsOn);
  const list = (r.weekly ?? r.monthly ?? []) as (Omit<DailyEntry, 'date'> & { week?: string; month?: string })[];
  return { rows: withoutSyntheticRows(list).map(({ week, month, ...rest }) => ({ key: (week ?? month)!, ...rest })), totals: r.totals };
}

const ordered = <T>(rows: T[], order: 'asc' | 'desc') => (order === 'desc' ? [...rows].reverse() : rows);

const PERIOD_KEY = { daily: 'date', weekly: 'week', monthly: 'month' } as const;
const PERIOD_HEAD = { daily: 'Date', weekly: 'Week of', monthly: 'Month' } as const;

function periodTable(
  kind: 'daily' | 'weekly' | 'monthly',
  rows: PeriodRow[],
  total: CcusageFigures,
  breakdown: boolean,
  agentColumn?: (r: PeriodRow) => string,
  credits?: { of: (r: PeriodRow) => number | undefined; total: number },
): string {
  const lead = agentColumn ? 2 : 1;
  const head = [PERIOD_HEAD[kind], ...(agentColumn ? ['Agents'] : []), ...FIGURE_HEAD, ...(credits ? ['Credits'] : [])];
  // Model rows sit in the last text column, indented.
  const body: string[][] = [];
  for (const r of rows) {
    body.push([r.key, ...(agentColumn ? [agentColumn(r)] : []), ...figures(r), ...(credits ? [creditCell(credits.of(r))] : [])]);
    if (breakdown) body.push(...breakdownRows(r.modelBreakdowns, lead - 1).map((b) => (credits ? [...b, ''] : b)));
  }
  body.push(['Total', ...(agentColumn ? [''] : []), ...figures(total), ...(credits ? [creditCell(credits.total)] : [])]);
  return table(head, body, lead);
}

/**
 * `report <kind>` (this CLI's own form, all agents) and `claude <kind>`: ccusage's
 * `claude daily|weekly|monthly|session --json` shapes.
 */
export function claudeShaped(
  input: ReportInput,
  kind: 'daily' | 'weekly' | 'monthly' | 'session',
  scope: AgentScope,
  legacy: boolean,
): Rendered {
  const unpriced = unpricedOf(input, scope);
  if (kind === 'session') {
    const r = sessionReport(input.store, filterOf(input, scope));
    let sessions = r.sessions;
    if (input.flags.sessionId !== undefined) sessions = sessions.filter((s) => s.sessionId === input.flags.sessionId);
    // ccusage lists sessions by cost, most expensive first, whatever --order says.
    sessions.sort((a, b) => b.totalCost - a.totalCost || a.sessionId.localeCompare(b.sessionId));
    markUnpriced(withoutSyntheticRows(sessions), unpriced);
    const t = input.flags.sessionId !== undefined ? sumFigures(sessions) : r.totals;
    const credits = creditsBySession(input.store, filterOf(input, scope));
    const totalCredits = sumCredits(sessions.map((e) => credits.get(e.sessionId)));
    const withC = totalCredits !== undefined;
    // `report session` has always had where each session ran (source) and its request count;
    // ccusage's `claude session` has neither.
    const rows = (legacy ? sessions : sessions.map(({ source: _s, requests: _r, ...rest }) => rest)).map((e) =>
      withCredits(e, credits.get(e.sessionId)),
    );
    const body: string[][] = [];
    for (const e of sessions) {
      body.push([
        e.sessionId,
        e.projectPath,
        e.lastActivity.slice(0, 16).replace('T', ' '),
        ...figures(e),
        ...(withC ? [creditCell(credits.get(e.sessionId))] : []),
      ]);
      if (input.flags.breakdown) body.push(...breakdownRows(e.modelBreakdowns, 2).map((b) => (withC ? [...b, ''] : b)));
    }
    body.push(['Total', '', '', ...figures(t), ...(withC ? [creditCell(totalCredits)] : [])]);
    const head = ['Session', 'Project', 'Last activity', ...FIGURE_HEAD, ...(withC ? ['Credits'] : [])];
    return {
      json: { sessions: rows, totals: withCredits(withUnpriced(t, unpriced), totalCredits) },
      table: table(head, body, 3),
      unpricedModels: unpriced,
    };
  }
  // ccusage's `claude weekly` starts weeks on Sunday; this CLI's `report weekly` always started them on Monday.
  const weekStartsOn = input.flags.startOfWeek ?? (legacy ? 1 : 0);
  const { rows, totals: t } = periodRows(input, scope, kind, weekStartsOn);
  const list = ordered(markUnpriced(rows, unpriced), input.flags.order);
  const key = PERIOD_KEY[kind];
  const credits = creditsByPeriod(input.store, input.flags.tz, filterOf(input, scope), kind, weekStartsOn);
  const totalCredits = sumCredits(list.map((r) => credits.get(r.key)));
  const json = {
    [kind]: list.map(({ key: k, ...rest }) => withCredits({ [key]: k, ...rest }, credits.get(k))),
    totals: withCredits(withUnpriced(t, unpriced), totalCredits),
  };
  const creditColumn = totalCredits === undefined ? undefined : { of: (r: PeriodRow) => credits.get(r.key), total: totalCredits };
  return { json, table: periodTable(kind, list, t, input.flags.breakdown, undefined, creditColumn), unpricedModels: unpriced };
}

function sumFigures(rows: CcusageFigures[]): CcusageFigures {
  const t = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0, totalCost: 0 };
  for (const r of rows) addFigures(t, r);
  return t;
}

/**
 * The bare `daily|weekly|monthly|session` (ccusage's report over every agent): rows with
 * `agent`, `period` and `metadata` ({agents} per period, {lastActivity} per session).
 */
export function unified(input: ReportInput, kind: 'daily' | 'weekly' | 'monthly' | 'session'): Rendered {
  const unpriced = unpricedOf(input, 'all');
  if (kind === 'session') {
    const r = sessionReport(input.store, filterOf(input, 'all'));
    let sessions = r.sessions;
    if (input.flags.sessionId !== undefined) sessions = sessions.filter((s) => s.sessionId === input.flags.sessionId);
    sessions.sort((a, b) => b.totalCost - a.totalCost || a.sessionId.localeCompare(b.sessionId));
    markUnpriced(withoutSyntheticRows(sessions), unpriced);
    const t = input.flags.sessionId !== undefined ? sumFigures(sessions) : r.totals;
    const rows = sessions.map((s) => ({
      agent: agentName(s.source),
      period: s.sessionId,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      cacheCreationTokens: s.cacheCreationTokens,
      cacheReadTokens: s.cacheReadTokens,
      totalTokens: s.totalTokens,
      totalCost: s.totalCost,
      modelsUsed: s.modelsUsed,
      modelBreakdowns: s.modelBreakdowns,
      metadata: { lastActivity: s.lastActivity },
    }));
    const body = sessions.map((s) => [s.sessionId, agentName(s.source), s.lastActivity.slice(0, 16).replace('T', ' '), ...figures(s)]);
    body.push(['Total', '', '', ...figures(t)]);
    return {
      json: { session: rows, totals: withUnpriced(t, unpriced) },
      table: table(['Session', 'Agent', 'Last activity', ...FIGURE_HEAD], body, 3),
      unpricedModels: unpriced,
    };
  }
  // ccusage's report over all agents starts weeks on Monday.
  const weekStartsOn = input.flags.startOfWeek ?? 1;
  const { rows, totals: t } = periodRows(input, 'all', kind, weekStartsOn);
  // Which agents had usage in each period: one report per agent that has any.
  const agentsByPeriod = new Map<string, Set<string>>();
  const sources = input.store.all('SELECT name FROM sources').map((s) => String(s.name));
  const byAgent = new Map<string, string[]>();
  for (const s of sources) byAgent.set(agentName(s), [...(byAgent.get(agentName(s)) ?? []), s]);
  for (const [agent, list] of byAgent) {
    const r =
      kind === 'daily'
        ? dailyReport(input.store, input.flags.tz, { ...input.range, sources: list }).daily.map((d) => d.date)
        : (periodReport(input.store, input.flags.tz, kind, { ...input.range, sources: list }, weekStartsOn)[kind] ?? []).map((d) =>
            'week' in d ? d.week : (d as { month: string }).month,
          );
    for (const p of r) agentsByPeriod.set(p, (agentsByPeriod.get(p) ?? new Set()).add(agent));
  }
  const list = ordered(markUnpriced(rows, unpriced), input.flags.order);
  const agentsOf = (period: string) => [...(agentsByPeriod.get(period) ?? [])].sort();
  const json = {
    [kind]: list.map(({ key, ...rest }) => ({ agent: 'all', period: key, ...rest, metadata: { agents: agentsOf(key) } })),
    totals: withUnpriced(t, unpriced),
  };
  return { json, table: periodTable(kind, list, t, input.flags.breakdown, (r) => agentsOf(r.key).join(', ')), unpricedModels: unpriced };
}

/**
 * `codex daily|monthly|session`: ccusage's Codex shapes (`costUSD`, and a `models` object keyed
 * by model name). Codex's reasoning tokens, the "fallback model" flag and the rollout file of a
 * session are not kept in the store, so `reasoningOutputTokens`, `isFallback`, `directory` and
 * `sessionFile` are left out rather than made up (reasoning tokens are part of `outputTokens`).
 */
export function codexShaped(input: ReportInput, kind: 'daily' | 'monthly' | 'session'): Rendered {
  const unpriced = unpricedOf(input, 'codex');
  const models = (list: ModelBreakdown[]) =>
    Object.fromEntries(
      list.map((b) => [
        b.modelName,
        {
          inputTokens: b.inputTokens,
          cacheCreationTokens: b.cacheCreationTokens,
          cacheReadTokens: b.cacheReadTokens,
          outputTokens: b.outputTokens,
          totalTokens: b.inputTokens + b.outputTokens + b.cacheCreationTokens + b.cacheReadTokens,
        },
      ]),
    );
  const codexFigures = (f: CcusageFigures) => ({
    inputTokens: f.inputTokens,
    cacheCreationTokens: f.cacheCreationTokens,
    cacheReadTokens: f.cacheReadTokens,
    outputTokens: f.outputTokens,
    totalTokens: f.totalTokens,
    costUSD: f.totalCost,
  });
  if (kind === 'session') {
    const r = sessionReport(input.store, filterOf(input, 'codex'));
    const sessions = r.sessions.sort((a, b) => a.lastActivity.localeCompare(b.lastActivity));
    const json = {
      sessions: sessions.map((s) => ({
        sessionId: s.sessionId,
        lastActivity: s.lastActivity,
        ...codexFigures(s),
        models: models(s.modelBreakdowns),
      })),
      totals: codexFigures(r.totals),
    };
    const body = sessions.map((s) => [s.sessionId, s.projectPath, s.lastActivity.slice(0, 16).replace('T', ' '), ...figures(s)]);
    body.push(['Total', '', '', ...figures(r.totals)]);
    return { json, table: table(['Session', 'Project', 'Last activity', ...FIGURE_HEAD], body, 3), unpricedModels: unpriced };
  }
  const { rows, totals: t } = periodRows(input, 'codex', kind, 1);
  const list = ordered(rows, input.flags.order);
  const json = {
    [kind]: list.map((r) => ({ [PERIOD_KEY[kind]]: r.key, ...codexFigures(r), models: models(r.modelBreakdowns) })),
    totals: codexFigures(t),
  };
  return { json, table: periodTable(kind, list, t, input.flags.breakdown), unpricedModels: unpriced };
}

interface BlockJson {
  id: string;
  startTime: string;
  endTime: string;
  actualEndTime: string | null;
  isActive: boolean;
  isGap: boolean;
  entries: number;
  tokenCounts: { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number };
  totalTokens: number;
  costUSD: number;
  models: string[];
  burnRate: { tokensPerMinute: number; tokensPerMinuteForIndicator: number; costPerHour: number } | null;
  projection: { totalTokens: number; totalCost: number; remainingMinutes: number } | null;
  tokenLimitStatus?: { limit: number; projectedUsage: number; percentUsed: number; status: 'ok' | 'warning' | 'exceeds' };
}

/**
 * `blocks` and `claude blocks`: Claude Code's 5-hour billing blocks (blocks.ts), with the gaps
 * between them and, for the running one, its burn rate and projection; ccusage's shape.
 */
export function blocksReport(input: ReportInput): Rendered {
  const { store, flags, now } = input;
  const f = filterOf(input, 'claude');
  const u = usageRows(input.range, idWhere(store, f));
  const rows = store.all(
    `SELECT h, m, sum(n) AS n, sum(input) AS input, sum(output) AS output, sum(cw) AS cw, sum(cr) AS cr, sum(cost) AS cost,
            min(lo) AS lo, max(hi) AS hi FROM (${u.sql}) GROUP BY h, m ORDER BY h`,
    u.params,
  );
  const modelNames = names(store, 'models');
  const hours: { h: number; lo: number; hi: number; rows: typeof rows }[] = [];
  for (const r of rows) {
    const h = Number(r.h);
    let last = hours.at(-1);
    if (!last || last.h !== h) hours.push((last = { h, lo: Number(r.lo), hi: Number(r.hi), rows: [] }));
    last.lo = Math.min(last.lo, Number(r.lo));
    last.hi = Math.max(last.hi, Number(r.hi));
    last.rows.push(r);
  }
  const spans = blockSpans(hours);
  const out: BlockJson[] = [];
  spans.forEach((b, i) => {
    if (i > 0) {
      const gap = gapBetween(spans[i - 1], b);
      if (gap) {
        const start = new Date(gap.start).toISOString();
        out.push({
          id: `gap-${start}`,
          startTime: start,
          endTime: new Date(gap.end).toISOString(),
          actualEndTime: null,
          isActive: false,
          isGap: true,
          entries: 0,
          tokenCounts: { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
          totalTokens: 0,
          costUSD: 0,
          models: [],
          burnRate: null,
          projection: null,
        });
      }
    }
    const t = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    let cost = 0;
    let entries = 0;
    const models = new Set<string>();
    for (const hour of hours.slice(b.fromHour, b.toHour)) {
      for (const r of hour.rows) {
        t.inputTokens += Number(r.input);
        t.outputTokens += Number(r.output);
        t.cacheCreationInputTokens += Number(r.cw);
        t.cacheReadInputTokens += Number(r.cr);
        cost += Number(r.cost);
        entries += Number(r.n);
        const m = modelNames.get(Number(r.m)) ?? '';
        if (m !== SYNTHETIC) models.add(m);
      }
    }
    const totalTokens = t.inputTokens + t.outputTokens + t.cacheCreationInputTokens + t.cacheReadInputTokens;
    const active = isActiveBlock(b, now);
    const sums = { totalTokens, inputOutputTokens: t.inputTokens + t.outputTokens, cost };
    const burn = active ? blockBurn(b, sums) : null;
    const p = active && burn ? blockProjection(b, burn, sums, now) : null;
    const start = new Date(b.start).toISOString();
    out.push({
      id: start,
      startTime: start,
      endTime: new Date(b.end).toISOString(),
      actualEndTime: new Date(b.lastRequest).toISOString(),
      isActive: active,
      isGap: false,
      entries,
      tokenCounts: t,
      totalTokens,
      costUSD: cost,
      models: [...models],
      burnRate: burn,
      // Rounded as ccusage prints them: whole tokens and minutes, cents.
      projection: p
        ? {
            totalTokens: Math.round(p.totalTokens),
            totalCost: Math.round(p.totalCost * 100) / 100,
            remainingMinutes: Math.round(p.remainingMinutes),
          }
        : null,
    });
  });
  const limit =
    flags.tokenLimit === 'max' ? Math.max(0, ...out.filter((b) => !b.isGap && !b.isActive).map((b) => b.totalTokens)) : flags.tokenLimit;
  if (limit) {
    for (const b of out) {
      if (!b.isActive || !b.projection) continue;
      const pct = (b.projection.totalTokens / limit) * 100;
      b.tokenLimitStatus = {
        limit,
        projectedUsage: b.projection.totalTokens,
        percentUsed: pct,
        status: pct > 100 ? 'exceeds' : pct > 80 ? 'warning' : 'ok',
      };
    }
  }
  let shown = out;
  if (flags.active) shown = out.filter((b) => b.isActive);
  else if (flags.recent) shown = out.filter((b) => b.isActive || Date.parse(b.startTime) >= now - 3 * 86_400_000);
  shown = ordered(shown, flags.order);
  const unpriced = unpricedOf(input, 'claude');
  const body = shown.map((b) => [
    b.startTime.slice(0, 16).replace('T', ' '),
    b.isGap ? 'gap' : b.isActive ? 'ACTIVE' : '',
    b.isActive
      ? `${Math.floor(b.projection?.remainingMinutes ?? Math.max(0, (Date.parse(b.endTime) - now) / 60_000))} min left`
      : `${Math.round(((b.isGap ? Date.parse(b.endTime) : Date.parse(b.actualEndTime!)) - Date.parse(b.startTime)) / 60_000)} min`,
    b.models.join(', '),
    fmtInt(b.totalTokens),
    `$${b.costUSD.toFixed(2)}`,
  ]);
  let text = table(['Block start (UTC)', 'Status', 'Duration', 'Models', 'Total tokens', 'Cost'], body, 4);
  const running = out.find((b) => b.isActive);
  if (running) {
    text +=
      `\nRunning block: ends ${running.endTime.slice(11, 16)} UTC` +
      (running.projection
        ? `, ${running.projection.remainingMinutes} min left; projected ${fmtInt(running.projection.totalTokens)} tokens, $${running.projection.totalCost.toFixed(2)}`
        : '') +
      (running.burnRate ? `; burning $${running.burnRate.costPerHour.toFixed(2)}/h` : '') +
      (running.tokenLimitStatus
        ? `; ${running.tokenLimitStatus.percentUsed.toFixed(0)} % of the ${fmtInt(running.tokenLimitStatus.limit)}-token limit (${running.tokenLimitStatus.status})`
        : '') +
      '.\n';
  } else if (flags.active) {
    text += `No block is running (a block lasts ${BLOCK_MS / 3_600_000} hours from the hour of its first request).\n`;
  }
  return { json: { blocks: shown }, table: text, unpricedModels: unpriced };
}
