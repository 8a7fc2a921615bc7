import type { Database, SqlValue, Statement } from 'sql.js';

/**
 * The raw-SQL door of the store: read-only queries for the read layer (query.ts, rollupQuery.ts,
 * dashboard.ts, status.ts, the read API) and the statement helpers the storage modules share.
 */
export type Row = Record<string, SqlValue>;

// sql.js binds and returns BigInt (64-bit keys); its type declarations predate that.
export type BigStatement = Statement & {
  run(values: (SqlValue | bigint)[]): void;
  bind(values: (SqlValue | bigint)[]): boolean;
  getAsObject(params?: undefined, config?: { useBigInt: boolean }): Record<string, SqlValue | bigint>;
  get(params: null, config: { useBigInt: boolean }): (SqlValue | bigint)[];
};

/** Rows of a read-only query. */
export function all(db: Database, sql: string, params: SqlValue[] = []): Row[] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const rows: Row[] = [];
    while (stmt.step()) rows.push(stmt.getAsObject());
    return rows;
  } finally {
    stmt.free();
  }
}

/**
 * Rows of a read-only query as arrays of column values, in the SELECT's order. For the hot reads
 * of the views: sql.js builds an object per row for `all` (its column names as keys), which was
 * most of the time a GROUP BY of a few thousand rows took to reach JS.
 */
export function values(db: Database, sql: string, params: SqlValue[] = []): SqlValue[][] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const rows: SqlValue[][] = [];
    while (stmt.step()) rows.push(stmt.get());
    return rows;
  } finally {
    stmt.free();
  }
}

/**
 * Rows inserted, changed or deleted through `db` since it was opened (SQLite's total_changes(),
 * triggers included): unchanged means nothing was written, so a read may be reused.
 */
export function totalChanges(db: Database): number {
  return Number(db.exec('SELECT total_changes()')[0].values[0][0]);
}

/** Calls `onRow` for each row without building an array of them. */
export function each(db: Database, sql: string, params: SqlValue[], onRow: (row: Row) => void): void {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    while (stmt.step()) onRow(stmt.getAsObject());
  } finally {
    stmt.free();
  }
}

export function get(db: Database, sql: string, params: SqlValue[] = []): Row | undefined {
  return all(db, sql, params)[0];
}

/** The 64-bit first column of each row (request keys), without a round trip through Number. */
export function bigKeys(db: Database, sql: string, params: SqlValue[] = []): bigint[] {
  const stmt = db.prepare(sql) as BigStatement;
  const keys: bigint[] = [];
  try {
    stmt.bind(params);
    while (stmt.step()) keys.push(stmt.get(null, { useBigInt: true })[0] as bigint);
  } finally {
    stmt.free();
  }
  return keys;
}

/** Runs statements against a temporary table of days for the duration of `fn` (day boundaries). */
export function withDayTable<T>(db: Database, days: { day: string; start: number; end: number }[], fn: () => T): T {
  db.exec('DROP TABLE IF EXISTS temp.days; CREATE TEMP TABLE days (day TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL)');
  const stmt = db.prepare('INSERT INTO temp.days (day, start, end) VALUES (?, ?, ?)');
  try {
    for (const d of days) stmt.run([d.day, d.start, d.end]);
  } finally {
    stmt.free();
  }
  try {
    return fn();
  } finally {
    db.exec('DROP TABLE IF EXISTS temp.days');
  }
}

/** `fn` in one transaction; on an error it is rolled back, `onRollback` runs, and the error is thrown again. */
export function transaction<T>(db: Database, fn: () => T, onRollback: () => void): T {
  db.exec('BEGIN');
  let result: T;
  try {
    result = fn();
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    onRollback();
    throw err;
  }
  return result;
}
