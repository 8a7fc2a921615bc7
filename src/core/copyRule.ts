import { totalTokens, type UsageRecord } from './model';

/**
 * "Which copy of a request wins": the one rule behind the SQL upsert (storage/requests.ts), the
 * sidechain-rival check, the bulk load's in-memory fold (storage/bulkLoad.ts) and the collapse of
 * a file's streamed copies (ingest/lineFile.ts). Both the TypeScript comparator and the SQL
 * condition are generated from CRITERIA below, so they cannot drift apart; copyRule.test.ts
 * checks the stored winner against `betterCopy` on random sequences of copies.
 *
 * A later copy replaces the kept one, criterion by criterion, when it is:
 * 1. not a sidechain where the kept one is (the main chain's copy is the request itself, a
 *    subagent replay only repeats it);
 * 2. else larger in total tokens (streamed replies repeat usage per block, the last is complete);
 * 3. else higher in cost (a fast-mode copy of the same tokens);
 * 4. else different in what the API would bill (the same copy read again with that figure, for
 *    rows written before schema 5 had it): the later copy is taken.
 * Otherwise the kept copy stays (the first one read, on a full tie).
 */
export interface Rank {
  /** 1 for a sidechain (subagent) copy, else 0. */
  sidechain: number;
  total: number;
  cost: number;
  /** What the API would bill where it differs from `cost`, else null (as stored). */
  apiCost: number | null;
}

type Wins = 'lower' | 'higher' | 'different';

interface Criterion {
  wins: Wins;
  of(r: Rank): number | null;
  /** The same figure of the `requests` row `t` (`excluded` for the incoming copy). */
  sql(t: string): string;
}

const CRITERIA: readonly Criterion[] = [
  { wins: 'lower', of: (r) => r.sidechain, sql: (t) => `(${t}.flags & 2)` },
  { wins: 'higher', of: (r) => r.total, sql: (t) => `(${t}.input + ${t}.output + ${t}.cache_write + ${t}.cache_read)` },
  { wins: 'higher', of: (r) => r.cost, sql: (t) => `${t}.cost` },
  { wins: 'different', of: (r) => r.apiCost, sql: (t) => `${t}.api_cost` },
];

/** The stored form of what the API would bill: null where it is the same as the cost. */
export const storedApiCost = (r: Pick<UsageRecord, 'apiCost' | 'cost'>): number | null =>
  r.apiCost === undefined || r.apiCost === r.cost ? null : r.apiCost;

/** What the rule compares of a record. */
export const rankOf = (r: UsageRecord): Rank => ({
  sidechain: r.isSidechain ? 1 : 0,
  total: totalTokens(r),
  cost: r.cost,
  apiCost: storedApiCost(r),
});

/** Whether the later copy `a` replaces the kept copy `b`. */
export function better(a: Rank, b: Rank): boolean {
  for (const c of CRITERIA) {
    const x = c.of(a);
    const y = c.of(b);
    if (c.wins === 'different') return x !== y;
    if (x === y) continue;
    return c.wins === 'lower' ? x! < y! : x! > y!;
  }
  return false;
}

/** The same rule for two records (a later copy `a` against the kept `b`). */
export const betterCopy = (a: UsageRecord, b: UsageRecord): boolean => better(rankOf(a), rankOf(b));

/**
 * The rule as an SQL condition: whether the row `later` (e.g. `excluded`) replaces the row `kept`
 * (e.g. `requests`), generated from CRITERIA. Every column but api_cost is NOT NULL, so `=` and
 * `<`/`>` compare them as the comparator does; api_cost is compared with IS NOT (NULL-safe).
 */
export function betterCopySql(later: string, kept: string): string {
  const at = (i: number): string => {
    const c = CRITERIA[i];
    const x = c.sql(later);
    const y = c.sql(kept);
    if (c.wins === 'different') return `${x} IS NOT ${y}`;
    const wins = `${x} ${c.wins === 'lower' ? '<' : '>'} ${y}`;
    return i + 1 < CRITERIA.length ? `(${wins} OR (${x} = ${y} AND ${at(i + 1)}))` : wins;
  };
  return at(0);
}

/**
 * The rule as an ORDER BY over the `requests` row `t`, best copy first, for statements that keep
 * the first row of each key (INSERT OR IGNORE). The last criterion prefers whichever copy comes
 * later, which an order over rows read together cannot express; it is left out.
 */
export function bestFirstSql(t: string): string {
  return CRITERIA.filter((c) => c.wins !== 'different')
    .map((c) => `${c.sql(t)} ${c.wins === 'lower' ? 'ASC' : 'DESC'}`)
    .join(', ');
}
