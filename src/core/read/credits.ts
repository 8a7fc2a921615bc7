/**
 * The agents' own billing units (UsageRecord.credits: Amp's and Codebuff's credits), summed per
 * period, session or source. They live in `request_credits` (schema 6, storage/schema.ts), one
 * row per request that carries them, so these reads touch only those requests. Credits are not
 * dollars: no published rate converts them, and every cost figure stays computed from tokens.
 */
import { filterClause, periodKey, type Period, type UsageFilter } from '../query';
import type { UsageStore } from '../store';
import { dayKey } from '../time';

/** The credit-bearing requests of a filter: when, in which session and source, how many credits. */
function creditRows(store: UsageStore, filter: UsageFilter): { ts: number; session: string; source: string; credits: number }[] {
  const where = filterClause(filter, 'u.');
  return store
    .all(
      `SELECT u.ts AS ts, u.session AS session, u.source AS source, c.credits AS credits
       FROM request_credits c JOIN usage u ON u.id = c.key ${where.sql}`,
      where.params,
    )
    .map((r) => ({ ts: Number(r.ts), session: String(r.session), source: String(r.source), credits: Number(r.credits) }));
}

type CreditRow = ReturnType<typeof creditRows>[number];

function sumBy(rows: readonly CreditRow[], keyOf: (r: CreditRow) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const k = keyOf(r);
    out.set(k, (out.get(k) ?? 0) + r.credits);
  }
  return out;
}

/**
 * Credits per local day, week or month (the keys dailyReport / periodReport print: `2026-02-26`,
 * the week's first day, `2026-02`); periods without credits are absent.
 */
export function creditsByPeriod(
  store: UsageStore,
  timeZone: string,
  filter: UsageFilter,
  period: Period,
  weekStartsOn = 1,
): Map<string, number> {
  return sumBy(creditRows(store, filter), (r) => periodKey(dayKey(r.ts, timeZone), period, weekStartsOn));
}

/** Credits per session id (sessionReport's `sessionId`); sessions without credits are absent. */
export function creditsBySession(store: UsageStore, filter: UsageFilter): Map<string, number> {
  return sumBy(creditRows(store, filter), (r) => r.session);
}

/**
 * Credits per source (`amp`, `codebuff`) in a range, for a dashboard figure beside each
 * credits-based agent's cost; sources without credits are absent.
 */
export function creditsBySource(store: UsageStore, filter: UsageFilter): { source: string; credits: number; requests: number }[] {
  const by = new Map<string, { source: string; credits: number; requests: number }>();
  for (const r of creditRows(store, filter)) {
    const e = by.get(r.source) ?? { source: r.source, credits: 0, requests: 0 };
    e.credits += r.credits;
    e.requests++;
    by.set(r.source, e);
  }
  return [...by.values()].sort((a, b) => b.credits - a.credits || a.source.localeCompare(b.source));
}
