import { EventEmitter } from 'node:events';
import { TranscriptScanner, type ScannerOptions, type ScanStats } from './ingest/scanner';
import type { UsageRecord } from './model';
import { UsageStore } from './store';

export interface EngineOptions extends ScannerOptions {
  /** The database file; null keeps everything in memory. */
  dbFile: string | null;
}

/**
 * Ingest -> store, shared by the extension host and the CLI. Scans never overlap: a scan asked
 * for while one runs is folded into one follow-up scan.
 */
export class UsageEngine {
  private readonly events = new EventEmitter();
  private running: Promise<ScanStats> | undefined;
  private again = false;
  private lastStats: ScanStats | undefined;

  private constructor(
    readonly store: UsageStore,
    private readonly scanner: TranscriptScanner,
    private readonly opts: EngineOptions,
  ) {}

  static async open(opts: EngineOptions): Promise<UsageEngine> {
    const store = await UsageStore.open(opts.dbFile);
    const scanner = new TranscriptScanner(store, opts);
    return new UsageEngine(store, scanner, opts);
  }

  get lastScan(): ScanStats | undefined {
    return this.lastStats;
  }

  /** Fires after any scan that changed stored records. */
  onDidChange(listener: (stats: ScanStats) => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  scan(): Promise<ScanStats> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runScans().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runScans(): Promise<ScanStats> {
    let stats: ScanStats;
    do {
      this.again = false;
      stats = await this.scanner.scanAll();
      this.lastStats = stats;
      if (stats.malformedLines || stats.oversizedLines || stats.unreadableFiles) {
        this.opts.log?.(
          `Scan skipped ${stats.malformedLines} malformed line(s), ${stats.oversizedLines} oversized line(s), ` +
            `${stats.unreadableFiles} unreadable file(s).`,
        );
      }
      if (stats.unpricedModels.length) {
        this.opts.log?.(`No price for model(s) ${stats.unpricedModels.join(', ')}: counted as $0.`);
      }
      if (stats.changed > 0) {
        await this.save();
        this.events.emit('change', stats);
      }
    } while (this.again);
    return stats;
  }

  async save(): Promise<void> {
    try {
      await this.store.save();
    } catch (err) {
      // The records stay in memory and the next save retries; the user is told through the log.
      this.opts.log?.(`Could not save the usage database: ${(err as Error).message}`);
    }
  }

  /**
   * Stores records reported from outside the transcripts (heartbeats, gateway events, manual
   * logs). Resolves only once they are durable on disk, so a caller may acknowledge them; records
   * with a dedupKey already stored are not counted twice (retries are idempotent).
   * Returns how many were new or improved.
   */
  async accept(records: readonly UsageRecord[]): Promise<number> {
    const changed = this.store.insert(records);
    if (changed > 0) {
      await this.store.save();
      this.events.emit('change', this.lastStats);
    }
    return changed;
  }

  /**
   * Reads every transcript again from the start with today's prices and cost mode. Records that
   * exist only in the database (heartbeat, manual, and transcripts deleted since) are kept.
   */
  async rebuild(): Promise<{ reread: number; keptFromDatabase: number }> {
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

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.save();
    this.store.close();
    this.events.removeAllListeners();
  }
}
