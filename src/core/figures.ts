/**
 * The one definition of each live figure the product shows: burn rate, active sessions, the
 * month's projection, budget use and its thresholds, the running 5-hour block and the costs of
 * today, yesterday and the same day last week. The status bar (status.ts), the dashboard
 * (dashboard.ts), the read API (server/readApi.ts) and the CLI (cli/seedVerbs.ts) all call these
 * functions, so the same store at the same instant shows the same numbers everywhere.
 *
 * Every figure reads through the hourly rollup (rollupQuery.usageRows), narrowed by `where`
 * (rollupQuery.idWhere of a filter; '' for everything), in the chosen cost rules.
 */
import type { SqlValue } from 'sql.js';
import { blockBurn, blockProjection, blockSpans, BLOCK_MS, isActiveBlock } from './blocks';
import { addDays, monthProgress, monthRange } from './periods';
import type { CostRules } from './pricing/pricing';
import { names, sumsByModel, totalsOf, usageRows } from './rollupQuery';
import type { UsageStore } from './store';
import { dayKey, dayRange, startOfDay } from './time';

/** Which requests a figure counts: the store, the filter's id conditions and the cost rules. */
export interface FigureScope {
  store: UsageStore;
  /** rollupQuery.idWhere of a filter; '' or absent counts every request. */
  where?: string;
  costRules?: CostRules;
}

/** Burn rate: spend over the last 15 minutes, up to and including `now`. */
export const BURN_WINDOW_MINUTES = 15;
/**
 * A session is active while its last request is at most 30 minutes old. One window for the
 * dashboard's table, its "active sessions" count, the API's `active` flags and `/api/tokens-live`:
 * 30 minutes, because an agent session often pauses for longer than 15 while its user reads.
 */
export const ACTIVE_SESSION_MINUTES = 30;
/** Budget percentages that alert when the settings give none (tokenCost.alerts.thresholds' default). */
export const DEFAULT_BUDGET_THRESHOLDS: readonly number[] = [80, 100];

const MINUTE = 60_000;
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Runs `select` over `WITH u AS (rows of [start, end) in scope)`. */
function over(scope: FigureScope, start: number, end: number, select: string): Record<string, SqlValue>[] {
  const u = usageRows({ start, end, costRules: scope.costRules }, scope.where ?? '');
  return scope.store.all(`WITH u AS (${u.sql}) ${select}`, u.params);
}

/** Cost of the requests in scope over [start, end). */
export function costBetween(scope: FigureScope, start: number, end: number): number {
  return n(over(scope, start, end, 'SELECT sum(cost) AS cost FROM u')[0]?.cost);
}

export interface BurnRate {
  /** All four token kinds per minute over the window. */
  tokensPerMinute: number;
  costPerHour: number;
  windowMinutes: number;
}

/** Spend rate over the last BURN_WINDOW_MINUTES (requests at `now` included). */
export function burnRate(scope: FigureScope, now: number): BurnRate {
  const r = over(
    scope,
    now - BURN_WINDOW_MINUTES * MINUTE,
    now + 1,
    'SELECT sum(input + output + cw + cr) AS tokens, sum(cost) AS cost FROM u',
  )[0];
  return {
    tokensPerMinute: n(r?.tokens) / BURN_WINDOW_MINUTES,
    costPerHour: (n(r?.cost) * 60) / BURN_WINDOW_MINUTES,
    windowMinutes: BURN_WINDOW_MINUTES,
  };
}

/** Whether a burn rate is past the alert limit in USD per hour (0 turns the alert off). */
export function isHighBurn(burn: Pick<BurnRate, 'costPerHour'>, limitPerHour: number): boolean {
  return limitPerHour > 0 && burn.costPerHour >= limitPerHour;
}

/** Whether a session whose last request was at `lastActivity` counts as active at `now`. */
export function isActiveSession(lastActivity: number, now: number): boolean {
  return now - lastActivity <= ACTIVE_SESSION_MINUTES * MINUTE;
}

/** The first instant whose requests make a session active at `now`. */
export function activeSince(now: number): number {
  return now - ACTIVE_SESSION_MINUTES * MINUTE;
}

/** Distinct sessions in scope with a request in the last ACTIVE_SESSION_MINUTES. */
export function activeSessions(scope: FigureScope, now: number): number {
  return n(over(scope, activeSince(now), now + 1, 'SELECT count(DISTINCT se) AS c FROM u')[0]?.c);
}

/**
 * Where a month-to-date figure ends at its pace so far (a straight line). At the very first
 * instant of the month no pace is known yet, and the figure so far is the projection.
 */
export function monthProjection(soFar: number, now: number, timeZone: string): number {
  const { elapsed } = monthProgress(now, timeZone);
  return elapsed > 0 ? soFar / elapsed : soFar;
}

export interface MonthToDate {
  month: string;
  cost: number;
  totalTokens: number;
  projectedCost: number;
  projectedTokens: number;
}

/** This calendar month so far (in the zone) and its projection. */
export function monthToDate(scope: FigureScope, now: number, timeZone: string): MonthToDate {
  const m = monthRange(now, timeZone);
  const r = over(scope, m.start!, m.end!, 'SELECT sum(cost) AS cost, sum(input + output + cw + cr) AS tokens FROM u')[0];
  const cost = n(r?.cost);
  const totalTokens = n(r?.tokens);
  return {
    month: m.month,
    cost,
    totalTokens,
    projectedCost: monthProjection(cost, now, timeZone),
    projectedTokens: monthProjection(totalTokens, now, timeZone),
  };
}

/** Percent of a budget spent; undefined when no budget is set. */
export function budgetUse(spent: number, budget?: number): number | undefined {
  return budget && budget > 0 ? (spent / budget) * 100 : undefined;
}

/** The percentage from which a budget shows a warning: the lowest threshold set. */
export function warningThreshold(thresholds: readonly number[] = DEFAULT_BUDGET_THRESHOLDS): number {
  return Math.min(...(thresholds.length ? thresholds : DEFAULT_BUDGET_THRESHOLDS));
}

/** What a budget's use calls for: nothing, a warning (from the first threshold) or an error (at 100 %). */
export function budgetLevel(
  usedPct: number | undefined,
  thresholds: readonly number[] = DEFAULT_BUDGET_THRESHOLDS,
): 'ok' | 'warning' | 'error' {
  if (usedPct === undefined) return 'ok';
  if (usedPct >= 100) return 'error';
  return usedPct >= warningThreshold(thresholds) ? 'warning' : 'ok';
}

/** The thresholds a budget's use has reached (ascending; lower ones are implied by the highest). */
export function reachedThresholds(usedPct: number | undefined, thresholds: readonly number[]): number[] {
  return usedPct === undefined ? [] : thresholds.filter((t) => usedPct >= t);
}

export interface DayCosts {
  today: number;
  yesterday: number;
  sameDayLastWeek: number;
  /** Today against yesterday in percent; null when yesterday cost nothing. */
  todayVsYesterdayPct: number | null;
}

/** [start, end) of the local day `offset` days from the one holding `now`. */
export function localDay(now: number, timeZone: string, offset = 0): { day: string; start: number; end: number } {
  if (offset === 0) return dayRange(now, timeZone);
  const day = addDays(dayKey(now, timeZone), offset);
  return { day, start: startOfDay(day, timeZone), end: startOfDay(addDays(day, 1), timeZone) };
}

/** The cost of today, yesterday and the same weekday a week ago, as local calendar days. */
export function dayCosts(scope: FigureScope, now: number, timeZone: string): DayCosts {
  const cost = (offset: number) => {
    const d = localDay(now, timeZone, offset);
    return costBetween(scope, d.start, d.end);
  };
  const today = cost(0);
  const yesterday = cost(-1);
  return {
    today,
    yesterday,
    sameDayLastWeek: cost(-7),
    todayVsYesterdayPct: yesterday > 0 ? ((today - yesterday) / yesterday) * 100 : null,
  };
}

export interface CurrentBlock {
  start: number;
  end: number;
  cost: number;
  totalTokens: number;
  projectedCost: number;
  minutesLeft: number;
}

/** The running 5-hour block (see blocks.ts), with its projection at the block's burn rate. */
export function currentBlock(scope: FigureScope, now: number): CurrentBlock | undefined {
  // Two block lengths back reach the start of any block still running now.
  const hours = over(scope, now - 2 * BLOCK_MS, now + 1, 'SELECT min(lo) AS lo, max(hi) AS hi FROM u GROUP BY h ORDER BY h');
  const last = blockSpans(hours.map((h) => ({ lo: n(h.lo), hi: n(h.hi) }))).at(-1);
  if (!last || !isActiveBlock(last, now)) return undefined;
  const t = totalsOf(
    sumsByModel(
      scope.store,
      { start: last.start, end: now + 1, costRules: scope.costRules },
      scope.where ?? '',
      names(scope.store, 'models'),
    ),
  );
  const sums = { totalTokens: t.totalTokens, inputOutputTokens: t.inputTokens + t.outputTokens, cost: t.cost };
  const projection = blockProjection(last, blockBurn(last, sums), sums, now);
  return {
    start: last.start,
    end: last.end,
    cost: t.cost,
    totalTokens: t.totalTokens,
    projectedCost: projection.totalCost,
    minutesLeft: Math.round(projection.remainingMinutes),
  };
}
