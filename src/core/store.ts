import { promises as fsp } from 'node:fs';
import type { Database, SqlValue } from 'sql.js';
import type { Source, UsageRecord } from './model';
import { loadSqlJs } from './sqljs';
import { BulkLoad } from './storage/bulkLoad';
import { copyCursor, CursorCache, writeCursor, type FileCursor } from './storage/cursors';
import { nextFollowStep } from './storage/follow';
import { defaultIo, statOrUndefined, type StorageIo } from './storage/fsio';
import { Journal, readFreshEntries, rotatedJournals, type DamagedLine, type JournalEntry } from './storage/journal';
import { DROP_ROLLUP_TRIGGERS, ensureRollup, migrate, NewerSchemaError } from './storage/migrations';
import { RequestTable, type InsertStatements, type StoredReport } from './storage/requests';
import { ROLLUP_HOUR_MS } from './storage/schema';
import {
  compactPages,
  noRecovery,
  openCandidate,
  recoveryMessage,
  removeStaleTemporaryFiles,
  sameFullSig,
  sig,
  SnapshotFiles,
  type FileSignature,
  type RecoveryReport,
} from './storage/snapshots';
import * as sql from './storage/sql';
import type { Row } from './storage/sql';

// The store's modules (storage/*) behind one facade: callers keep importing these from here.
export type { FileCursor } from './storage/cursors';
export { betterCopy } from './copyRule';
export { NewerSchemaError } from './storage/migrations';
export type { StoredReport } from './storage/requests';
export { ROLLUP_HOUR_MS, SCHEMA_V1, SCHEMA_V3, SCHEMA_V4, SCHEMA_VERSION } from './storage/schema';
export { recoveryMessage, type RecoveryReport } from './storage/snapshots';
export type { Row } from './storage/sql';

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

/**
 * The usage database: sql.js in memory, made durable by a journal and snapshots in one folder.
 * - Every change is appended to `<file>.journal` and flushed before it is acknowledged (storage/journal.ts).
 * - Snapshots are written to a temporary file, flushed and renamed over `<file>`; each notes the
 *   last journal entry it holds. The journal is rotated, never cut, and a rotated part goes only
 *   once two verified backups hold it (storage/snapshots.ts).
 * - Opening loads the snapshot and replays the journal entries it does not hold. An unusable
 *   snapshot (empty, damaged, foreign) is moved aside and the newest good backup used instead.
 * Only the writer process writes; readers follow the files (storage/follow.ts).
 * The durability is our own code because sql.js (SQLite compiled to WebAssembly: one build for
 * every platform, no native module in the .vsix) keeps the database in memory and writes no file.
 *
 * This class is the facade over storage/*: schema and migrations (schema.ts, migrations.ts), the
 * requests table and its copy rule (requests.ts, copyRule.ts), cursors (cursors.ts), the journal,
 * snapshots and backups, following, and the raw-SQL door for the read layer (sql.ts). It holds
 * the state they share (the open database, the journal, what was loaded) and the bulk-load path.
 */
export class UsageStore {
  private changedSinceSnapshot = false;
  private rebuildStale: Set<bigint> | undefined;
  private bulk = false;
  /** Counts the databases opened (use()), for dataVersion(). */
  private dbGeneration = 0;
  private sizeAtVacuum = 0;
  private readonly requests = new RequestTable(
    () => this.db,
    () => this.markChanged(),
  );
  private readonly cursorCache = new CursorCache(() => this.db);
  /** A bulk load's best copy per request, kept in memory and inserted once at its end. */
  private pending: BulkLoad | undefined;
  private journal: Journal | undefined;
  private readonly files: SnapshotFiles;
  private snapshotSig: FileSignature | undefined;
  private journalIno: number | undefined;
  private journalOffset = 0;
  private snapshotting: Promise<void> | undefined;
  recovery: RecoveryReport = noRecovery();
  /** The number of the last journal entry applied (entries up to it are in the database). */
  private appliedSeq = 0;
  /** The journal number the loaded snapshot holds (set by load()). */
  private snapshotSeq = 0;
  /** Journal bytes at the last snapshot: what has grown since is what a snapshot would save replaying. */
  private journalSizeAtSnapshot = 0;
  /**
   * Called once a bulk load's rows are in the table, before its rollup is summed: from there the
   * load's rows in memory are garbage (the CLI runs a garbage collection there: what follows is its peak of memory).
   */
  afterBulkInsert: (() => void) | undefined;

  private constructor(
    private db: Database,
    readonly file: string | null,
    private readonly opts: Required<Pick<StoreOptions, 'io' | 'backups' | 'backupEveryMs' | 'journalRotateBytes'>> & { writable: boolean },
  ) {
    this.files = new SnapshotFiles(file, opts);
  }

  get journalFile(): string | null {
    return this.files.journalFile;
  }

  get backupDir(): string | null {
    return this.files.backupDir;
  }

  get writable(): boolean {
    return this.opts.writable;
  }

  /** Opens (or creates) the database; `null` keeps everything in memory only. */
  static async open(file: string | null, options: StoreOptions = {}): Promise<UsageStore> {
    const opts = {
      io: options.io ?? defaultIo,
      backups: options.backups ?? 3,
      backupEveryMs: options.backupEveryMs ?? 3600_000,
      journalRotateBytes: options.journalRotateBytes ?? 8 * 1024 * 1024,
      writable: options.writable ?? true,
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

  /** Makes `db` the open database: statements, names and cursors of the one before are dropped. */
  private use(db: Database): void {
    this.requests.freeStatements();
    this.db.close();
    this.db = db;
    this.dbGeneration++;
    this.requests.forgetNames();
    this.cursorCache.forget();
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
    const tryUse = async (bytes: Uint8Array | undefined, trusted = false): Promise<string | undefined> => {
      const opened = await openCandidate(bytes, trusted);
      if ('problem' in opened) return opened.problem;
      this.use(opened.db);
      try {
        this.migrate();
      } catch (err) {
        if (err instanceof NewerSchemaError) throw err;
        this.db = new SQL.Database();
        this.dbGeneration++;
        opened.db.close();
        return `not a Token Cost database: ${(err as Error).message}`;
      }
      return undefined;
    };
    const restoreFromBackup = async (backups: string[]): Promise<boolean> => {
      for (const backup of backups) {
        if (!(await tryUse(await fsp.readFile(backup).catch(() => undefined)))) {
          recovery.restoredFrom = backup;
          return true;
        }
      }
      return false;
    };
    const st = statOrUndefined(file);
    let loaded = false;
    const backups = this.files.listBackups();
    if (!st && backups.length > 0 && this.opts.writable) {
      // Gone while its backups are there (deleted, or lost in a crash during a recovery): the
      // journal alone holds only what came after the last backup, so the backup is loaded too.
      recovery.problem = 'the file is missing';
      loaded = await restoreFromBackup(backups);
    }
    if (st) {
      const bytes = await fsp.readFile(file);
      // The integrity check (a tenth of a second per 100k requests) is skipped for the very file
      // that passed it last time or that this store wrote (same inode, size, mtime and ctime).
      const trusted = bytes.length > 0 && this.files.isCheckedFile(st) && sameFullSig(st, statOrUndefined(file));
      const problem = await tryUse(bytes, trusted);
      // The signature recorded is the one read before the check, not whatever is there now.
      if (!problem && !trusted && this.opts.writable) this.files.rememberChecked(st);
      loaded = !problem;
      if (problem) {
        recovery.problem = problem;
        // Never delete what a user may still need: keep the bad file beside the good one.
        const aside = `${file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        if (this.opts.writable) {
          await fsp.rename(file, aside);
          recovery.movedAside = aside;
        }
        loaded = await restoreFromBackup(backups);
      }
    }
    if (!loaded) {
      this.use(new SQL.Database());
      this.migrate();
    }
    this.snapshotSig = sig(statOrUndefined(file));
    // Grown by a quarter since it was loaded, not since an empty table: otherwise the first
    // snapshot after each start would VACUUM the whole file (at 1M requests about 0.5 s, and
    // sql.js's wasm memory, which never shrinks, grows by 170 MB for the copy).
    this.sizeAtVacuum = Number(this.get('PRAGMA page_count')?.page_count ?? 0);
    this.appliedSeq = Number(this.get("SELECT value FROM meta WHERE key = 'journal_seq'")?.value ?? 0);
    recovery.fromSnapshot = this.recordCount();
    const oldest = this.replayAllJournals(recovery);
    if (recovery.problem && oldest > 0 && oldest > this.snapshotSeq + 1) recovery.missingEntries = oldest - this.snapshotSeq - 1;
    recovery.fromJournal = this.recordCount() - recovery.fromSnapshot;
    if (recovery.problem) {
      // The restored copy is older than the lost file: read every transcript again (their
      // records are upserts, so nothing counts twice) rather than trust read positions.
      this.db.exec('DELETE FROM files');
      this.cursorCache.forget();
      this.changedSinceSnapshot = true;
    }
    // A reader reloads often: what the first load repaired stays on show.
    if (recoveryMessage(recovery) || !recoveryMessage(this.recovery)) this.recovery = recovery;
  }

  /** Brings the open database to the current schema (migrations.ts); the upgrade's rows are not journaled. */
  private migrate(): void {
    const changed = migrate(this.db, (records) => {
      const journal = this.journal;
      this.journal = undefined;
      try {
        this.insert(records);
      } finally {
        this.journal = journal;
      }
    });
    if (changed) this.changedSinceSnapshot = true;
  }

  /**
   * Replays the rotated journals and the journal, skipping what the loaded copy holds; returns
   * the number of the oldest entry found after it (0 when none).
   */
  private replayAllJournals(recovery: RecoveryReport): number {
    this.snapshotSeq = this.appliedSeq;
    let oldest = 0;
    const files = [
      ...rotatedJournals(this.journalFile!)
        .filter((j) => j.seq > this.appliedSeq)
        .map((j) => j.file),
      this.journalFile!,
    ];
    for (const f of files) {
      const r = this.replayJournalFile(f, 0);
      if (!oldest && r.firstSeq) oldest = r.firstSeq;
      recovery.replayed += r.replayed;
      recovery.unreadableJournalLines += r.bad;
      recovery.damagedLines.push(...r.damaged);
    }
    return oldest;
  }

  /** Applies the entries of one journal file newer than what the database holds. */
  private replayJournalFile(file: string, from: number): { replayed: number; bad: number; damaged: DamagedLine[]; firstSeq: number } {
    const { fresh, end, bad, damaged, firstSeq, lastSeq } = readFreshEntries(file, from, this.appliedSeq);
    this.applyEntries(fresh);
    this.appliedSeq = lastSeq;
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
    return sql.transaction(this.db, fn, () => {
      // Names and cursors written in the rolled-back transaction are gone again: a cursor left
      // ahead of its rows would make the next scan skip them.
      this.requests.forgetNames();
      this.cursorCache.forget();
    });
  }

  private statements(): InsertStatements {
    return this.requests.statements();
  }

  /**
   * The SQL path: one UPSERT per record (storage/requests.ts). `rivals: false` skips the
   * sidechain-rival lookup, for records already resolved against each other into an empty table
   * (a bulk load's end).
   */
  private insertRows(records: readonly UsageRecord[], journal: boolean, rivals: boolean, keys?: readonly bigint[]): number {
    const added = journal && this.journal ? (r: UsageRecord) => this.journal?.add({ r }) : undefined;
    return this.requests.insertRows(records, { added, rivals, keys, stale: this.rebuildStale });
  }

  /**
   * Writes what a bulk load kept, in one transaction. Into an empty table the rows go without
   * rival lookups (they were resolved against each other); when something was stored meanwhile
   * (a record accepted during the scan) every row takes the full SQL path.
   */
  private flushPending(): void {
    const load = this.pending;
    this.pending = undefined;
    if (!load || load.isEmpty) return;
    const empty = this.recordCount() === 0;
    this.transaction(() => {
      // Ascending keys append to the B-tree instead of splitting pages all over it.
      const { rows, keys } = load.takeSorted();
      if (empty) {
        // The hourly rollup is summed once after the rows (ensureRollup below) instead of by a
        // trigger per row: a fifth of the load's time.
        this.db.exec(`${DROP_ROLLUP_TRIGGERS} DROP TABLE IF EXISTS rollup`);
      }
      this.insertRows(rows, false, !empty, keys);
      const { setCursor } = this.statements();
      for (const c of load.cursors.values()) setCursor.run([c.path, c.size, c.mtimeMs, c.ino, c.offset, c.state ?? null]);
    });
    this.afterBulkInsert?.();
    // Rebuilds the rollup and its triggers (a failure leaves a file that gets them on its next open).
    if (empty) ensureRollup(this.db);
    // Rows appended in key order into an empty table fill their pages: the VACUUM of the next
    // snapshot would gain little and costs time and a second copy of the database in memory.
    if (empty) this.sizeAtVacuum = Math.max(this.sizeAtVacuum, Number(this.get('PRAGMA page_count')?.page_count ?? 0));
    this.markChanged();
  }

  private markChanged(): void {
    this.changedSinceSnapshot = true;
  }

  cursor(filePath: string): FileCursor | undefined {
    const c = this.cursorCache.all().get(filePath);
    return c && { ...c };
  }

  setCursor(c: FileCursor): void {
    const copy = copyCursor(c);
    this.cursorCache.all().set(c.path, copy);
    if (this.pending) {
      // Written with the rows at the end of the bulk load.
      this.pending.cursors.set(c.path, copy);
    } else {
      writeCursor(this.statements().setCursor, c);
    }
    if (!this.bulk) this.journal?.add({ c });
    this.markChanged();
  }

  /** Rows of a read-only query. */
  all(query: string, params: SqlValue[] = []): Row[] {
    return sql.all(this.db, query, params);
  }

  /** Calls `onRow` for each row without building an array: exports read rows one at a time. */
  each(query: string, params: SqlValue[], onRow: (row: Row) => void): void {
    sql.each(this.db, query, params, onRow);
  }

  get(query: string, params: SqlValue[] = []): Row | undefined {
    return sql.get(this.db, query, params);
  }

  /** Rows of a read-only query as arrays of column values (no object per row: the views' hot reads). */
  values(query: string, params: SqlValue[] = []): SqlValue[][] {
    return sql.values(this.db, query, params);
  }

  /** Differs from the last call's whenever the stored data may have changed (another database opened, a row written): the key of reads cached between writes. */
  dataVersion(): string {
    return `${this.dbGeneration}:${sql.totalChanges(this.db)}`;
  }

  /** Runs statements against a temporary table for the duration of `fn` (e.g. day boundaries). */
  withDayTable<T>(days: { day: string; start: number; end: number }[], fn: () => T): T {
    return sql.withDayTable(this.db, days, fn);
  }

  /**
   * Starts a rebuild: every file is read again from its start, and the first copy of a request
   * seen during the rebuild replaces the stored one (so new prices and cost modes apply), after
   * which the usual "more complete copy wins" rule holds again. Requests whose transcript is gone
   * are kept as they were; heartbeat, manual and OTLP records are never touched.
   */
  beginRebuild(): void {
    this.rebuildStale = new Set(this.requests.rebuildableKeys());
    for (const r of this.all('SELECT path FROM files'))
      this.journal?.add({ c: { path: String(r.path), size: -1, mtimeMs: -1, ino: -1, offset: 0 } });
    this.db.exec('DELETE FROM files');
    this.cursorCache.forget();
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

  /**
   * The stored form of records by dedup key (for keys without a message id: reported records),
   * to tell a retry (same fields) from a conflicting reuse of an id.
   */
  storedReports(dedupKeys: readonly string[]): Map<string, StoredReport> {
    return this.requests.storedReports(dedupKeys);
  }

  fileCount(): number {
    return this.cursorCache.all().size;
  }

  recordCount(): number {
    return Number(this.get('SELECT count(*) AS n FROM requests')?.n ?? 0);
  }

  sources(): Source[] {
    return this.all('SELECT DISTINCT source FROM usage ORDER BY source').map((r) => String(r.source) as Source);
  }

  /**
   * Bulk loads (a first scan, a rebuild) skip the journal: what they read can be read again from
   * the transcripts, and the snapshot at the load's end (the engine's; the CLI's at close, after
   * its report) makes it durable together with the cursors. A crash before that snapshot leaves
   * the old cursors, so the files are simply read again.
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
      this.sizeAtVacuum = compactPages(this.db, this.sizeAtVacuum);
      // Every entry added to the journal is applied to the database already: the snapshot holds them all.
      const seq = this.journal?.seq ?? this.appliedSeq;
      this.db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('journal_seq', ?)", [seq]);
      // export() closes and reopens the database, finalizing every statement.
      this.requests.freeStatements();
      const bytes = this.db.export();
      const backupDue = this.files.backupDue(this.journal?.size() ?? 0);
      // Synchronously after the export: no append can fall between what the snapshot holds and the rotation.
      if (this.journal && (backupDue || this.journal.size() > this.opts.journalRotateBytes)) this.journal.rotate();
      try {
        await this.opts.io.writeFileDurable(this.file!, bytes);
      } catch (err) {
        this.changedSinceSnapshot = true;
        throw err;
      }
      this.snapshotSig = sig(statOrUndefined(this.file!));
      if (this.opts.writable) this.files.rememberChecked();
      this.journalIno = statOrUndefined(this.journalFile!)?.ino;
      this.journalOffset = this.journal?.size() ?? 0;
      this.journalSizeAtSnapshot = this.journalOffset;
      if (backupDue) await this.files.backup(bytes, seq).catch(() => undefined);
    })().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /** A full durable write: flush the journal, then snapshot if anything changed since the last one. */
  async save(): Promise<void> {
    await this.flush();
    await this.snapshot();
  }

  /**
   * For a reader: picks up what the writer wrote since the last look (storage/follow.ts). Returns
   * true when the data changed.
   */
  async follow(): Promise<boolean> {
    if (!this.file) return false;
    const step = nextFollowStep(this.file, this.journalFile!, {
      snapshot: this.snapshotSig,
      journalIno: this.journalIno,
      journalOffset: this.journalOffset,
    });
    if (step?.kind === 'reload') {
      await this.load();
      return true;
    }
    if (step?.kind === 'replay') return this.replayJournalFile(this.journalFile!, step.from).replayed > 0;
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
    this.requests.freeStatements();
    this.db.close();
  }
}
