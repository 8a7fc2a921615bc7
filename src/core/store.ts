import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlValue, Statement } from 'sql.js';
import { loadSqlJs } from './sqljs';
import type { Source, UsageRecord } from './model';
import { defaultIo, statOrUndefined, type StorageIo } from './storage/fsio';
import { Journal, readJournal, rotatedJournals, type DamagedLine, type JournalEntry } from './storage/journal';
import { messageKeyRange, REQUEST_KEY_MASK, requestKey } from './storage/keys';
import { processAlive } from './storage/lock';
import type { FileCursor } from './storage/cursors';
import { better, BulkLoad, HAS_MESSAGE, rankOf, rowFlags, type Rank } from './storage/bulkLoad';

// Where FileCursor is defined (storage/cursors.ts, shared with the journal); callers keep importing it from the store.
export type { FileCursor } from './storage/cursors';

/** flags: bit 0 unpriced, bit 1 sidechain, bit 2 the request carries a message id. */

/** What opening the database had to repair, told to the user once. */
export interface RecoveryReport {
  /** Why the database file could not be used (empty, not a database, damaged, another program's schema). */
  problem?: string;
  /** Where the unusable database file was moved (it is never deleted). */
  movedAside?: string;
  /** The backup the data was restored from, if any. */
  restoredFrom?: string;
  /** Records in what was loaded (the snapshot or backup) before the journal was replayed. */
  fromSnapshot: number;
  /** Records the journal added over it (changes not yet in the snapshot or backup). */
  fromJournal: number;
  /** Journal entries replayed over the snapshot (records and read positions). */
  replayed: number;
  /** Journal lines that could not be read (a write torn by a crash, or damaged bytes), and where. */
  unreadableJournalLines: number;
  damagedLines: DamagedLine[];
  /** Entries missing between the restored backup and the oldest journal kept (two damaged backups). */
  missingEntries: number;
}

const noRecovery = (): RecoveryReport => ({ fromSnapshot: 0, fromJournal: 0, replayed: 0, unreadableJournalLines: 0, damagedLines: [], missingEntries: 0 });

/**
 * The sentence telling the person what opening the database repaired, with the numbers, or
 * undefined when nothing was. One wording for every place it is shown (CLI, /api/health, VS Code).
 */
export function recoveryMessage(r: RecoveryReport): string | undefined {
  const parts: string[] = [];
  if (r.problem) {
    const where = r.movedAside ? `; it was moved to ${r.movedAside}` : '';
    const from = r.restoredFrom ? `${r.fromSnapshot} from the backup ${r.restoredFrom}` : `${r.fromSnapshot} from a backup (none was readable)`;
    parts.push(
      `The usage database could not be used (${r.problem})${where}. Recovered ${r.fromSnapshot + r.fromJournal} record(s): ` +
        `${from} and ${r.fromJournal} from the journal; transcripts are read again.`,
    );
    if (r.missingEntries > 0) parts.push(`${r.missingEntries} journal entr(ies) between the backup and the journal could not be found.`);
  }
  if (r.unreadableJournalLines > 0) {
    const at = r.damagedLines.slice(0, 5).map((d) => `${d.file} at byte ${d.offset} (${d.length} bytes)`).join(', ');
    parts.push(
      `Skipped ${r.unreadableJournalLines} damaged journal line(s) (a write torn by a crash, or damaged bytes): ${at}` +
        `${r.damagedLines.length > 5 ? `, and ${r.damagedLines.length - 5} more` : ''}; what could be read in them was kept.`,
    );
  }
  return parts.length ? parts.join(' ') : undefined;
}

/** A database written by a newer build: never moved aside, the user updates instead. */
export class NewerSchemaError extends Error {}

/** What a reported record is compared by when its id arrives again. */
export type StoredReport = Pick<UsageRecord, 'timestamp' | 'source' | 'model' | 'project' | 'sessionId' | 'inputTokens' | 'outputTokens'
  | 'cacheWriteTokens' | 'cacheReadTokens' | 'reportedCost'>;

export const SCHEMA_VERSION = 5;

/**
 * Requests keep integer references to small dimension tables and a 64-bit hash of their
 * identity instead of text: about 70-90 bytes per request with its indexes. The `usage` view
 * gives every reader the plain columns. This is version 4 (without the rollup); version 5
 * extends it (MIGRATE_V4_TO_V5).
 */
export const SCHEMA_V4 = `
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS requests (
  key INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  reported_cost REAL,
  cost REAL NOT NULL,
  flags INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  state TEXT
);
CREATE VIEW IF NOT EXISTS usage AS
  SELECT r.key AS id, r.key AS dedup_key, r.ts AS ts, so.name AS source, mo.name AS model, pr.name AS project,
         se.name AS session, r.input AS input, r.output AS output, r.cache_write AS cache_write,
         r.cache_write_1h AS cache_write_1h, r.cache_read AS cache_read, r.reported_cost AS reported_cost,
         r.cost AS cost, r.flags & 1 AS unpriced, (r.flags >> 1) & 1 AS sidechain
    FROM requests r
    JOIN sources so ON so.id = r.source_id
    JOIN models mo ON mo.id = r.model_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN sessions se ON se.id = r.session_id;
`;

/**
 * Version 5 adds what the API would bill (`api_cost`, see PriceTable.apiCost; NULL where it is the
 * same as `cost`) to requests, the `usage` view and the rollup. Rows written before have NULL;
 * the file cursors are dropped so every transcript is read again and its rows get their figure
 * (the upsert takes a copy that differs only there). Rows whose transcript is gone, and reported
 * rows (heartbeats, manual), keep ccusage's figure for both.
 */
const MIGRATE_V4_TO_V5 = `
ALTER TABLE requests ADD COLUMN api_cost REAL;
DELETE FROM files;
DROP VIEW IF EXISTS usage;
CREATE VIEW usage AS
  SELECT r.key AS id, r.key AS dedup_key, r.ts AS ts, so.name AS source, mo.name AS model, pr.name AS project,
         se.name AS session, r.input AS input, r.output AS output, r.cache_write AS cache_write,
         r.cache_write_1h AS cache_write_1h, r.cache_read AS cache_read, r.reported_cost AS reported_cost,
         r.cost AS cost, coalesce(r.api_cost, r.cost) AS api_cost, r.flags & 1 AS unpriced, (r.flags >> 1) & 1 AS sidechain
    FROM requests r
    JOIN sources so ON so.id = r.source_id
    JOIN models mo ON mo.id = r.model_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN sessions se ON se.id = r.session_id;
DROP TRIGGER IF EXISTS rollup_insert; DROP TRIGGER IF EXISTS rollup_delete; DROP TRIGGER IF EXISTS rollup_update; DROP TRIGGER IF EXISTS rollup_replace;
DROP TABLE IF EXISTS rollup;
`;

/** The schema of version 3, kept to upgrade files written by it and to test that upgrade. */
export const SCHEMA_V3 = `
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS requests (
  key INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  reported_cost REAL,
  cost REAL NOT NULL,
  flags INTEGER NOT NULL,
  message INTEGER
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
CREATE INDEX IF NOT EXISTS requests_message ON requests(message) WHERE message IS NOT NULL;
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  state TEXT
);
CREATE VIEW IF NOT EXISTS usage AS
  SELECT r.key AS id, r.key AS dedup_key, r.ts AS ts, so.name AS source, mo.name AS model, pr.name AS project,
         se.name AS session, r.input AS input, r.output AS output, r.cache_write AS cache_write,
         r.cache_write_1h AS cache_write_1h, r.cache_read AS cache_read, r.reported_cost AS reported_cost,
         r.cost AS cost, r.flags & 1 AS unpriced, (r.flags >> 1) & 1 AS sidechain, r.message AS message_id
    FROM requests r
    JOIN sources so ON so.id = r.source_id
    JOIN models mo ON mo.id = r.model_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN sessions se ON se.id = r.session_id;
`;

/**
 * Hourly sums per (source, model, project, session), kept in step with `requests` by triggers so
 * every writer (the upsert, sidechain replacements, rebuilds, pruning, older builds of this
 * extension) maintains them. The dashboard reads whole hours from here and only the parts of a
 * range that do not fill an hour from `requests`. Additive to schema 3: files without it get it
 * on open (`ensureRollup`), and builds that do not know it still keep it right.
 */
export const ROLLUP_HOUR_MS = 3_600_000;
const ROLLUP_SUMS = 'requests, input, output, cache_write, cache_read, cost, api_cost, unpriced, first_ts, last_ts';
const rollupRow = (r: 'new' | 'old') =>
  `CAST(${r}.ts / ${ROLLUP_HOUR_MS} AS INTEGER), ${r}.source_id, ${r}.model_id, ${r}.project_id, ${r}.session_id`;
const rollupAdd = `
  INSERT INTO rollup (hour, source_id, model_id, project_id, session_id, ${ROLLUP_SUMS})
  VALUES (${rollupRow('new')}, 1, new.input, new.output, new.cache_write, new.cache_read, new.cost, coalesce(new.api_cost, new.cost),
    new.flags & 1, new.ts, new.ts)
  ON CONFLICT DO UPDATE SET requests = requests + 1, input = input + excluded.input, output = output + excluded.output,
    cache_write = cache_write + excluded.cache_write, cache_read = cache_read + excluded.cache_read,
    cost = cost + excluded.cost, api_cost = api_cost + excluded.api_cost, unpriced = unpriced + excluded.unpriced,
    first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts);`;
const rollupKey = `hour = CAST(old.ts / ${ROLLUP_HOUR_MS} AS INTEGER) AND source_id = old.source_id AND model_id = old.model_id
    AND project_id = old.project_id AND session_id = old.session_id`;
// A removed first or last request is looked up again in its hour (an indexed read of one hour).
const rollupEdge = (agg: 'min' | 'max') => `coalesce((SELECT ${agg}(ts) FROM requests r WHERE r.ts >= rollup.hour * ${ROLLUP_HOUR_MS}
    AND r.ts < (rollup.hour + 1) * ${ROLLUP_HOUR_MS} AND r.source_id = old.source_id AND r.model_id = old.model_id
    AND r.project_id = old.project_id AND r.session_id = old.session_id), old.ts)`;
const rollupRemove = `
  UPDATE rollup SET requests = requests - 1, input = input - old.input, output = output - old.output,
    cache_write = cache_write - old.cache_write, cache_read = cache_read - old.cache_read, cost = cost - old.cost,
    api_cost = api_cost - coalesce(old.api_cost, old.cost), unpriced = unpriced - (old.flags & 1),
    first_ts = CASE WHEN old.ts <= first_ts THEN ${rollupEdge('min')} ELSE first_ts END,
    last_ts = CASE WHEN old.ts >= last_ts THEN ${rollupEdge('max')} ELSE last_ts END
  WHERE ${rollupKey};
  DELETE FROM rollup WHERE ${rollupKey} AND requests <= 0;`;
// A better copy of a request at the same time and in the same group (a streamed reply) only changes sums.
const sameGroup = (not: string) => `${not} (old.ts = new.ts AND old.source_id = new.source_id AND old.model_id = new.model_id
    AND old.project_id = new.project_id AND old.session_id = new.session_id)`;
const ROLLUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS rollup (
  hour INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  cost REAL NOT NULL,
  api_cost REAL NOT NULL,
  unpriced INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  PRIMARY KEY (hour, source_id, model_id, project_id, session_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS rollup_insert AFTER INSERT ON requests BEGIN ${rollupAdd}
END;
CREATE TRIGGER IF NOT EXISTS rollup_delete AFTER DELETE ON requests BEGIN ${rollupRemove}
END;
CREATE TRIGGER IF NOT EXISTS rollup_update AFTER UPDATE ON requests WHEN ${sameGroup('NOT')} BEGIN ${rollupRemove} ${rollupAdd}
END;
CREATE TRIGGER IF NOT EXISTS rollup_replace AFTER UPDATE ON requests WHEN ${sameGroup('')} BEGIN
  UPDATE rollup SET input = input + new.input - old.input, output = output + new.output - old.output,
    cache_write = cache_write + new.cache_write - old.cache_write, cache_read = cache_read + new.cache_read - old.cache_read,
    cost = cost + new.cost - old.cost, api_cost = api_cost + coalesce(new.api_cost, new.cost) - coalesce(old.api_cost, old.cost),
    unpriced = unpriced + (new.flags & 1) - (old.flags & 1)
  WHERE ${rollupKey};
END;
`;

/** The schema of version 1 (0.1.0); kept to upgrade old files and to test that upgrade. */
export const SCHEMA_V1 = `
CREATE TABLE usage (
  id INTEGER PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, source TEXT NOT NULL,
  model TEXT NOT NULL, project TEXT NOT NULL, session TEXT NOT NULL, input INTEGER NOT NULL,
  output INTEGER NOT NULL, cache_write INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL, reported_cost REAL, cost REAL NOT NULL, unpriced INTEGER NOT NULL,
  sidechain INTEGER NOT NULL
);
CREATE INDEX usage_ts ON usage(ts);
CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL, ino INTEGER NOT NULL, offset INTEGER NOT NULL);
PRAGMA user_version = 1;
`;

const MIGRATE_V1_TO_V2 = `
ALTER TABLE usage ADD COLUMN message_id TEXT;
ALTER TABLE files ADD COLUMN state TEXT;
`;

// A later copy replaces the stored one only when it is more complete: a non-sidechain copy beats
// a sidechain copy, then the larger token total wins (streamed replies repeat usage per block),
// then the higher cost (a fast-mode copy of the same tokens), as ccusage keeps copies.
const UPSERT = `
INSERT INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write,
  cache_write_1h, cache_read, reported_cost, cost, flags, api_cost)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET
  ts = excluded.ts, source_id = excluded.source_id, model_id = excluded.model_id, project_id = excluded.project_id,
  session_id = excluded.session_id, input = excluded.input, output = excluded.output,
  cache_write = excluded.cache_write, cache_write_1h = excluded.cache_write_1h, cache_read = excluded.cache_read,
  reported_cost = excluded.reported_cost, cost = excluded.cost, flags = excluded.flags, api_cost = excluded.api_cost
WHERE ((excluded.flags & 2) < (requests.flags & 2)
   OR ((excluded.flags & 2) = (requests.flags & 2)
       AND (excluded.input + excluded.output + excluded.cache_write + excluded.cache_read
              > requests.input + requests.output + requests.cache_write + requests.cache_read
            OR (excluded.input + excluded.output + excluded.cache_write + excluded.cache_read
                  = requests.input + requests.output + requests.cache_write + requests.cache_read
                AND (excluded.cost > requests.cost
                     -- the same copy read again with what the API would bill (rows from before schema 5)
                     OR (excluded.cost = requests.cost AND excluded.api_cost IS NOT requests.api_cost))))))
  -- A reported record (heartbeat, gateway event, manual log, OTLP event) is final once stored: a retry
  -- with the same id never rewrites it, whatever it carries (the server answers 409 to a different body).
  AND requests.source_id NOT IN (SELECT id FROM sources WHERE name IN ('heartbeat', 'manual', 'otel'))
`;

/**
 * How far apart a transcript line's time and an OTLP event's time for the same request may be:
 * the transcript stamps the message, the event its completion, a long streamed reply later.
 */
const OTEL_MATCH_MS = 10 * 60_000;

export type Row = Record<string, SqlValue>;

// sql.js binds and returns BigInt (64-bit keys); its type declarations predate that.
type BigStatement = Statement & {
  run(values: (SqlValue | bigint)[]): void;
  bind(values: (SqlValue | bigint)[]): boolean;
  getAsObject(params?: undefined, config?: { useBigInt: boolean }): Record<string, SqlValue | bigint>;
  get(params: null, config: { useBigInt: boolean }): (SqlValue | bigint)[];
};

interface InsertStatements {
  upsert: BigStatement;
  sameMessage: BigStatement;
  drop: BigStatement;
  setCursor: BigStatement;
  dims: Partial<Record<Dimension, BigStatement>>;
}

// The copy rule (better, rankOf) and the bulk load live in storage/bulkLoad.ts; callers keep importing betterCopy from here.
export { betterCopy } from './storage/bulkLoad';

const DIMENSIONS = { source: 'sources', model: 'models', project: 'projects', session: 'sessions' } as const;
type Dimension = keyof typeof DIMENSIONS;

export interface StoreOptions {
  /** Write a journal and snapshots (the writer); false opens the files read-only (a reader). */
  writable?: boolean;
  io?: StorageIo;
  /** How many snapshot backups to keep, at most one per `backupEveryMs`. */
  backups?: number;
  backupEveryMs?: number;
  /** A snapshot rotates the journal once it is this big (its rotated files go once two backups hold them). */
  journalRotateBytes?: number;
}

interface FileSignature {
  ino: number;
  size: number;
  mtimeMs: number;
}

const sig = (st: fs.Stats | undefined): FileSignature | undefined => (st ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : undefined);
const sameSig = (a?: FileSignature, b?: FileSignature) => a?.ino === b?.ino && a?.size === b?.size && a?.mtimeMs === b?.mtimeMs;
/** ctime too: it changes on every write and cannot be set back by tools that restore an mtime. */
const fullSig = (st: fs.Stats) => `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
const sameFullSig = (a: fs.Stats, b: fs.Stats | undefined) => b !== undefined && fullSig(a) === fullSig(b);

/** The journal number a backup holds, from its name (backups before 0.5 have none). */
function backupSeq(file: string): number | undefined {
  const m = /-q(\d+)\.sqlite$/.exec(file);
  return m ? Number(m[1]) : undefined;
}


/**
 * Temporary files of atomic writes (`<name>.<pid>.<ms>.tmp`) that a killed process left behind:
 * removed when their process is gone, or after an hour whoever wrote them.
 */
function removeStaleTemporaryFiles(file: string): void {
  const dirs = [path.dirname(file), path.join(path.dirname(file), 'backups')];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /\.(\d+)(?:\.\d+)?\.tmp$/.exec(name);
      if (!m || !(name.startsWith(path.basename(file)) || dir.endsWith('backups'))) continue;
      const full = path.join(dir, name);
      const pid = Number(m[1]);
      const old = Date.now() - (statOrUndefined(full)?.mtimeMs ?? Date.now()) > 3600_000;
      if ((pid !== process.pid && !processAlive(pid)) || old) fs.rmSync(full, { force: true });
    }
  }
}

/**
 * The usage database: sql.js in memory, made durable by a journal and snapshots in one folder.
 * - Every change is appended to `<file>.journal` and flushed before it is acknowledged.
 * - Snapshots are written to a temporary file, flushed and renamed over `<file>`; each notes the
 *   last journal entry it holds. The journal is rotated, never cut, and a rotated part goes only
 *   once two verified backups hold it.
 * - Opening loads the snapshot and replays the journal entries it does not hold. An unusable
 *   snapshot (empty, damaged, foreign) is moved aside and the newest good backup used instead.
 * Only the writer process writes; readers follow the files.
 */
export class UsageStore {
  private dirty = false;
  private changedSinceSnapshot = false;
  private rebuildStale: Set<bigint> | undefined;
  private bulk = false;
  private sizeAtVacuum = 0;
  private dims = new Map<Dimension, Map<string, number>>();
  private dimNext = new Map<Dimension, number>();
  /** Statements of the insert path, prepared once per open database (export() and load() free them). */
  private stmts: InsertStatements | undefined;
  /** Every cursor of the `files` table, read once: a rescan asks for one per file. */
  private cursorCache: Map<string, FileCursor> | undefined;
  /** A bulk load's best copy per request, kept in memory and inserted once at its end. */
  private pending: BulkLoad | undefined;
  private journal: Journal | undefined;
  private snapshotSig: FileSignature | undefined;
  private journalIno: number | undefined;
  private journalOffset = 0;
  private lastBackupAt = 0;
  private snapshotting: Promise<void> | undefined;
  recovery: RecoveryReport = noRecovery();
  /** The number of the last journal entry applied (entries up to it are in the database). */
  private appliedSeq = 0;
  /** Journal bytes at the last snapshot: what has grown since is what a snapshot would save replaying. */
  private journalSizeAtSnapshot = 0;

  private constructor(
    private db: Database,
    readonly file: string | null,
    private readonly opts: Required<Pick<StoreOptions, 'io' | 'backups' | 'backupEveryMs' | 'journalRotateBytes'>> & { writable: boolean },
  ) {}

  get journalFile(): string | null {
    return this.file ? `${this.file}.journal` : null;
  }

  get backupDir(): string | null {
    return this.file ? path.join(path.dirname(this.file), 'backups') : null;
  }

  get writable(): boolean {
    return this.opts.writable;
  }

  /** Opens (or creates) the database; `null` keeps everything in memory only. */
  static async open(file: string | null, options: StoreOptions = {}): Promise<UsageStore> {
    const opts = {
      io: options.io ?? defaultIo, backups: options.backups ?? 3, backupEveryMs: options.backupEveryMs ?? 3600_000,
      journalRotateBytes: options.journalRotateBytes ?? 8 * 1024 * 1024, writable: options.writable ?? true,
    };
    const SQL = await loadSqlJs();
    const store = new UsageStore(new SQL.Database(), file, opts);
    if (file && opts.writable) removeStaleTemporaryFiles(file);
    if (file) await store.load();
    else store.migrate();
    if (file && opts.writable) store.journal = new Journal(store.journalFile!, opts.io, store.appliedSeq);
    // What a recovery rebuilt is written at once: until then only the backup and journal hold it.
    if (file && opts.writable && store.recovery.problem) await store.snapshot().catch(() => undefined);
    return store;
  }

  /**
   * Loads the snapshot, or when it is unusable (empty, not a database, damaged, another
   * program's schema) moves it aside and loads the newest good backup; then replays every
   * journal entry the loaded copy does not hold. After a restore the transcripts are read again.
   */
  private async load(): Promise<void> {
    const SQL = await loadSqlJs();
    const file = this.file!;
    const recovery = noRecovery();
    /** Opens and upgrades one candidate as this.db; the reason it is unusable otherwise. */
    const tryUse = (bytes: Uint8Array | undefined, trusted = false): string | undefined => {
      if (bytes === undefined) return 'unreadable';
      if (bytes.length === 0) return 'the file is empty (0 bytes)';
      const db = new SQL.Database(bytes);
      try {
        if (!trusted) {
          const check = db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
          if (check !== 'ok') throw new Error(`damaged: ${String(check).slice(0, 120)}`);
        }
        db.exec('SELECT count(*) FROM sqlite_master');
      } catch (err) {
        db.close();
        const m = (err as Error).message;
        return /not a database|malformed|damaged|disk image/i.test(m) ? (m.startsWith('damaged') ? m : 'not an SQLite database, or damaged') : m;
      }
      this.freeStatements();
      this.db.close();
      this.db = db;
      this.dims.clear();
      this.dimNext.clear();
      this.cursorCache = undefined;
      try {
        this.migrate();
      } catch (err) {
        if (err instanceof NewerSchemaError) throw err;
        this.db = new SQL.Database();
        db.close();
        return `not a Token Cost database: ${(err as Error).message}`;
      }
      return undefined;
    };
    const st = statOrUndefined(file);
    let loaded = false;
    const backups = this.listBackups();
    if (!st && backups.length > 0 && this.opts.writable) {
      // Gone while its backups are there (deleted, or lost in a crash during a recovery): the
      // journal alone holds only what came after the last backup, so the backup is loaded too.
      recovery.problem = 'the file is missing';
      for (const backup of backups) {
        if (!tryUse(await fsp.readFile(backup).catch(() => undefined))) {
          recovery.restoredFrom = backup;
          loaded = true;
          break;
        }
      }
    }
    if (st) {
      const bytes = await fsp.readFile(file);
      // The integrity check (a tenth of a second per 100k requests) is skipped for the very file
      // that passed it last time or that this store wrote (same inode, size, mtime and ctime).
      const trusted = bytes.length > 0 && this.isCheckedFile(st) && sameFullSig(st, statOrUndefined(file));
      const problem = tryUse(bytes, trusted);
      // The signature recorded is the one read before the check, not whatever is there now.
      if (!problem && !trusted) this.rememberChecked(st);
      loaded = !problem;
      if (problem) {
        recovery.problem = problem;
        // Never delete what a user may still need: keep the bad file beside the good one.
        const aside = `${file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        if (this.opts.writable) {
          await fsp.rename(file, aside);
          recovery.movedAside = aside;
        }
        for (const backup of backups) {
          if (!tryUse(await fsp.readFile(backup).catch(() => undefined))) {
            recovery.restoredFrom = backup;
            loaded = true;
            break;
          }
        }
      }
    }
    if (!loaded) {
      this.freeStatements();
      this.db.close();
      this.db = new SQL.Database();
      this.dims.clear();
      this.dimNext.clear();
      this.cursorCache = undefined;
      this.migrate();
    }
    this.snapshotSig = sig(statOrUndefined(file));
    this.appliedSeq = Number(this.get("SELECT value FROM meta WHERE key = 'journal_seq'")?.value ?? 0);
    recovery.fromSnapshot = this.recordCount();
    const oldest = this.replayAllJournals(recovery);
    if (recovery.problem && oldest > 0 && oldest > this.snapshotSeq + 1) recovery.missingEntries = oldest - this.snapshotSeq - 1;
    recovery.fromJournal = this.recordCount() - recovery.fromSnapshot;
    if (recovery.problem) {
      // The restored copy is older than the lost file: read every transcript again (their
      // records are upserts, so nothing counts twice) rather than trust read positions.
      this.db.exec('DELETE FROM files');
      this.cursorCache = undefined;
      this.changedSinceSnapshot = true;
    }
    // A reader reloads often: what the first load repaired stays on show.
    if (recoveryMessage(recovery) || !recoveryMessage(this.recovery)) this.recovery = recovery;
  }

  /** The journal number the loaded snapshot holds (set by load()). */
  private snapshotSeq = 0;

  /**
   * Replays the rotated journals and the journal, skipping what the loaded copy holds; returns
   * the number of the oldest entry found after it (0 when none).
   */
  private replayAllJournals(recovery: RecoveryReport): number {
    this.snapshotSeq = this.appliedSeq;
    let oldest = 0;
    const files = [...rotatedJournals(this.journalFile!).filter((j) => j.seq > this.appliedSeq).map((j) => j.file), this.journalFile!];
    for (const f of files) {
      const r = this.replayJournalFile(f, 0);
      if (!oldest && r.firstSeq) oldest = r.firstSeq;
      recovery.replayed += r.replayed;
      recovery.unreadableJournalLines += r.bad;
      recovery.damagedLines.push(...r.damaged);
    }
    return oldest;
  }

  /** Where the signature of the last database file known to be sound is kept. */
  private get checkedFile(): string {
    return `${this.file}.checked`;
  }

  private isCheckedFile(st: fs.Stats): boolean {
    try {
      return fs.readFileSync(this.checkedFile, 'utf8') === fullSig(st);
    } catch {
      return false;
    }
  }

  /** Notes the database file as sound (after a passed check or a snapshot of ours); best effort. */
  private rememberChecked(st: fs.Stats | undefined = this.file ? statOrUndefined(this.file) : undefined): void {
    if (!this.file || !this.opts.writable) return;
    try {
      if (st) fs.writeFileSync(this.checkedFile, fullSig(st), { mode: 0o600 });
      else fs.rmSync(this.checkedFile, { force: true });
    } catch {
      // Only costs a check at the next open.
    }
  }

  private replayJournal(from: number): { replayed: number; bad: number } {
    return this.replayJournalFile(this.journalFile!, from);
  }

  /** Applies the entries of one journal file newer than what the database holds. */
  private replayJournalFile(file: string, from: number): { replayed: number; bad: number; damaged: DamagedLine[]; firstSeq: number } {
    const { entries, end, bad, damaged } = readJournal(file, from);
    // Entries without a number come from journals written before they had one: always replayed.
    const fresh = entries.filter((e) => e.q === undefined || e.q > this.appliedSeq);
    const firstSeq = fresh.find((e) => e.q !== undefined)?.q ?? 0;
    this.applyEntries(fresh);
    for (const e of fresh) if (e.q !== undefined && e.q > this.appliedSeq) this.appliedSeq = e.q;
    if (file === this.journalFile) {
      this.journalIno = statOrUndefined(file)?.ino;
      this.journalOffset = end;
    }
    return { replayed: fresh.length, bad, damaged, firstSeq };
  }

  private applyEntries(entries: JournalEntry[]): void {
    const records: UsageRecord[] = [];
    const journal = this.journal;
    this.journal = undefined; // replayed entries are already in the journal
    try {
      for (const e of entries) {
        if ('r' in e) records.push(e.r);
        else {
          if (records.length) this.insert(records.splice(0));
          this.setCursor(e.c);
        }
      }
      if (records.length) this.insert(records);
    } finally {
      this.journal = journal;
    }
  }

  private listBackups(): string[] {
    const dir = this.backupDir;
    if (!dir) return [];
    try {
      return fs.readdirSync(dir).filter((f) => f.endsWith('.sqlite')).sort().reverse().map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  }

  private migrate(): void {
    this.migrateSchema();
    // What journal entries a snapshot holds (additive: builds that do not know it ignore it).
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)');
    const tables = ['sources', 'models', 'projects', 'sessions', 'requests', 'files'];
    const present = this.all(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${tables.map(() => '?').join(', ')})`, tables).map((r) => r.name);
    if (present.length !== tables.length) throw new Error(`no table ${tables.filter((t) => !present.includes(t)).join(', ')}`);
  }

  private migrateSchema(): void {
    // Durability comes from our journal and snapshots; SQLite's own rollback journal would be a
    // file created and deleted in sql.js's in-memory file system on every transaction.
    this.db.exec('PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY');
    let version = Number(this.db.exec('PRAGMA user_version')[0]?.values[0][0] ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new NewerSchemaError(`The usage database was written by a newer version of Token Cost Dashboard (schema ${version}); update the extension.`);
    }
    if (version === 0) {
      const hasTables = Number(this.db.exec("SELECT count(*) FROM sqlite_master WHERE type = 'table'")[0]?.values[0][0] ?? 0) > 0;
      if (!hasTables) {
        this.db.exec(SCHEMA_V4);
        this.db.exec(MIGRATE_V4_TO_V5);
        this.db.exec(ROLLUP_SCHEMA);
        this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        return;
      }
      version = 1;
    }
    if (version === 1) {
      this.db.exec(MIGRATE_V1_TO_V2);
      version = 2;
    }
    if (version === 2) {
      this.migrateV2ToV5();
      version = 5;
    }
    if (version === 3) {
      this.migrateV3ToV4();
      version = 4;
    }
    if (version === 4) {
      // The rollup is dropped here and rebuilt, with api_cost, by ensureRollup below.
      this.db.exec(MIGRATE_V4_TO_V5);
      version = 5;
      this.changedSinceSnapshot = true;
    }
    this.db.exec(`PRAGMA user_version = ${version}`);
    this.ensureRollup();
  }

  /** Adds the hourly rollup (and its triggers) to a file written before it existed. */
  private ensureRollup(): void {
    if (this.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'trigger' AND name = 'rollup_replace'")) return;
    this.db.exec('BEGIN');
    try {
      this.db.exec('DROP TRIGGER IF EXISTS rollup_insert; DROP TRIGGER IF EXISTS rollup_delete; DROP TRIGGER IF EXISTS rollup_update; DROP TRIGGER IF EXISTS rollup_replace; DROP TABLE IF EXISTS rollup');
      this.db.exec(ROLLUP_SCHEMA);
      this.db.exec(`INSERT INTO rollup (hour, source_id, model_id, project_id, session_id, ${ROLLUP_SUMS})
        SELECT CAST(ts / ${ROLLUP_HOUR_MS} AS INTEGER) AS h, source_id, model_id, project_id, session_id, count(*), sum(input), sum(output),
               sum(cache_write), sum(cache_read), sum(cost), sum(coalesce(api_cost, cost)), sum(flags & 1), min(ts), max(ts)
          FROM requests GROUP BY h, source_id, model_id, project_id, session_id`);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    this.changedSinceSnapshot = true;
  }

  /**
   * Version 4 drops the message column and its index: a request's key now carries its message's
   * hash in its high bits (see requestKey). Rows are copied with their new keys; where two copies
   * of one message would meet on one key, the better copy (main chain, then more tokens) stays.
   */
  private migrateV3ToV4(): void {
    const mask = Number(REQUEST_KEY_MASK);
    this.db.exec('BEGIN');
    try {
      this.db.exec(`DROP VIEW IF EXISTS usage;
        DROP TRIGGER IF EXISTS rollup_insert; DROP TRIGGER IF EXISTS rollup_delete; DROP TRIGGER IF EXISTS rollup_update; DROP TRIGGER IF EXISTS rollup_replace;
        ALTER TABLE requests RENAME TO requests_v3; DROP INDEX IF EXISTS requests_ts; DROP INDEX IF EXISTS requests_message;`);
      this.db.exec(SCHEMA_V4);
      this.db.exec(`INSERT OR IGNORE INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write,
          cache_write_1h, cache_read, reported_cost, cost, flags)
        SELECT CASE WHEN message IS NULL THEN key ELSE ((message & ~${mask}) | (key & ${mask})) END, ts, source_id, model_id, project_id,
               session_id, input, output, cache_write, cache_write_1h, cache_read, reported_cost, cost,
               flags | CASE WHEN message IS NULL THEN 0 ELSE ${HAS_MESSAGE} END
          FROM requests_v3 ORDER BY flags & 2, input + output + cache_write + cache_read DESC;
        DROP TABLE requests_v3;`);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    this.changedSinceSnapshot = true;
  }

  /** Text columns to dimension tables and hashed identities; rows go through the normal insert. */
  private migrateV2ToV5(): void {
    this.db.exec('ALTER TABLE usage RENAME TO usage_v2; ALTER TABLE files RENAME TO files_v2; DROP INDEX IF EXISTS usage_ts; DROP INDEX IF EXISTS usage_message;');
    this.db.exec(SCHEMA_V4);
    this.db.exec(MIGRATE_V4_TO_V5);
    this.db.exec(ROLLUP_SCHEMA);
    const batch: UsageRecord[] = [];
    this.each('SELECT * FROM usage_v2 ORDER BY id', [], (r) => {
      batch.push({
        dedupKey: String(r.dedup_key), messageId: r.message_id == null ? undefined : String(r.message_id), timestamp: Number(r.ts),
        source: String(r.source) as Source, model: String(r.model), project: String(r.project), sessionId: String(r.session),
        inputTokens: Number(r.input), outputTokens: Number(r.output), cacheWriteTokens: Number(r.cache_write),
        cacheWrite1hTokens: Number(r.cache_write_1h), cacheReadTokens: Number(r.cache_read),
        reportedCost: r.reported_cost == null ? null : Number(r.reported_cost), cost: Number(r.cost),
        unpriced: Number(r.unpriced) === 1, isSidechain: Number(r.sidechain) === 1,
      });
    });
    const journal = this.journal;
    this.journal = undefined;
    try {
      this.insert(batch);
    } finally {
      this.journal = journal;
    }
    this.db.exec('INSERT INTO files (path, size, mtime, ino, offset, state) SELECT path, size, mtime, ino, offset, state FROM files_v2; DROP TABLE usage_v2; DROP TABLE files_v2;');
    this.changedSinceSnapshot = true;
  }

  private dimCache(kind: Dimension): Map<string, number> {
    let cache = this.dims.get(kind);
    if (!cache) {
      cache = new Map();
      for (const r of this.all(`SELECT id, name FROM ${DIMENSIONS[kind]}`)) cache.set(String(r.name), Number(r.id));
      this.dims.set(kind, cache);
    }
    return cache;
  }

  private dimId(kind: Dimension, name: string): number {
    const cache = this.dimCache(kind);
    let id = cache.get(name);
    if (id === undefined) {
      // The cache holds the whole table, so a new name takes the next id (no look-up query).
      let next = this.dimNext.get(kind);
      if (next === undefined) {
        next = 1;
        for (const v of cache.values()) if (v >= next) next = v + 1;
      }
      const stmts = this.statements();
      const insert = (stmts.dims[kind] ??= this.db.prepare(`INSERT OR IGNORE INTO ${DIMENSIONS[kind]} (id, name) VALUES (?, ?)`) as BigStatement);
      insert.run([next, name]);
      id = this.db.getRowsModified() > 0 ? next : Number(this.get(`SELECT id FROM ${DIMENSIONS[kind]} WHERE name = ?`, [name])?.id);
      cache.set(name, id);
      this.dimNext.set(kind, Math.max(next, id) + 1);
    }
    return id;
  }

  private statements(): InsertStatements {
    if (!this.stmts) {
      this.stmts = {
        upsert: this.db.prepare(UPSERT) as BigStatement,
        sameMessage: this.db.prepare(
          `SELECT key, flags, input + output + cache_write + cache_read AS total, cost FROM requests
            WHERE key BETWEEN ? AND ? AND key <> ? AND flags & ${HAS_MESSAGE} AND model_id = ?`,
        ) as BigStatement,
        drop: this.db.prepare('DELETE FROM requests WHERE key = ?') as BigStatement,
        setCursor: this.db.prepare('INSERT OR REPLACE INTO files (path, size, mtime, ino, offset, state) VALUES (?, ?, ?, ?, ?, ?)') as BigStatement,
        dims: {},
      };
    }
    return this.stmts;
  }

  /** Frees the cached statements (before the database is exported, replaced or closed). */
  private freeStatements(): void {
    if (!this.stmts) return;
    const { dims, ...rest } = this.stmts;
    for (const st of [...Object.values(rest), ...Object.values(dims)]) st.free();
    this.stmts = undefined;
  }

  /**
   * Inserts or merges records; returns how many rows were added or replaced by a better copy.
   * `journal: true` journals them even during a bulk load (records reported by agents exist
   * nowhere else).
   */
  insert(records: readonly UsageRecord[], options: { journal?: boolean } = {}): number {
    if (records.length === 0) return 0;
    if (this.pending && options.journal !== true) {
      const changed = this.pending.fold(records);
      if (changed > 0) this.markChanged();
      return changed;
    }
    const journal = options.journal ?? !this.bulk;
    return this.transaction(() => this.insertRows(records, journal, true));
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN');
    let result: T;
    try {
      result = fn();
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      // Names and cursors written in the rolled-back transaction are gone again: a cursor left
      // ahead of its rows would make the next scan skip them.
      this.dims.clear();
      this.dimNext.clear();
      this.cursorCache = undefined;
      throw err;
    }
    return result;
  }

  /**
   * The SQL path: one UPSERT per record. `rivals: false` skips the sidechain-rival lookup, for
   * records already resolved against each other into an empty table (a bulk load's end).
   */
  private insertRows(records: readonly UsageRecord[], journal: boolean, rivals: boolean, keys?: readonly bigint[]): number {
    const { upsert, sameMessage, drop } = this.statements();
    let changed = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const key = keys ? keys[i] : requestKey(r.dedupKey, r.messageId);
      if (this.rebuildStale?.delete(key)) drop.run([key]);
      if (rivals && r.messageId && !this.keepOverSidechainCopies(r, key, messageKeyRange(r.messageId), sameMessage, drop)) continue;
      const flags = rowFlags(r);
      upsert.run([
        key, r.timestamp, this.dimId('source', r.source), this.dimId('model', r.model), this.dimId('project', r.project),
        this.dimId('session', r.sessionId), r.inputTokens, r.outputTokens, r.cacheWriteTokens, r.cacheWrite1hTokens,
        r.cacheReadTokens, r.reportedCost, r.cost, flags, r.apiCost === undefined || r.apiCost === r.cost ? null : r.apiCost,
      ]);
      const n = this.db.getRowsModified();
      changed += n;
      if (n > 0 && journal) this.journal?.add({ r });
    }
    if (changed > 0) changed -= this.dropOtelCopies(records);
    if (changed > 0) this.markChanged();
    return changed;
  }

  /**
   * A request counted once when an agent reports it over OTLP and writes it to a transcript this
   * store reads: the transcript's copy wins (it has the 1-hour cache-write split, the project and
   * the message id that tells subagent replays apart, and a rebuild can read it again). The OTLP
   * copy is the same request when it has the transcript's session, model and four token counts
   * and lies within OTEL_MATCH_MS of it. Runs after every insert that could pair the two, in
   * either order of arrival; returns how many of `records`' own OTLP rows it dropped.
   */
  private dropOtelCopies(records: readonly UsageRecord[]): number {
    let lo = Infinity;
    let hi = -Infinity;
    const otelKeys = new Set<bigint>();
    for (const r of records) {
      if (r.source !== 'otel' && r.source !== 'claude-code' && r.source !== 'claude-code-subagent') continue;
      if (r.timestamp < lo) lo = r.timestamp;
      if (r.timestamp > hi) hi = r.timestamp;
      if (r.source === 'otel') otelKeys.add(requestKey(r.dedupKey, r.messageId));
    }
    if (lo > hi) return 0;
    const sources = this.dimCache('source');
    const otel = sources.get('otel');
    if (otel === undefined) return 0;
    const claude = ['claude-code', 'claude-code-subagent'].flatMap((n) => sources.get(n) ?? []);
    if (claude.length === 0) return 0;
    const stmt = this.db.prepare(
      `SELECT o.key FROM requests o WHERE o.ts BETWEEN ? AND ? AND o.source_id = ? AND EXISTS (
         SELECT 1 FROM requests t WHERE t.ts BETWEEN o.ts - ${OTEL_MATCH_MS} AND o.ts + ${OTEL_MATCH_MS}
           AND t.source_id IN (${claude.join(', ')}) AND t.session_id = o.session_id AND t.model_id = o.model_id
           AND t.input = o.input AND t.output = o.output AND t.cache_read = o.cache_read AND t.cache_write = o.cache_write)`,
    ) as BigStatement;
    const copies: bigint[] = [];
    try {
      stmt.bind([lo - OTEL_MATCH_MS, hi + OTEL_MATCH_MS, otel]);
      while (stmt.step()) copies.push(stmt.get(null, { useBigInt: true })[0] as bigint);
    } finally {
      stmt.free();
    }
    if (copies.length === 0) return 0;
    const { drop } = this.statements();
    for (const key of copies) drop.run([key]);
    this.markChanged();
    return copies.filter((k) => otelKeys.has(k)).length;
  }

  /**
   * Writes what a bulk load kept, in one transaction. Into an empty table the rows go without
   * rival lookups (they were resolved against each other); when something was stored meanwhile
   * (a record accepted during the scan) every row takes the full SQL path. (Multi-row INSERTs,
   * with the values bound or written into the statement, measured no faster than the prepared
   * statement run per row: the time is SQLite's own, not the calls into it.)
   */
  private flushPending(): void {
    const load = this.pending;
    this.pending = undefined;
    if (!load || load.isEmpty) return;
    const empty = this.recordCount() === 0;
    this.transaction(() => {
      const { rows, keys } = load.takeSorted();
      if (empty) {
        // The hourly rollup is summed once after the rows (ensureRollup below) instead of by a
        // trigger per row: a fifth of the load's time.
        this.db.exec('DROP TRIGGER IF EXISTS rollup_insert; DROP TRIGGER IF EXISTS rollup_delete; DROP TRIGGER IF EXISTS rollup_update; DROP TRIGGER IF EXISTS rollup_replace; DROP TABLE IF EXISTS rollup');
      }
      this.insertRows(rows, false, !empty, keys);
      const { setCursor } = this.statements();
      for (const c of load.cursors.values()) setCursor.run([c.path, c.size, c.mtimeMs, c.ino, c.offset, c.state ?? null]);
    });
    // Rebuilds the rollup and its triggers (a failure leaves a file that gets them on its next open).
    if (empty) this.ensureRollup();
    // Rows appended in key order into an empty table fill their pages: the VACUUM of the next
    // snapshot would gain little and costs time and a second copy of the database in memory.
    if (empty) this.sizeAtVacuum = Math.max(this.sizeAtVacuum, Number(this.get('PRAGMA page_count')?.page_count ?? 0));
    this.markChanged();
  }

  /**
   * The same message id under another requestId is one message when either copy is a sidechain
   * (a subagent replay): only the better copy stays. Returns false when `r` must not be stored.
   * Copies are found by their key range (44 bits of the message's hash) and the same model: a
   * replay is the same response, so two messages are mistaken for one only if both match.
   */
  private keepOverSidechainCopies(r: UsageRecord, key: bigint, range: [bigint, bigint], sameMessage: BigStatement, drop: BigStatement): boolean {
    const rivals: (Rank & { key: bigint })[] = [];
    sameMessage.bind([range[0], range[1], key, this.dimId('model', r.model)]);
    while (sameMessage.step()) {
      const row = sameMessage.getAsObject(undefined, { useBigInt: true });
      const sidechain = Number(row.flags) & 2 ? 1 : 0;
      if (r.isSidechain || sidechain === 1) rivals.push({ key: row.key as bigint, sidechain, total: Number(row.total), cost: Number(row.cost) });
    }
    sameMessage.reset();
    const mine = rankOf(r);
    for (const rival of rivals) {
      if (!better(mine, rival)) return false;
    }
    for (const rival of rivals) drop.run([rival.key]);
    return true;
  }

  private markChanged(): void {
    this.dirty = true;
    this.changedSinceSnapshot = true;
  }

  private cursors(): Map<string, FileCursor> {
    if (!this.cursorCache) {
      const cache = new Map<string, FileCursor>();
      this.each('SELECT path, size, mtime, ino, offset, state FROM files', [], (row) => {
        const c: FileCursor = {
          path: String(row.path), size: Number(row.size), mtimeMs: Number(row.mtime), ino: Number(row.ino), offset: Number(row.offset),
          ...(row.state != null ? { state: String(row.state) } : {}),
        };
        cache.set(c.path, c);
      });
      this.cursorCache = cache;
    }
    return this.cursorCache;
  }

  cursor(filePath: string): FileCursor | undefined {
    const c = this.cursors().get(filePath);
    return c && { ...c };
  }

  setCursor(c: FileCursor): void {
    const copy: FileCursor = {
      path: c.path, size: c.size, mtimeMs: c.mtimeMs, ino: c.ino, offset: c.offset, ...(c.state != null ? { state: c.state } : {}),
    };
    this.cursors().set(c.path, copy);
    if (this.pending) {
      // Written with the rows at the end of the bulk load.
      this.pending.cursors.set(c.path, copy);
    } else {
      this.statements().setCursor.run([c.path, c.size, c.mtimeMs, c.ino, c.offset, c.state ?? null]);
    }
    if (!this.bulk) this.journal?.add({ c });
    this.markChanged();
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
    this.rebuildStale = new Set();
    const stmt = this.db.prepare(
      "SELECT key FROM requests WHERE source_id NOT IN (SELECT id FROM sources WHERE name IN ('heartbeat', 'manual', 'otel'))",
    ) as BigStatement;
    try {
      while (stmt.step()) this.rebuildStale.add(stmt.get(null, { useBigInt: true })[0] as bigint);
    } finally {
      stmt.free();
    }
    for (const r of this.all('SELECT path FROM files')) this.journal?.add({ c: { path: String(r.path), size: -1, mtimeMs: -1, ino: -1, offset: 0 } });
    this.db.exec('DELETE FROM files');
    this.cursorCache = undefined;
    this.markChanged();
  }

  /** Ends a rebuild; returns how many requests were kept only from the database. */
  endRebuild(): number {
    const kept = this.rebuildStale?.size ?? 0;
    this.rebuildStale = undefined;
    return kept;
  }

  /** Deletes requests older than `before` (retention); returns how many. */
  prune(before: number): number {
    // A first scan's rows are still in memory: pruning now would miss them; the next prune won't.
    if (this.pending) return 0;
    const n = this.transaction(() => {
      // Whole hours go from the rollup at once, so its triggers have nothing to look up per request.
      this.db.run('DELETE FROM rollup WHERE hour < ?', [Math.floor(before / ROLLUP_HOUR_MS)]);
      this.db.run('DELETE FROM requests WHERE ts < ?', [before]);
      return this.db.getRowsModified();
    });
    if (n > 0) this.markChanged();
    return n;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /**
   * The stored form of records by dedup key (for keys without a message id: reported records),
   * to tell a retry (same fields) from a conflicting reuse of an id.
   */
  storedReports(dedupKeys: readonly string[]): Map<string, StoredReport> {
    const found = new Map<string, StoredReport>();
    const stmt = this.db.prepare(
      'SELECT ts, source, model, project, session, input, output, cache_write, cache_read, reported_cost FROM usage WHERE id = ?',
    ) as BigStatement;
    try {
      for (const k of new Set(dedupKeys)) {
        stmt.bind([requestKey(k)]);
        if (stmt.step()) {
          const r = stmt.getAsObject();
          found.set(k, {
            timestamp: Number(r.ts), source: String(r.source) as Source, model: String(r.model), project: String(r.project),
            sessionId: String(r.session), inputTokens: Number(r.input), outputTokens: Number(r.output),
            cacheWriteTokens: Number(r.cache_write), cacheReadTokens: Number(r.cache_read),
            reportedCost: r.reported_cost == null ? null : Number(r.reported_cost),
          });
        }
        stmt.reset();
      }
    } finally {
      stmt.free();
    }
    return found;
  }

  fileCount(): number {
    return this.cursors().size;
  }

  recordCount(): number {
    return Number(this.get('SELECT count(*) AS n FROM requests')?.n ?? 0);
  }

  sources(): Source[] {
    return this.all('SELECT DISTINCT source FROM usage ORDER BY source').map((r) => String(r.source) as Source);
  }

  /**
   * Bulk loads (a first scan, a rebuild) skip the journal: what they read can be read again from
   * the transcripts, and a snapshot right after makes it durable together with the cursors. A
   * crash before that snapshot leaves the old cursors, so the files are simply read again.
   */
  setBulk(bulk: boolean): void {
    if (bulk === this.bulk) return;
    if (bulk) {
      this.bulk = true;
      // A rebuild's "first copy read replaces the stored one" needs the SQL path.
      if (!this.rebuildStale) this.pending = new BulkLoad();
    } else {
      try {
        this.flushPending();
      } finally {
        this.bulk = false;
      }
    }
  }

  /** Makes every change so far durable (journal flush). Cheap: one append and one fsync. */
  async flush(): Promise<void> {
    await this.journal?.flush();
    this.dirty = false;
  }

  /** Journal bytes written since the last snapshot (what the next open would replay over it). */
  get journalBytes(): number {
    const size = this.journal?.size() ?? 0;
    return size >= this.journalSizeAtSnapshot ? size - this.journalSizeAtSnapshot : size;
  }

  get needsSnapshot(): boolean {
    return this.changedSinceSnapshot;
  }

  /**
   * Writes a full snapshot atomically. The journal is kept: when a backup is due (or the journal
   * is big) it is rotated, and rotated journals are deleted only once the backup written before
   * this one is verified, so the newest backup, or if it is damaged the one before it, plus the
   * journal always rebuild everything acknowledged. A failed write loses nothing; the next
   * attempt retries.
   */
  async snapshot(): Promise<void> {
    if (!this.file || !this.opts.writable || !this.changedSinceSnapshot) return;
    if (this.snapshotting) return this.snapshotting;
    this.snapshotting = (async () => {
      await this.journal?.flush();
      await this.journal?.idle();
      this.changedSinceSnapshot = false;
      this.compactPages();
      // Every entry added to the journal is applied to the database already: the snapshot holds them all.
      const seq = this.journal?.seq ?? this.appliedSeq;
      this.db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('journal_seq', ?)", [seq]);
      // export() closes and reopens the database, finalizing every statement.
      this.freeStatements();
      const bytes = this.db.export();
      const backupDue = this.backupDue();
      // Synchronously after the export: no append can fall between what the snapshot holds and the rotation.
      if (this.journal && (backupDue || this.journal.size() > this.opts.journalRotateBytes)) this.journal.rotate();
      try {
        await this.opts.io.writeFileDurable(this.file!, bytes);
      } catch (err) {
        this.changedSinceSnapshot = true;
        throw err;
      }
      this.snapshotSig = sig(statOrUndefined(this.file!));
      this.rememberChecked();
      this.journalIno = statOrUndefined(this.journalFile!)?.ino;
      this.journalOffset = this.journal?.size() ?? 0;
      this.journalSizeAtSnapshot = this.journalOffset;
      if (backupDue) await this.backup(bytes, seq).catch(() => undefined);
    })().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /**
   * Requests arrive in hash order, which leaves B-tree pages part-empty; a VACUUM when the file
   * has grown by a quarter packs them again (about 10% less memory per request).
   */
  private compactPages(): void {
    const pages = Number(this.get('PRAGMA page_count')?.page_count ?? 0);
    if (pages > 256 && pages > this.sizeAtVacuum * 1.25) {
      this.db.exec('VACUUM');
      this.sizeAtVacuum = Number(this.get('PRAGMA page_count')?.page_count ?? 0);
    }
  }

  private backupDue(): boolean {
    if (!this.backupDir) return false;
    if ((this.journal?.size() ?? 0) > this.opts.journalRotateBytes) return true;
    if (Date.now() - this.lastBackupAt < this.opts.backupEveryMs) return false;
    const newest = this.listBackups()[0];
    const newestAt = newest ? statOrUndefined(newest)?.mtimeMs ?? 0 : 0;
    if (Date.now() - newestAt < this.opts.backupEveryMs) {
      this.lastBackupAt = newestAt;
      return false;
    }
    return true;
  }

  /**
   * Writes a backup named with the journal number it holds, reads it back to verify it, then
   * deletes the rotated journals the previous backup holds, and backups beyond the limit.
   */
  private async backup(bytes: Uint8Array, seq: number): Promise<void> {
    const dir = this.backupDir!;
    const previous = this.listBackups()[0];
    await fsp.mkdir(dir, { recursive: true });
    const target = path.join(dir, `usage-${new Date().toISOString().replace(/[:.]/g, '-')}-q${seq}.sqlite`);
    await this.opts.io.writeFileDurable(target, bytes);
    const back = await fsp.readFile(target);
    if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(back)) {
      await fsp.rm(target, { force: true });
      throw new Error(`the backup ${target} did not read back as written`);
    }
    this.lastBackupAt = Date.now();
    this.verifiedBackups.add(target);
    // The journal the previous backup holds goes only if that backup is sound: if it is not,
    // the rotated files stay for the one before it.
    const previousSeq = previous ? backupSeq(previous) : undefined;
    if (previousSeq !== undefined && (this.verifiedBackups.has(previous!) || (await this.soundBackup(previous!)))) {
      for (const j of rotatedJournals(this.journalFile!)) if (j.seq <= previousSeq) await fsp.rm(j.file, { force: true });
    }
    for (const old of this.listBackups().slice(this.opts.backups)) await fsp.rm(old, { force: true });
  }

  /** Backups this process wrote and read back as written. */
  private readonly verifiedBackups = new Set<string>();

  /** Whether a backup opens and passes SQLite's quick check. */
  private async soundBackup(file: string): Promise<boolean> {
    const bytes = await fsp.readFile(file).catch(() => undefined);
    if (!bytes || bytes.length === 0) return false;
    const SQL = await loadSqlJs();
    const db = new SQL.Database(bytes);
    try {
      return db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] === 'ok';
    } catch {
      return false;
    } finally {
      db.close();
    }
  }

  /** The pre-v3 name of a full durable write: flush the journal, then snapshot if due. */
  async save(): Promise<void> {
    await this.flush();
    await this.snapshot();
  }

  /**
   * For a reader: picks up what the writer wrote since the last look. Returns true when the data
   * changed. A replaced snapshot means a full reload; a grown journal only its new entries.
   */
  async follow(): Promise<boolean> {
    if (!this.file) return false;
    const snap = sig(statOrUndefined(this.file));
    if (!sameSig(snap, this.snapshotSig)) {
      await this.load();
      return true;
    }
    const jst = statOrUndefined(this.journalFile!);
    if (!jst) return false;
    if (jst.ino !== this.journalIno) {
      return this.replayJournal(0).replayed > 0;
    }
    if (jst.size > this.journalOffset) return this.replayJournal(this.journalOffset).replayed > 0;
    return false;
  }

  /** Turns a reader into the writer (after the writer window closed or died). */
  async promote(): Promise<void> {
    if (!this.file || this.opts.writable) return;
    this.opts.writable = true;
    await this.load(); // the latest state, including anything the old writer journaled last
    this.journal = new Journal(this.journalFile!, this.opts.io, this.appliedSeq);
  }

  /** Turns the writer into a reader (it lost its lock). */
  demote(): void {
    this.opts.writable = false;
    this.journal = undefined;
  }

  close(): void {
    this.freeStatements();
    this.db.close();
  }
}
