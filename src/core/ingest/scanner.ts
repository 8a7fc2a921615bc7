import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UsageRecord } from '../model';
import type { CostMode, PriceOverride, PriceTable } from '../pricing/pricing';
import type { FileCursor, UsageStore } from '../store';
import { collapseCopies, parseLineFile, type LineFileJob, type ParsedLineFile } from './lineFile';
import { ParsePool, PoolFailure } from './parsePool';
import { parseJsonObject } from './claude';
import { codexFastTier } from './codex';
import { listFiles, type AgentId, type AgentReader, type FileContext, type FileReader } from './agents';
import { scanMarkedLines } from './lineReader';
import { agentById } from './registry';
import { committedDatabaseBytes } from './sqliteCopy';
import { loadSqlJs } from '../sqljs';
import { DEFAULT_WORKSPACE_GLOBS, listWorkspaceTranscripts } from './workspace';

/** What a root holds, which decides how its files are found and read. */
export type RootKind = 'claude' | 'codex' | 'workspace' | AgentId;

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
  /** Files read and parsed by parse workers (absent when the scan started none). */
  filesParsedInWorkers?: number;
}

export interface ScannerOptions {
  /** Folders to read; a bare string is a Claude `projects/` root. */
  roots: () => (string | ScanRoot)[];
  prices: () => PriceTable;
  costMode: () => CostMode;
  log?: (message: string) => void;
  /**
   * Read and parse JSONL files in this many worker threads when a root has at least `minBytes`
   * (default POOL_MIN_BYTES) to read (a first scan). The workers price with the bundled table plus
   * `priceOverrides`: give the overrides `prices()` was built with.
   */
  parseWorkers?: { count: number; priceOverrides?: Record<string, PriceOverride>; minBytes?: number };
}

/** Bytes a root must have to read for a scan to start parse workers. */
const POOL_MIN_BYTES = 16 * 1024 * 1024;
/** Files handed to the workers ahead of the one being stored (bounds the rows held in flight). */
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

/** Lists every `*.jsonl` below `dir`, recursively (sorted); a missing folder lists nothing. */
export async function listJsonl(dir: string): Promise<string[]> {
  return listFiles(dir, (name) => name.endsWith('.jsonl'), Infinity);
}

/** The files a scan reads under `root` (with their reader for agents' roots), in scan order. */
async function rootFiles(root: ScanRoot, native: readonly string[]): Promise<{ file: string; reader?: FileReader }[]> {
  const agent = agentById(root.kind);
  if (agent) {
    const out: { file: string; reader: FileReader }[] = [];
    for (const file of agent.files(root.path)) {
      const reader = agent.reader(file);
      if (reader) out.push({ file, reader });
    }
    return out;
  }
  const files = root.kind === 'workspace' ? await listWorkspaceTranscripts(root.path, root.globs ?? DEFAULT_WORKSPACE_GLOBS, native) : await listJsonl(root.path);
  return files.map((file) => ({ file }));
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
    for (const { file, reader } of await rootFiles(root, native)) {
      lines.push(`${JSON.stringify(file)} ${statLine(file)}${reader?.kind === 'sqlite' ? ` wal ${statLine(`${file}-wal`)}` : ''}`);
    }
  }
  return lines.join('\n');
}

/**
 * Reads Claude Code transcripts into the store. Each file is read from where the last read
 * stopped (its cursor); a file that shrank or was replaced is read again from the start, which
 * is safe because records are deduplicated by identity.
 */
export class TranscriptScanner {
  /** Each Codex home's config.toml tier, read once per scan (not once per changed rollout). */
  private codexTiers = new Map<string, boolean>();
  /** Parse workers, started in a scan with much to read and stopped at its end. */
  private pool: ParsePool | undefined;

  constructor(
    private readonly store: UsageStore,
    private readonly opts: ScannerOptions,
  ) {}

  async scanAll(): Promise<ScanStats> {
    const started = Date.now();
    this.codexTiers = new Map();
    const stats: ScanStats = {
      filesSeen: 0, filesRead: 0, bytesRead: 0, records: 0, changed: 0, malformedLines: 0, oversizedLines: 0,
      unreadableFiles: 0, unpricedModels: [], fileIssues: [], fileProblems: [], notes: [], durationMs: 0,
    };
    const unpriced = new Set<string>();
    const roots = this.opts.roots().map(toScanRoot);
    // Native roots inside a workspace folder are read once, natively.
    const native = roots.filter((r) => r.kind !== 'workspace').map((r) => r.path);
    const noted = new Map<AgentReader, string[]>();
    for (const root of roots) {
      const agent = agentById(root.kind);
      if (agent?.note) {
        const seen = noted.get(agent) ?? [];
        if (fs.existsSync(root.path)) seen.push(root.path);
        noted.set(agent, seen);
      }
      const files = await rootFiles(root, native);
      if (agent) {
        // Whole-file readers (one small JSON file per OpenCode message) are stored per root, in one
        // insert: a store transaction per file costs more than reading the file.
        const held: HeldRows = { records: [], cursors: [] };
        for (const { file, reader } of files) {
          stats.filesSeen++;
          await this.scanAgentFile(root, file, reader!, stats, unpriced, held);
          if (held.records.length >= 5000) this.storeHeld(held, stats);
        }
        this.storeHeld(held, stats);
        continue;
      }
      await this.scanLineFiles(root, files.map((f) => f.file), stats, unpriced);
    }
    await this.pool?.close();
    this.pool = undefined;
    for (const [agent, existing] of noted) {
      const note = agent.note?.(existing);
      if (note) stats.notes.push(note);
    }
    stats.unpricedModels = [...unpriced].sort();
    stats.durationMs = Date.now() - started;
    return stats;
  }

  /**
   * One file of an agent read through the AgentReader interface: JSONL from its cursor, a JSON
   * document or a database again whenever its size or time changes (records are identified by
   * content, so a re-read adds nothing twice).
   */
  /** Stores held rows, then their files' cursors (a cursor never runs ahead of its rows). */
  private storeHeld(held: HeldRows, stats: ScanStats): void {
    if (held.records.length) stats.changed += this.store.insert(collapseCopies(held.records));
    for (const c of held.cursors) this.store.setCursor(c);
    held.records = [];
    held.cursors = [];
  }

  private async scanAgentFile(root: ScanRoot, filePath: string, reader: FileReader, stats: ScanStats, unpriced: Set<string>, held: HeldRows): Promise<void> {
    const st = statFile(filePath);
    if (!st) return;
    // A database's committed state is its file plus its write-ahead log.
    let walStat: fs.Stats | undefined;
    if (reader.kind === 'sqlite') walStat = fs.statSync(`${filePath}-wal`, { throwIfNoEntry: false }) ?? undefined;
    const size = st.size + (walStat?.size ?? 0);
    const mtimeMs = Math.max(st.mtimeMs, walStat?.mtimeMs ?? 0);
    const prior = this.store.cursor(filePath);
    const replaced = prior !== undefined && (prior.ino !== st.ino || (reader.kind === 'lines' && st.size < prior.offset));
    if (prior && !replaced && prior.size === size && prior.mtimeMs === mtimeMs) return;
    const ctx: FileContext = { path: filePath, root: root.path, mtimeMs: st.mtimeMs, prices: this.opts.prices(), mode: this.opts.costMode() };
    const batch: UsageRecord[] = [];
    const take = (r: UsageRecord) => {
      batch.push(r);
      if (r.unpriced) unpriced.add(r.model);
    };
    let malformed = 0;
    let oversized = 0;
    let endOffset = st.size;
    let state: Record<string, unknown> = {};
    try {
      if (reader.kind === 'lines') {
        const start = prior && !replaced ? prior.offset : 0;
        if (start > 0 && prior?.state) {
          try {
            state = JSON.parse(prior.state) as Record<string, unknown>;
          } catch {
            state = {};
          }
        }
        const result = await scanMarkedLines(filePath, start, reader.markers, (line, offset) => {
          const obj = parseJsonObject(line);
          if (!obj) {
            malformed++;
            return;
          }
          const outcome = reader.parse(obj, ctx, state, offset);
          for (const o of Array.isArray(outcome) ? outcome : [outcome]) {
            if (o.kind === 'record') take(o.record);
            else if (o.kind === 'malformed') malformed++;
          }
        });
        endOffset = result.endOffset;
        oversized = result.oversized;
        stats.bytesRead += st.size - start;
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
            out = { records: [], problem: `${filePath}: not a readable SQLite database (${(err as Error).message}); read again when it changes` };
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
    stats.records += batch.length;
    stats.malformedLines += malformed;
    stats.oversizedLines += oversized;
    if (malformed || oversized) stats.fileIssues.push({ path: filePath, malformedLines: malformed, oversizedLines: oversized });
    const keepState = reader.kind === 'lines' && Object.keys(state).length > 0;
    const cursor = {
      path: filePath, size: reader.kind === 'lines' ? st.size : size, mtimeMs: reader.kind === 'lines' ? st.mtimeMs : mtimeMs, ino: st.ino, offset: endOffset,
      ...(keepState ? { state: JSON.stringify(state) } : {}),
    };
    if (reader.kind === 'lines') {
      stats.changed += this.store.insert(collapseCopies(batch));
      this.store.setCursor(cursor);
    } else {
      held.records.push(...batch);
      held.cursors.push(cursor);
    }
  }

  /**
   * What reading a JSONL file from its cursor needs, or undefined when it has nothing new (same
   * size and time as its cursor). A file that shrank or was replaced is read from its start.
   */
  private lineFileJob(root: ScanRoot, filePath: string): { job: LineFileJob; st: fs.Stats } | undefined {
    const st = statFile(filePath);
    if (!st) return undefined;
    const prior = this.store.cursor(filePath);
    const replaced = prior !== undefined && (prior.ino !== st.ino || st.size < prior.offset);
    if (prior && !replaced && prior.size === st.size && prior.mtimeMs === st.mtimeMs) return undefined;
    const start = prior && !replaced ? prior.offset : 0;
    // Readers with state (the Codex model of the current turn) go on from what the cursor kept.
    let state: Record<string, unknown> = {};
    if (start > 0 && prior?.state) {
      try {
        state = JSON.parse(prior.state) as Record<string, unknown>;
      } catch {
        state = {};
      }
    }
    let codexFast = false;
    if (root.kind === 'codex') {
      // A root is `<codex home>/sessions` or `<codex home>/archived_sessions`.
      const home = path.dirname(root.path);
      let fast = this.codexTiers.get(home);
      if (fast === undefined) this.codexTiers.set(home, (fast = codexFastTier(home)));
      codexFast = fast;
    }
    const kind = root.kind === 'codex' || root.kind === 'workspace' ? root.kind : 'claude';
    return { st, job: { kind, root: root.path, file: filePath, start, state, mtimeMs: st.mtimeMs, codexFast, mode: this.opts.costMode() } };
  }

  /**
   * Reads a root's JSONL files. With a pool (a first scan's worth of bytes) the workers read and
   * parse up to POOL_WINDOW files ahead while this thread stores each file's rows, in list order
   * (the copy rules' ties go to the first copy read, as without workers).
   */
  private async scanLineFiles(root: ScanRoot, files: readonly string[], stats: ScanStats, unpriced: Set<string>): Promise<void> {
    const jobs: { job: LineFileJob; st: fs.Stats }[] = [];
    let bytes = 0;
    for (const file of files) {
      stats.filesSeen++;
      const j = this.lineFileJob(root, file);
      if (j) {
        jobs.push(j);
        bytes += j.st.size - j.job.start;
      }
    }
    // Workers cost a start (tens of ms) and memory: only for a lot to read.
    const workers = this.opts.parseWorkers;
    if (!this.pool && workers && workers.count > 0 && bytes >= (workers.minBytes ?? POOL_MIN_BYTES)) this.pool = new ParsePool(workers.count, workers.priceOverrides);
    const pool = this.pool;
    const prices = this.opts.prices();
    const inline = (job: LineFileJob) => parseLineFile(job, prices);
    const inWorker = (job: LineFileJob) =>
      pool!.parse(job).then((parsed) => {
        stats.filesParsedInWorkers = (stats.filesParsedInWorkers ?? 0) + 1;
        return parsed;
      }, (err: Error) => (err instanceof PoolFailure ? inline(job) : Promise.reject(err)));
    const read = (job: LineFileJob): Promise<ParsedLineFile | Error> => (pool ? inWorker(job) : inline(job)).catch((err: Error) => err);
    const window = pool ? POOL_WINDOW : 1;
    const inFlight: Promise<ParsedLineFile | Error>[] = [];
    let next = 0;
    while (next < jobs.length && inFlight.length < window) inFlight.push(read(jobs[next++].job));
    for (let i = 0; i < jobs.length; i++) {
      const result = await inFlight.shift()!;
      if (next < jobs.length) inFlight.push(read(jobs[next++].job));
      this.storeLineFile(root, jobs[i].job, jobs[i].st, result, stats, unpriced);
    }
  }

  /** Stores one file's rows, then its cursor (a cursor never runs ahead of its rows). */
  private storeLineFile(root: ScanRoot, job: LineFileJob, st: fs.Stats, result: ParsedLineFile | Error, stats: ScanStats, unpriced: Set<string>): void {
    if (result instanceof Error) {
      stats.unreadableFiles++;
      this.opts.log?.(`Could not read ${job.file}: ${result.message}`);
      return;
    }
    for (const m of result.unpriced) unpriced.add(m);
    stats.filesRead++;
    stats.bytesRead += st.size - job.start;
    stats.records += result.lines;
    stats.malformedLines += result.malformed;
    stats.oversizedLines += result.oversized;
    if (result.malformed || result.oversized) stats.fileIssues.push({ path: job.file, malformedLines: result.malformed, oversizedLines: result.oversized });
    stats.changed += this.store.insert(result.records);
    const keepState = root.kind !== 'claude' && Object.keys(result.state).length > 0;
    this.store.setCursor({
      path: job.file, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: result.endOffset,
      ...(keepState ? { state: JSON.stringify(result.state) } : {}),
    });
  }
}
