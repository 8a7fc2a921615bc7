import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UsageRecord } from '../model';
import type { CostMode, PriceOverride, PriceTable } from '../pricing/pricing';
import type { FileCursor, UsageStore } from '../store';
import { type AgentReader, type FileContext, type FileReader, type RootKind } from './agents';
import { collapseCopies, parseLineFile, type LineFileJob, type ParsedLineFile } from './lineFile';
import { ParsePool, PoolFailure } from './parsePool';
import { readerFor } from './registry';
import { committedDatabaseBytes } from './sqliteCopy';
import { loadSqlJs } from '../sqljs';

export type { RootKind } from './agents';

/**
 * A folder to read. Claude roots are `projects/` folders, Codex roots `sessions/` or
 * `archived_sessions/` folders (every `*.jsonl` below them); a workspace root is an open
 * workspace folder, of which only files matching `globs` are read.
 */
export interface ScanRoot {
  path: string;
  kind: RootKind;
  globs?: readonly string[];
}

/** A bare path is a Claude `projects/` root (what callers passed before there were other kinds). */
export function toScanRoot(r: string | ScanRoot): ScanRoot {
  return typeof r === 'string' ? { path: r, kind: 'claude' } : r;
}

/** Rows read from whole files, with their cursors, not yet stored. */
interface HeldRows {
  records: UsageRecord[];
  cursors: FileCursor[];
}

/** Lines skipped in one file, for `--verbose` and the log. */
export interface FileIssues {
  path: string;
  malformedLines: number;
  oversizedLines: number;
}

export interface ScanStats {
  filesSeen: number;
  filesRead: number;
  bytesRead: number;
  records: number;
  /** Rows added or improved in the store. */
  changed: number;
  malformedLines: number;
  oversizedLines: number;
  unreadableFiles: number;
  unpricedModels: string[];
  /** Files with skipped lines, read in this scan. */
  fileIssues: FileIssues[];
  /**
   * Files that could not be read whole (a JSON document cut mid-write, a damaged database, an
   * unknown schema version), each message naming the file; what was read before is kept.
   */
  fileProblems: string[];
  /** Agents whose usage cannot be read locally (Cursor), one sentence each. */
  notes: string[];
  durationMs: number;
  /** The scan was stopped (ScanControl.signal) before it read every file. */
  cancelled?: boolean;
  /** Files read and parsed by parse workers (absent when the scan started none). */
  filesParsedInWorkers?: number;
}

/** How far a scan is: files handled out of those listed, bytes read out of those to read. */
export interface ScanProgress {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
}

/** What a caller of one scan may ask for: progress reports and a way to stop it. */
export interface ScanControl {
  /**
   * Called after each file, at a point where every row read so far is in the store with its
   * file's cursor (or held together with it): a caller may commit a slice there.
   */
  onProgress?: (progress: ScanProgress) => void;
  /** Stops the scan between two files; what was read stays, with its cursors (the next scan goes on from there). */
  signal?: AbortSignal;
}

/** One file to read in a scan. */
interface ScanTask {
  root: ScanRoot;
  file: string;
  reader: FileReader;
  mtimeMs: number;
}

export interface ScannerOptions {
  /** Folders to read; a bare string is a Claude `projects/` root. */
  roots: () => (string | ScanRoot)[];
  prices: () => PriceTable;
  costMode: () => CostMode;
  log?: (message: string) => void;
  /**
   * Read and parse JSONL files in this many worker threads when a scan has at least `minBytes`
   * (default POOL_MIN_BYTES) of them to read (a first scan). The workers price with the bundled
   * table plus `priceOverrides`: give the overrides `prices()` was built with.
   */
  parseWorkers?: { count: number; priceOverrides?: Record<string, PriceOverride>; minBytes?: number };
  /**
   * Read JSONL files in this thread with blocking reads, as a parse worker does: for a process
   * that does nothing else meanwhile (the CLI). Measured on 500 MB: 0.52-0.67 s against 0.81-0.83 s
   * with a thread-pool round trip per open, chunk and close (bench/README.md, "Scan"). The
   * extension keeps its event loop free.
   */
  blockingReads?: boolean;
}

/** Bytes of JSONL a scan must have to read to start parse workers (they cost a start and memory). */
const POOL_MIN_BYTES = 16 * 1024 * 1024;
/** JSONL files handed to the workers ahead of the one being stored (bounds the rows held in flight). */
const POOL_WINDOW = 8;

// The per-file copy rule lives with the file reading it belongs to (worker threads run it too).
export { collapseCopies } from './lineFile';

/**
 * A file's stat, or undefined when it is gone or unreadable. Synchronous (microseconds) instead of
 * a thread-pool round trip per file: a rescan with nothing new is one stat and one in-memory cursor
 * look-up per file.
 */
function statFile(filePath: string): fs.Stats | undefined {
  try {
    return fs.statSync(filePath, { throwIfNoEntry: false }) ?? undefined;
  } catch {
    return undefined;
  }
}

const statLine = (p: string): string => {
  const st = statFile(p);
  return st ? `${st.size} ${st.mtimeMs} ${st.ino}` : '-';
};

/**
 * What a scan of `roots` would read, as one line per input: every file it lists with its size,
 * time and inode (a database's write-ahead log too), each Codex home's config.toml (it decides
 * the fast tier's prices) and whether each root exists (agents' notes). Equal signatures mean a
 * scan would read nothing new: the CLI's report cache is keyed by it. Lists and stats only.
 */
export async function inputSignature(roots: readonly (string | ScanRoot)[]): Promise<string> {
  const all = roots.map(toScanRoot);
  const native = all.filter((r) => r.kind !== 'workspace').map((r) => r.path);
  const lines: string[] = [];
  for (const root of all) {
    lines.push(`root ${root.kind} ${JSON.stringify(root.path)} ${JSON.stringify(root.globs ?? null)} ${fs.existsSync(root.path)}`);
    if (root.kind === 'codex') lines.push(`config ${statLine(path.join(path.dirname(root.path), 'config.toml'))}`);
    const agent = readerFor(root.kind);
    if (!agent) continue;
    for (const file of await agent.files(root.path, { globs: root.globs, nativeRoots: native })) {
      const reader = agent.reader(file);
      if (!reader) continue;
      lines.push(`${JSON.stringify(file)} ${statLine(file)}${reader.kind === 'sqlite' ? ` wal ${statLine(`${file}-wal`)}` : ''}`);
    }
  }
  return lines.join('\n');
}

/**
 * Where a JSONL file's next read starts: from its cursor, or from the start when it is new, shrank
 * or was replaced; undefined when it has nothing new (same size and time as its cursor).
 */
function lineStart(st: fs.Stats, prior: FileCursor | undefined): { start: number; state: Record<string, unknown> } | undefined {
  const replaced = prior !== undefined && (prior.ino !== st.ino || st.size < prior.offset);
  if (prior && !replaced && prior.size === st.size && prior.mtimeMs === st.mtimeMs) return undefined;
  const start = prior && !replaced ? prior.offset : 0;
  let state: Record<string, unknown> = {};
  // Readers with state (the Codex model of the current turn) go on from what the cursor kept.
  if (start > 0 && prior?.state) {
    try {
      state = JSON.parse(prior.state) as Record<string, unknown>;
    } catch {
      state = {};
    }
  }
  return { start, state };
}

/** A scan's figures before it has read anything (also what a scan that did not run reports). */
export function emptyScanStats(): ScanStats {
  return {
    filesSeen: 0,
    filesRead: 0,
    bytesRead: 0,
    records: 0,
    changed: 0,
    malformedLines: 0,
    oversizedLines: 0,
    unreadableFiles: 0,
    unpricedModels: [],
    fileIssues: [],
    fileProblems: [],
    notes: [],
    durationMs: 0,
  };
}

/**
 * Reads every root's files into the store through the reader its kind is registered with
 * (registry.ts): Claude Code, Codex and workspace transcripts and the other agents. A JSONL file
 * is read from where the last read stopped (its cursor); a file that shrank or was replaced is
 * read again from the start, which is safe because records are deduplicated by identity.
 */
export class TranscriptScanner {
  /** Parse workers, started in a scan with much to read and stopped at its end. */
  private pool: ParsePool | undefined;
  /** JSONL files handed to the workers ahead of their turn: where the read starts, and its result. */
  private prefetched = new Map<string, { start: number; st: fs.Stats; result: Promise<ParsedLineFile | Error> }>();
  /** Values the readers compute once per scan (each Codex home's config.toml tier, not once per changed rollout). */
  private memo = new Map<string, unknown>();
  private readonly once = <T>(key: string, compute: () => T): T => {
    if (!this.memo.has(key)) this.memo.set(key, compute());
    return this.memo.get(key) as T;
  };

  constructor(
    private readonly store: UsageStore,
    private readonly opts: ScannerOptions,
  ) {}

  async scanAll(control: ScanControl = {}): Promise<ScanStats> {
    const started = Date.now();
    this.memo = new Map();
    const stats = emptyScanStats();
    const unpriced = new Set<string>();
    const roots = this.opts.roots().map(toScanRoot);
    // Native roots inside a workspace folder are read once, natively.
    const native = roots.filter((r) => r.kind !== 'workspace').map((r) => r.path);
    const noted = new Map<AgentReader<RootKind>, string[]>();
    // Every file is listed first, so that progress can say how much is left.
    const tasks: ScanTask[] = [];
    for (const root of roots) {
      const agent: AgentReader<RootKind> | undefined = readerFor(root.kind);
      if (!agent) continue;
      if (agent.note) {
        const seen = noted.get(agent) ?? [];
        if (fs.existsSync(root.path)) seen.push(root.path);
        noted.set(agent, seen);
      }
      for (const file of await agent.files(root.path, { globs: root.globs, nativeRoots: native })) {
        const reader = agent.reader(file);
        if (reader) tasks.push({ root, file, reader, mtimeMs: 0 });
      }
    }
    let bytesTotal = 0;
    let lineBytes = 0;
    for (const t of tasks) {
      const st = statFile(t.file);
      if (!st) continue;
      t.mtimeMs = st.mtimeMs;
      const prior = this.store.cursor(t.file);
      if (prior && prior.size === st.size && prior.mtimeMs === st.mtimeMs && prior.ino === st.ino) continue;
      const toRead = Math.max(0, st.size - (prior && prior.ino === st.ino && t.reader.kind === 'lines' ? prior.offset : 0));
      bytesTotal += toRead;
      if (t.reader.kind === 'lines') lineBytes += toRead;
    }
    // The most recently written files first: on a first scan, today's figures are complete early.
    // The store's copy rules make totals and days independent of the order; only an exact tie
    // (the same request copied unchanged into a resumed session) keeps the first copy read, as
    // it did when files went in name order.
    tasks.sort((a, b) => b.mtimeMs - a.mtimeMs);
    // Whole-file readers (one small JSON file per OpenCode message) are stored per root, in one
    // insert: a store transaction per file costs more than reading the file.
    const heldByRoot = new Map<ScanRoot, HeldRows>();
    const storeAllHeld = () => {
      for (const held of heldByRoot.values()) this.storeHeld(held, stats);
    };
    const progress = control.onProgress;
    const workers = this.opts.parseWorkers;
    if (workers && workers.count > 0 && lineBytes >= (workers.minBytes ?? POOL_MIN_BYTES))
      this.pool = new ParsePool(workers.count, workers.priceOverrides);
    let ahead = 0;
    try {
      for (let i = 0; i < tasks.length; i++) {
        if (control.signal?.aborted) {
          stats.cancelled = true;
          break;
        }
        // With workers, the next JSONL files are read and parsed while this thread stores the
        // rows of the current one, which are still stored in task order (ties go to the first copy).
        for (ahead = Math.max(ahead, i); this.pool && ahead < tasks.length && ahead < i + POOL_WINDOW; ahead++)
          this.prefetch(tasks[ahead], stats);
        await this.scanTask(tasks[i], heldByRoot, stats, unpriced);
        // Everything read so far is in the store with its cursor, or held with its cursor: a
        // caller may commit a slice here.
        progress?.({ files: i + 1, filesTotal: tasks.length, bytes: stats.bytesRead, bytesTotal: Math.max(bytesTotal, stats.bytesRead) });
      }
    } finally {
      this.prefetched.clear();
      await this.pool?.close();
      this.pool = undefined;
    }
    storeAllHeld();
    for (const [agent, existing] of noted) {
      const note = agent.note?.(existing);
      if (note) stats.notes.push(note);
    }
    stats.unpricedModels = [...unpriced].sort();
    stats.durationMs = Date.now() - started;
    return stats;
  }

  private async scanTask(t: ScanTask, heldByRoot: Map<ScanRoot, HeldRows>, stats: ScanStats, unpriced: Set<string>): Promise<void> {
    stats.filesSeen++;
    let held = heldByRoot.get(t.root);
    if (!held) heldByRoot.set(t.root, (held = { records: [], cursors: [] }));
    await this.scanAgentFile(t.root, t.file, t.reader, stats, unpriced, held);
    if (held.records.length >= 5000) this.storeHeld(held, stats);
  }

  private lineJob(root: ScanRoot, filePath: string, st: fs.Stats, start: number, state: Record<string, unknown>): LineFileJob {
    return { kind: root.kind, root: root.path, file: filePath, start, state, mtimeMs: st.mtimeMs, mode: this.opts.costMode() };
  }

  /** Hands a JSONL file with something new to the parse workers (a worker that fails is replaced by this thread). */
  private prefetch(t: ScanTask, stats: ScanStats): void {
    const pool = this.pool;
    if (!pool || t.reader.kind !== 'lines' || this.prefetched.has(t.file)) return;
    const st = statFile(t.file);
    const from = st && lineStart(st, this.store.cursor(t.file));
    if (!st || !from) return;
    const job = this.lineJob(t.root, t.file, st, from.start, from.state);
    const result = pool
      .parse(job)
      .then(
        (parsed) => {
          stats.filesParsedInWorkers = (stats.filesParsedInWorkers ?? 0) + 1;
          return parsed;
        },
        (err: Error) => (err instanceof PoolFailure ? parseLineFile(job, this.opts.prices(), false, this.once) : Promise.reject(err)),
      )
      .catch((err: Error) => err);
    this.prefetched.set(t.file, { start: from.start, st, result });
  }

  /** Stores held rows, then their files' cursors (a cursor never runs ahead of its rows). */
  private storeHeld(held: HeldRows, stats: ScanStats): void {
    if (held.records.length) stats.changed += this.store.insert(collapseCopies(held.records));
    for (const c of held.cursors) this.store.setCursor(c);
    held.records = [];
    held.cursors = [];
  }

  /**
   * One file read through its AgentReader: JSONL from its cursor, a JSON document or a database
   * again whenever its size or time changes (records are identified by content, so a re-read
   * adds nothing twice).
   */
  private async scanAgentFile(
    root: ScanRoot,
    filePath: string,
    reader: FileReader,
    stats: ScanStats,
    unpriced: Set<string>,
    held: HeldRows,
  ): Promise<void> {
    const st = statFile(filePath);
    if (!st) return;
    // The stat the read started from: what the file's cursor records.
    let readSt = st;
    // A database's committed state is its file plus its write-ahead log.
    let walStat: fs.Stats | undefined;
    if (reader.kind === 'sqlite') walStat = fs.statSync(`${filePath}-wal`, { throwIfNoEntry: false }) ?? undefined;
    const size = st.size + (walStat?.size ?? 0);
    const mtimeMs = Math.max(st.mtimeMs, walStat?.mtimeMs ?? 0);
    const prior = this.store.cursor(filePath);
    const replaced = prior !== undefined && (prior.ino !== st.ino || (reader.kind === 'lines' && st.size < prior.offset));
    if (prior && !replaced && prior.size === size && prior.mtimeMs === mtimeMs) return;
    const ctx: FileContext = {
      path: filePath,
      root: root.path,
      mtimeMs: st.mtimeMs,
      prices: this.opts.prices(),
      mode: this.opts.costMode(),
      once: this.once,
    };
    const batch: UsageRecord[] = [];
    const take = (r: UsageRecord) => {
      batch.push(r);
      if (r.unpriced) unpriced.add(r.model);
    };
    let malformed = 0;
    let oversized = 0;
    let endOffset = st.size;
    let state: Record<string, unknown> = {};
    // Usage lines read (a JSONL file's copies of a request included), else records.
    let lines: number | undefined;
    try {
      if (reader.kind === 'lines') {
        const from = lineStart(st, prior) ?? { start: 0, state: {} };
        const start = from.start;
        const pre = this.prefetched.get(filePath);
        this.prefetched.delete(filePath);
        // A prefetched read is used only for the file as it was stat'ed then; the cursor then
        // records that stat, so a line appended since is read by the next scan, never skipped.
        const usePre = pre !== undefined && pre.start === start && pre.st.ino === st.ino && pre.st.size <= st.size;
        if (usePre) readSt = pre.st;
        const parsed = usePre
          ? await pre.result
          : await parseLineFile(
              this.lineJob(root, filePath, st, start, from.state),
              ctx.prices,
              this.opts.blockingReads === true,
              this.once,
            );
        if (parsed instanceof Error) throw parsed;
        for (const r of parsed.records) batch.push(r);
        for (const m of parsed.unpriced) unpriced.add(m);
        lines = parsed.lines;
        malformed = parsed.malformed;
        state = parsed.state;
        endOffset = parsed.endOffset;
        oversized = parsed.oversized;
        stats.bytesRead += readSt.size - start;
      } else {
        let out;
        if (reader.kind === 'document') {
          out = reader.parse(fs.readFileSync(filePath, 'utf8'), ctx);
        } else {
          const SQL = await loadSqlJs();
          const { bytes } = committedDatabaseBytes(filePath);
          let db;
          try {
            db = new SQL.Database(bytes);
            out = reader.read(db, ctx);
          } catch (err) {
            out = {
              records: [],
              problem: `${filePath}: not a readable SQLite database (${(err as Error).message}); read again when it changes`,
            };
          } finally {
            db?.close();
          }
        }
        for (const r of out.records) take(r);
        malformed += out.malformed ?? 0;
        if (out.problem) {
          stats.fileProblems.push(out.problem);
          this.opts.log?.(out.problem);
        }
        stats.bytesRead += size;
      }
    } catch (err) {
      stats.unreadableFiles++;
      this.opts.log?.(`Could not read ${filePath}: ${(err as Error).message}`);
      return;
    }
    stats.filesRead++;
    stats.records += lines ?? batch.length;
    stats.malformedLines += malformed;
    stats.oversizedLines += oversized;
    if (malformed || oversized) stats.fileIssues.push({ path: filePath, malformedLines: malformed, oversizedLines: oversized });
    const keepState = reader.kind === 'lines' && Object.keys(state).length > 0;
    const cursor = {
      path: filePath,
      size: reader.kind === 'lines' ? readSt.size : size,
      mtimeMs: reader.kind === 'lines' ? readSt.mtimeMs : mtimeMs,
      ino: st.ino,
      offset: endOffset,
      ...(keepState ? { state: JSON.stringify(state) } : {}),
    };
    if (reader.kind === 'lines') {
      // Already one copy per request (parseLineFile collapses a file's streamed copies).
      stats.changed += this.store.insert(batch);
      this.store.setCursor(cursor);
    } else {
      held.records.push(...batch);
      held.cursors.push(cursor);
    }
  }
}
