import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emptyScanStats, TranscriptScanner, type ScanProgress, type ScannerOptions, type ScanStats } from './ingest/scanner';
import type { UsageRecord } from './model';
import { defaultIo, type StorageIo } from './storage/fsio';
import { readJournal } from './storage/journal';
import { WriterLock } from './storage/lock';
import { recoveryMessage, UsageStore, type RecoveryReport } from './store';

export interface EngineOptions extends ScannerOptions {
  /** The database file; null keeps everything in memory. */
  dbFile: string | null;
  /** File operations (tests inject failures). */
  io?: StorageIo;
  /** Snapshot when the journal passes this size… */
  snapshotJournalBytes?: number;
  /** …or this long after the first change that is not in a snapshot. */
  snapshotAfterMs?: number;
  /** How often a reader looks for the writer's changes and for a dead writer. */
  followEveryMs?: number;
  /**
   * Leave a first scan's snapshot to close() (the CLI: its report is printed from the rows in
   * memory first). A first scan is not journaled, so until then nothing of it is on disk, its
   * cursors included: a process killed before close() reads the files again next time.
   */
  deferFirstSnapshot?: boolean;
}

export type Role = 'writer' | 'reader';

/** How long changes must pause before a snapshot due by time is written. */
const SNAPSHOT_QUIET_MS = 3000;

/** What a caller of `scan()` may ask of that scan (the extension's first-scan notification). */
export interface ScanOptions {
  /** Called after each file with how far the scan is. */
  onProgress?: (progress: ScanProgress) => void;
  /**
   * Stops the scan between two files. What was read stays stored with consistent cursors and is
   * made durable; the next scan goes on from there.
   */
  signal?: AbortSignal;
  /**
   * During a first scan (a bulk load, whose rows are otherwise stored only at its end), store what
   * was read so far and fire onDidChange at most this often, so that figures show while it runs.
   */
  sliceMs?: number;
}

const EMPTY_STATS: ScanStats = emptyScanStats();

/**
 * Ingest -> store, shared by the extension host and the CLI. Scans never overlap: a scan asked
 * for while one runs is folded into one follow-up scan.
 *
 * With a database file, exactly one process is the writer (it holds the lock in the storage
 * folder, scans and writes); the others are readers that follow its files and hand records they
 * accept to it through an inbox folder. When the writer goes away, a reader takes over.
 */
export class UsageEngine {
  private readonly events = new EventEmitter();
  private running: Promise<ScanStats> | undefined;
  private again = false;
  private lastStats: ScanStats | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private firstUnsnapshottedAt = 0;
  private lastChangeAt = 0;
  private saveFailures = 0;
  private inboxSeq = 0;
  private closed = false;
  /** A first scan was stopped: the next scan goes on as a bulk load although files are stored. */
  private bulkUnfinished = false;

  /**
   * Marks a stopped first scan across restarts (beside the database), so that the next start
   * also goes on as a bulk load instead of journaling every remaining row.
   */
  /** A bulk load's scan is running (its rows are not in the journal). */
  private bulkScanning = false;

  private get unfinishedMarker(): string | undefined {
    return this.opts.dbFile ? `${this.opts.dbFile}.first-scan-unfinished` : undefined;
  }

  private constructor(
    readonly store: UsageStore,
    private readonly scanner: TranscriptScanner,
    private readonly opts: EngineOptions,
    private readonly lock: WriterLock | undefined,
    private currentRole: Role,
  ) {
    this.events.on('change', () => (this.lastChangeAt = Date.now()));
  }

  static async open(opts: EngineOptions): Promise<UsageEngine> {
    let lock: WriterLock | undefined;
    let role: Role = 'writer';
    if (opts.dbFile) {
      fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
      // let, not const: the lock's callback may run before the engine exists, and then finds undefined.
      // eslint-disable-next-line prefer-const
      let engine: UsageEngine | undefined;
      lock = new WriterLock(`${opts.dbFile}.lock`, () => engine?.lostLock());
      role = (await lock.tryAcquire()) ? 'writer' : 'reader';
      const store = await UsageStore.open(opts.dbFile, { writable: role === 'writer', io: opts.io });
      engine = new UsageEngine(store, new TranscriptScanner(store, opts), opts, lock, role);
      engine.startFollowing();
      if (role === 'writer') await engine.drainInbox();
      return engine;
    }
    const store = await UsageStore.open(null);
    return new UsageEngine(store, new TranscriptScanner(store, opts), opts, undefined, role);
  }

  get role(): Role {
    return this.currentRole;
  }

  /** What opening the database had to repair (moved-aside file, backup used), if anything. */
  get recovery(): RecoveryReport {
    return this.store.recovery;
  }

  /** What opening the database repaired, in words with the numbers, or undefined when nothing was. */
  get recoveryMessage(): string | undefined {
    return recoveryMessage(this.store.recovery);
  }

  get lastScan(): ScanStats | undefined {
    return this.lastStats;
  }

  get inboxDir(): string | undefined {
    return this.opts.dbFile ? path.join(path.dirname(this.opts.dbFile), 'inbox') : undefined;
  }

  /** Fires after anything changed the stored records (a scan, an accepted record, the writer's files). */
  onDidChange(listener: (stats: ScanStats) => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  /** Fires when this process becomes the writer or stops being it. */
  onDidChangeRole(listener: (role: Role) => void): { dispose(): void } {
    this.events.on('role', listener);
    return { dispose: () => this.events.off('role', listener) };
  }

  /**
   * Reads transcripts into the store. A reader does not scan: the writer does, and it follows.
   * `options` apply to the scan this call starts; a call while a scan runs is folded into one
   * follow-up scan and its options are ignored.
   */
  scan(options: ScanOptions = {}): Promise<ScanStats> {
    if (!this.stillWriter()) {
      return this.store.follow().then((changed) => {
        if (changed) this.events.emit('change', this.lastStats ?? EMPTY_STATS);
        return this.lastStats ?? EMPTY_STATS;
      });
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runScans(options).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runScans(options: ScanOptions): Promise<ScanStats> {
    let stats: ScanStats;
    do {
      this.again = false;
      // A first scan (or a rebuild) reads everything: snapshot it instead of journaling each row.
      const marker = this.unfinishedMarker;
      const bulk = this.store.fileCount() === 0 || this.bulkUnfinished || (marker !== undefined && fs.existsSync(marker));
      this.store.setBulk(bulk);
      this.bulkScanning = bulk;
      try {
        stats = await this.scanner.scanAll({ signal: options.signal, onProgress: this.sliced(bulk, options) });
      } finally {
        this.bulkScanning = false;
        this.store.setBulk(false);
      }
      this.bulkUnfinished = bulk && stats.cancelled === true;
      if (bulk && marker) {
        // Written once what was read is durable (the snapshot below), removed once a load ends.
        if (!this.bulkUnfinished) fs.rmSync(marker, { force: true });
      }
      this.lastStats = stats;
      // Shown before it is durable: rows read from transcripts are acknowledged to no one and
      // are in the journal (or the bulk load's snapshot) together with their files' cursors, so
      // a crash before the write below leaves cursors that read them again.
      if (stats.changed > 0) this.events.emit('change', stats);
      if (bulk && stats.changed > 0 && !this.opts.deferFirstSnapshot) await this.maybeSnapshot(true);
      if (this.bulkUnfinished && marker) fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
      if (stats.malformedLines || stats.oversizedLines || stats.unreadableFiles) {
        this.opts.log?.(
          `Scan skipped ${stats.malformedLines} malformed line(s), ${stats.oversizedLines} oversized line(s), ` +
            `${stats.unreadableFiles} unreadable file(s)` +
            (stats.fileIssues.length
              ? `: ${stats.fileIssues
                  .slice(0, 10)
                  .map((f) => `${f.path} (${f.malformedLines + f.oversizedLines})`)
                  .join(', ')}`
              : '') +
            (stats.fileIssues.length > 10 ? `, and ${stats.fileIssues.length - 10} more file(s).` : '.'),
        );
      }
      if (stats.unpricedModels.length) {
        this.opts.log?.(`No price for model(s) ${stats.unpricedModels.join(', ')}: counted as $0.`);
      }
      if (stats.changed > 0) await this.save();
      // A stopped scan is not followed by another: the caller asked for it to stop.
    } while (this.again && !stats.cancelled);
    return stats;
  }

  /**
   * The scanner's progress callback: passes progress on and, with `sliceMs`, at most that often
   * fires onDidChange; in a bulk load it first stores what was read so far
   * (rows with their cursors, in one transaction). A slice is not durable by itself; the load's snapshot at its end (or when it is
   * stopped) is, and before it a crash leaves no cursor, so the files are simply read again.
   */
  private sliced(bulk: boolean, options: ScanOptions): ((p: ScanProgress) => void) | undefined {
    const { onProgress, sliceMs } = options;
    if (sliceMs === undefined) return onProgress;
    let lastSlice = Date.now();
    return (p) => {
      onProgress?.(p);
      const now = Date.now();
      if (now - lastSlice < sliceMs || p.files === p.filesTotal) return;
      lastSlice = now;
      // Outside a bulk load each file's rows are in the store already; only the event is due.
      if (bulk) {
        this.store.setBulk(false);
        this.store.setBulk(true);
      }
      this.events.emit('change', this.lastStats ?? EMPTY_STATS);
    };
  }

  /**
   * Stores records reported from outside the transcripts (heartbeats, gateway events, manual
   * logs). Resolves only once they are durable on disk, so a caller may acknowledge them; rejects
   * when they could not be made durable (the caller must not acknowledge; a retry is safe).
   * Records whose dedupKey is already stored are not counted twice. In a reader process they go
   * to the writer through the inbox. Returns how many were new or improved (0 for a reader).
   */
  async accept(records: readonly UsageRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    if (!this.stillWriter()) {
      await this.sendToWriter(records);
      return 0;
    }
    const changed = this.store.insert(records, { journal: true });
    if (changed > 0) {
      await this.store.flush();
      // Paused while writing and replaced meanwhile: the writer now may not read that journal
      // line again, so the records go to it through the inbox too (they are upserts: no double count).
      if (!this.stillWriter()) {
        await this.sendToWriter(records);
        return 0;
      }
      this.events.emit('change', this.lastStats ?? EMPTY_STATS);
      void this.maybeSnapshot();
    }
    return changed;
  }

  /** Whether this process is the writer, checked against the lock file now (see WriterLock.confirm). */
  private stillWriter(): boolean {
    if (this.currentRole !== 'writer') return false;
    return this.lock ? this.lock.confirm() : true;
  }

  private async sendToWriter(records: readonly UsageRecord[]): Promise<void> {
    const dir = this.inboxDir!;
    await fs.promises.mkdir(dir, { recursive: true });
    const name = `${process.pid}-${Date.now()}-${this.inboxSeq++}.jsonl`;
    const text = records.map((r) => `${JSON.stringify({ r })}\n`).join('');
    // Written under a temporary name and renamed, so the writer never reads half a file.
    await (this.opts.io ?? defaultIo).writeFileDurable(path.join(dir, `${name}.tmp`), Buffer.from(text));
    await fs.promises.rename(path.join(dir, `${name}.tmp`), path.join(dir, name));
  }

  /** The writer takes in what readers handed over; a file is deleted only once its records are durable. */
  private async drainInbox(): Promise<void> {
    const dir = this.inboxDir;
    if (!dir || !this.stillWriter()) return;
    let names: string[];
    try {
      names = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.jsonl'))
        .sort();
    } catch {
      return;
    }
    if (names.length === 0) return;
    let changed = 0;
    for (const name of names) {
      const { entries } = readJournal(path.join(dir, name));
      changed += this.store.insert(
        entries.flatMap((e) => ('r' in e ? [e.r] : [])),
        { journal: true },
      );
    }
    await this.store.flush();
    // Replaced while taking them in: the files stay for the writer now (taking them twice counts nothing twice).
    if (!this.stillWriter()) return;
    for (const name of names) fs.rmSync(path.join(dir, name), { force: true });
    if (changed > 0) {
      this.events.emit('change', this.lastStats ?? EMPTY_STATS);
      void this.maybeSnapshot();
    }
  }

  private startFollowing(): void {
    if (!this.lock) return;
    this.followTimer = setInterval(() => void this.tick(), this.opts.followEveryMs ?? 1000);
    this.followTimer.unref?.();
  }

  private ticking = false;

  private async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      if (this.currentRole === 'writer') {
        await this.drainInbox();
        await this.maybeSnapshot();
        return;
      }
      if (await this.store.follow()) this.events.emit('change', this.lastStats ?? EMPTY_STATS);
      if (await this.lock!.tryAcquire()) {
        await this.store.promote();
        this.currentRole = 'writer';
        this.opts.log?.('This window now writes the usage database (the previous writer closed).');
        this.events.emit('role', this.currentRole);
        this.events.emit('change', this.lastStats ?? EMPTY_STATS);
        await this.drainInbox();
      }
    } catch (err) {
      this.opts.log?.(`Could not follow the usage database: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private lostLock(): void {
    if (this.currentRole !== 'writer') return;
    this.store.demote();
    this.currentRole = 'reader';
    this.opts.log?.('Another process took over writing the usage database; this window now follows it.');
    this.events.emit('role', this.currentRole);
  }

  /** Snapshots when the journal has grown or changes have waited long enough. */
  private async maybeSnapshot(force = false): Promise<void> {
    // Not in the middle of a bulk load: a snapshot of part of it, with no marker beside it, would
    // make the next start read the rest row by row through the journal. The load snapshots at
    // its end (or when stopped, with the marker); records accepted meanwhile are journaled.
    if (!force && this.bulkScanning) return;
    if (!this.store.needsSnapshot || !this.stillWriter()) {
      this.firstUnsnapshottedAt = 0;
      return;
    }
    const now = Date.now();
    if (!this.firstUnsnapshottedAt) this.firstUnsnapshottedAt = now;
    const after = this.opts.snapshotAfterMs ?? 30_000;
    const waited = now - this.firstUnsnapshottedAt;
    // A snapshot exports the whole database synchronously (at 1M requests 0.3-0.6 s in which the
    // extension host does nothing else): one due by time waits for a pause in changes, so that
    // an agent's next line is not held up behind it, unless it has waited ten times as long.
    const quiet = now - this.lastChangeAt >= Math.min(SNAPSHOT_QUIET_MS, after);
    const due =
      force ||
      this.store.journalBytes > (this.opts.snapshotJournalBytes ?? 8 * 1024 * 1024) ||
      (waited > after && (quiet || waited > 10 * after));
    if (!due) return;
    try {
      await this.store.snapshot();
      this.firstUnsnapshottedAt = 0;
      this.saveFailures = 0;
    } catch (err) {
      // The journal still holds everything; the next tick retries.
      if (this.saveFailures++ === 0)
        this.opts.log?.(`Could not write the usage database snapshot: ${(err as Error).message} (will retry; nothing is lost).`);
    }
  }

  /** Makes everything durable: the journal now, a snapshot when due. Never throws. */
  async save(): Promise<void> {
    try {
      await this.store.flush();
      this.saveFailures = 0;
    } catch (err) {
      if (this.saveFailures++ === 0)
        this.opts.log?.(`Could not write the usage journal: ${(err as Error).message} (kept in memory, will retry).`);
      return;
    }
    await this.maybeSnapshot();
  }

  /**
   * Reads every transcript again from the start with today's prices and cost mode. Records that
   * exist only in the database (heartbeat, manual, and transcripts deleted since) are kept.
   */
  async rebuild(): Promise<{ reread: number; keptFromDatabase: number }> {
    if (this.currentRole !== 'writer') throw new Error('Another VS Code window writes the usage database; rebuild from that window.');
    await this.running?.catch(() => undefined);
    this.store.beginRebuild();
    let stats: ScanStats;
    let kept: number;
    try {
      stats = await this.scan();
    } finally {
      kept = this.store.endRebuild();
    }
    await this.save();
    this.events.emit('change', stats);
    return { reread: stats.records, keptFromDatabase: kept };
  }

  /** Deletes requests older than `days` days (tokenCost.retentionDays). */
  async prune(days: number): Promise<number> {
    if (!(days > 0) || !this.stillWriter()) return 0;
    const removed = this.store.prune(Date.now() - days * 86_400_000);
    if (removed > 0) {
      await this.maybeSnapshot(true);
      this.events.emit('change', this.lastStats ?? EMPTY_STATS);
    }
    return removed;
  }

  /** Final durable write and lock release, so another window takes over at once. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.followTimer) clearInterval(this.followTimer);
    await this.running?.catch(() => undefined);
    if (this.stillWriter()) {
      await this.drainInbox().catch(() => undefined);
      try {
        await this.store.flush();
        await this.store.snapshot();
      } catch (err) {
        this.opts.log?.(`Could not write the usage database on close: ${(err as Error).message}; the journal keeps it.`);
      }
    }
    this.lock?.release();
    this.store.close();
    this.events.removeAllListeners();
  }
}
