import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlValue, Statement } from 'sql.js';
import { loadSqlJs } from './sqljs';
import { totalTokens, type Source, type UsageRecord } from './model';

/** How far a transcript file has been read. */
export interface FileCursor {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Offset just past the last complete line that was read. */
  offset: number;
  /** What a stateful reader (e.g. Codex's current model) knew at `offset`, as JSON. */
  state?: string;
}

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage (
  id INTEGER PRIMARY KEY,
  dedup_key TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  source TEXT NOT NULL,
  model TEXT NOT NULL,
  project TEXT NOT NULL,
  session TEXT NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  reported_cost REAL,
  cost REAL NOT NULL,
  unpriced INTEGER NOT NULL,
  sidechain INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_ts ON usage(ts);
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  offset INTEGER NOT NULL
);
`;

/** Ordered upgrades: MIGRATIONS[n] takes a database from schema n+1 to n+2. */
const MIGRATIONS: string[] = [
  `ALTER TABLE usage ADD COLUMN message_id TEXT;
   CREATE INDEX IF NOT EXISTS usage_message ON usage(message_id) WHERE message_id IS NOT NULL;
   ALTER TABLE files ADD COLUMN state TEXT;`,
];

// A later copy replaces the stored one only when it is more complete: a non-sidechain copy beats
// a sidechain copy, then the larger token total wins (streamed replies repeat usage per block).
const UPSERT = `
INSERT INTO usage (dedup_key, ts, source, model, project, session, input, output, cache_write,
  cache_write_1h, cache_read, reported_cost, cost, unpriced, sidechain, message_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(dedup_key) DO UPDATE SET
  ts = excluded.ts, source = excluded.source, model = excluded.model, project = excluded.project,
  session = excluded.session, input = excluded.input, output = excluded.output,
  cache_write = excluded.cache_write, cache_write_1h = excluded.cache_write_1h,
  cache_read = excluded.cache_read, reported_cost = excluded.reported_cost, cost = excluded.cost,
  unpriced = excluded.unpriced, sidechain = excluded.sidechain
WHERE EXISTS (SELECT 1 FROM temp.stale s WHERE s.dedup_key = usage.dedup_key)
   OR excluded.sidechain < usage.sidechain
   OR (excluded.sidechain = usage.sidechain
       AND excluded.input + excluded.output + excluded.cache_write + excluded.cache_read
         > usage.input + usage.output + usage.cache_write + usage.cache_read)
`;

export type Row = Record<string, SqlValue>;

/**
 * The usage database: sql.js in memory, persisted to one file. Writes of the file are atomic
 * (temporary file, flush, rename), so a crash mid-save leaves the previous file intact.
 */
export class UsageStore {
  private dirty = false;
  private rebuilding = false;

  private constructor(
    private readonly db: Database,
    readonly file: string | null,
  ) {}

  /** Opens the database file, creating it when missing; `null` keeps it in memory only. */
  static async open(file: string | null): Promise<UsageStore> {
    const SQL = await loadSqlJs();
    let bytes: Uint8Array | undefined;
    if (file) {
      try {
        bytes = await fsp.readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const db = new SQL.Database(bytes);
    const store = new UsageStore(db, file);
    store.migrate();
    return store;
  }

  private migrate(): void {
    const version = Number(this.db.exec('PRAGMA user_version')[0]?.values[0][0] ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new Error(`The usage database was written by a newer version (schema ${version}); update the extension.`);
    }
    if (version === 0) this.db.exec(SCHEMA);
    for (let v = Math.max(version, 1); v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v - 1]);
    this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS stale (dedup_key TEXT PRIMARY KEY)');
  }

  /** Inserts or merges records; returns how many rows were added or replaced by a better copy. */
  insert(records: readonly UsageRecord[]): number {
    if (records.length === 0) return 0;
    let changed = 0;
    this.db.exec('BEGIN');
    const stmt = this.db.prepare(UPSERT);
    const sameMessage = this.db.prepare(
      'SELECT dedup_key, sidechain, input + output + cache_write + cache_read AS total FROM usage WHERE message_id = ? AND dedup_key <> ?',
    );
    const drop = this.db.prepare('DELETE FROM usage WHERE dedup_key = ?');
    const unstale = this.db.prepare('DELETE FROM temp.stale WHERE dedup_key = ?');
    try {
      for (const r of records) {
        if (r.messageId && !this.keepOverSidechainCopies(r, sameMessage, drop)) continue;
        stmt.run([
          r.dedupKey, r.timestamp, r.source, r.model, r.project, r.sessionId, r.inputTokens, r.outputTokens,
          r.cacheWriteTokens, r.cacheWrite1hTokens, r.cacheReadTokens, r.reportedCost, r.cost, r.unpriced ? 1 : 0,
          r.isSidechain ? 1 : 0, r.messageId ?? null,
        ]);
        changed += this.db.getRowsModified();
        if (this.rebuilding) unstale.run([r.dedupKey]);
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    } finally {
      stmt.free();
      sameMessage.free();
      drop.free();
      unstale.free();
    }
    if (changed > 0) this.dirty = true;
    return changed;
  }

  /**
   * The same message id under another requestId is one message when either copy is a sidechain
   * (a subagent replay): only the better copy stays. Returns false when `r` must not be stored.
   */
  private keepOverSidechainCopies(r: UsageRecord, sameMessage: Statement, drop: Statement): boolean {
    const rivals: { key: string; sidechain: number; total: number }[] = [];
    sameMessage.bind([r.messageId!, r.dedupKey]);
    while (sameMessage.step()) {
      const row = sameMessage.getAsObject();
      if (r.isSidechain || Number(row.sidechain) === 1) rivals.push({ key: String(row.dedup_key), sidechain: Number(row.sidechain), total: Number(row.total) });
    }
    sameMessage.reset();
    const mine = { sidechain: r.isSidechain ? 1 : 0, total: totalTokens(r) };
    for (const rival of rivals) {
      const better = mine.sidechain < rival.sidechain || (mine.sidechain === rival.sidechain && mine.total > rival.total);
      if (!better) return false;
    }
    for (const rival of rivals) drop.run([rival.key]);
    return true;
  }

  cursor(filePath: string): FileCursor | undefined {
    const row = this.get('SELECT path, size, mtime, ino, offset, state FROM files WHERE path = ?', [filePath]);
    if (!row) return undefined;
    return {
      path: String(row.path), size: Number(row.size), mtimeMs: Number(row.mtime), ino: Number(row.ino), offset: Number(row.offset),
      ...(row.state != null ? { state: String(row.state) } : {}),
    };
  }

  setCursor(c: FileCursor): void {
    this.db.run('INSERT OR REPLACE INTO files (path, size, mtime, ino, offset, state) VALUES (?, ?, ?, ?, ?, ?)', [
      c.path, c.size, c.mtimeMs, c.ino, c.offset, c.state ?? null,
    ]);
    this.dirty = true;
  }

  /** Rows of a read-only query. */
  all(sql: string, params: SqlValue[] = []): Row[] {
    const stmt = this.db.prepare(sql);
    try {
      stmt.bind(params);
      const rows: Row[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject());
      return rows;
    } finally {
      stmt.free();
    }
  }

  /** Calls `onRow` for each row without building an array: for exports of any size. */
  each(sql: string, params: SqlValue[], onRow: (row: Row) => void): void {
    const stmt = this.db.prepare(sql);
    try {
      stmt.bind(params);
      while (stmt.step()) onRow(stmt.getAsObject());
    } finally {
      stmt.free();
    }
  }

  get(sql: string, params: SqlValue[] = []): Row | undefined {
    return this.all(sql, params)[0];
  }

  /** Runs statements against a temporary table for the duration of `fn` (e.g. day boundaries). */
  withDayTable<T>(days: { day: string; start: number; end: number }[], fn: () => T): T {
    this.db.exec('DROP TABLE IF EXISTS temp.days; CREATE TEMP TABLE days (day TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL)');
    const stmt = this.db.prepare('INSERT INTO temp.days (day, start, end) VALUES (?, ?, ?)');
    try {
      for (const d of days) stmt.run([d.day, d.start, d.end]);
    } finally {
      stmt.free();
    }
    try {
      return fn();
    } finally {
      this.db.exec('DROP TABLE IF EXISTS temp.days');
    }
  }

  /**
   * Starts a rebuild: every file is read again from its start, and the first copy of a request
   * seen during the rebuild replaces the stored one (so new prices and cost modes apply), after
   * which the usual "more complete copy wins" rule holds again. Requests whose transcript is gone
   * are kept as they were; heartbeat and manual records are never touched.
   */
  beginRebuild(): void {
    this.db.exec(`DELETE FROM temp.stale;
      INSERT INTO temp.stale (dedup_key) SELECT dedup_key FROM usage WHERE source NOT IN ('heartbeat', 'manual');
      DELETE FROM files;`);
    this.rebuilding = true;
    this.dirty = true;
  }

  /** Ends a rebuild; returns how many requests were kept only from the database. */
  endRebuild(): number {
    const kept = Number(this.get('SELECT count(*) AS n FROM temp.stale')?.n ?? 0);
    this.db.exec('DELETE FROM temp.stale');
    this.rebuilding = false;
    return kept;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  recordCount(): number {
    return Number(this.get('SELECT count(*) AS n FROM usage')?.n ?? 0);
  }

  sources(): Source[] {
    return this.all('SELECT DISTINCT source FROM usage ORDER BY source').map((r) => String(r.source) as Source);
  }

  /** Writes the database file atomically. A no-op for an in-memory store or when nothing changed. */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const bytes = this.db.export();
    this.dirty = false;
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, this.file);
    } catch (err) {
      this.dirty = true;
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }
}
