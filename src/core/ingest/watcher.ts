import { existsSync } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';

const IGNORED_DIR = /[\\/](?:node_modules|\.git|\.hg|\.svn)(?:[\\/]|$)/;

/**
 * Files that can hold usage: JSONL transcripts, the other agents' JSON documents (Gemini CLI
 * sessions, OpenCode messages, Droid settings), their SQLite stores and write-ahead logs, and
 * OpenClaw's archived `*.jsonl.reset.*` / `*.jsonl.deleted.*` copies.
 */
const USAGE_FILE = /\.(?:jsonl|json|db|sqlite)(?:-wal)?$|\.jsonl\.(?:reset|deleted)\./;
export const isUsageFile = (p: string): boolean => USAGE_FILE.test(p);

export interface TranscriptWatcherOptions {
  /** Folders to watch recursively; ones that do not exist yet are picked up by `refreshRoots()`. */
  roots: () => string[];
  /**
   * Called with the files that changed: GATHER_MS after the first change that follows a quiet
   * spell, then at most once per `minIntervalMs` while changes keep coming.
   */
  onChange: (paths: string[]) => void;
  minIntervalMs?: number;
  log?: (message: string) => void;
}

/** Long enough for the other events of one write (the file and its -wal, a rename) to arrive. */
const GATHER_MS = 10;

/**
 * Watches transcript folders and turns file events into rescans. The first change after a quiet
 * spell is reported at once (an appended line reaches the status bar without waiting out a
 * debounce); while an agent streams, appending many times a second, changes are reported at
 * most once per `minIntervalMs`, so a stream costs a few scans a second and is never starved by
 * a debounce that keeps being pushed back.
 */
export class TranscriptWatcher {
  private watcher: FSWatcher | undefined;
  private watched = new Set<string>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastReport = 0;
  private closed = false;
  private readyPromise: Promise<void> = Promise.resolve();

  constructor(private readonly opts: TranscriptWatcherOptions) {}

  /** Starts watching; call again (cheap) to add roots that appeared since. */
  refreshRoots(): void {
    if (this.closed) return;
    const roots = this.opts.roots().filter((r) => !this.watched.has(r) && existsSync(r));
    if (roots.length === 0) return;
    for (const r of roots) this.watched.add(r);
    if (!this.watcher) {
      this.watcher = watch(roots, {
        ignoreInitial: true,
        persistent: true,
        depth: 8,
        // Only transcripts matter; directories must pass so that new project folders are followed,
        // except dependency and VCS folders of workspace roots (large, and never transcripts).
        ignored: (p, stats) => IGNORED_DIR.test(p) || ((stats?.isFile() ?? false) && !isUsageFile(p)),
      });
      const w = this.watcher;
      this.readyPromise = new Promise<void>((resolve) => w.once('ready', () => resolve()));
      this.watcher.on('add', (p) => this.touch(p));
      this.watcher.on('change', (p) => this.touch(p));
      this.watcher.on('unlink', (p) => this.touch(p));
      this.watcher.on('error', (err) => this.opts.log?.(`File watcher: ${(err as Error).message}; the periodic rescan still runs.`));
    } else {
      this.watcher.add(roots);
    }
  }

  /** Resolves once the watcher has its initial view of the folders (tests wait for this). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  private touch(p: string): void {
    if (!isUsageFile(p)) return;
    this.pending.add(p);
    if (this.timer) return;
    const interval = this.opts.minIntervalMs ?? 150;
    const since = Date.now() - this.lastReport;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.lastReport = Date.now();
        const paths = [...this.pending];
        this.pending.clear();
        this.opts.onChange(paths);
      },
      Math.max(GATHER_MS, interval - since),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
