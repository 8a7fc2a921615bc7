import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UsageRecord } from '../model';
import type { CostMode, PriceTable } from '../pricing/pricing';
import { betterCopy, type UsageStore } from '../store';
import { USAGE_MARKER, describeTranscript, parseClaudeLine, parseJsonObject, type ParseOutcome } from './claude';
import { CODEX_MARKERS, codexFastTier, describeCodexFile, parseCodexLine, type CodexState } from './codex';
import { scanMarkedLines } from './lineReader';
import { DEFAULT_WORKSPACE_GLOBS, WORKSPACE_MARKERS, describeWorkspaceFile, listWorkspaceTranscripts, parseWorkspaceLine } from './workspace';

/** What a root holds, which decides how its files are found and read. */
export type RootKind = 'claude' | 'codex' | 'workspace';

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
  durationMs: number;
}

export interface ScannerOptions {
  /** Folders to read; a bare string is a Claude `projects/` root. */
  roots: () => (string | ScanRoot)[];
  prices: () => PriceTable;
  costMode: () => CostMode;
  log?: (message: string) => void;
}

/**
 * Streamed replies repeat a request on several lines of the same file; keeping only the copy the
 * store would keep (its rule, betterCopy: non-sidechain first, then the larger token total, then
 * the higher cost, else the first) before inserting saves most of the database work of a first
 * scan. The store applies the same rule across files and scans.
 */
export function collapseCopies(batch: UsageRecord[]): UsageRecord[] {
  const best = new Map<string, number>();
  const out: UsageRecord[] = [];
  for (const r of batch) {
    const i = best.get(r.dedupKey);
    if (i === undefined) {
      best.set(r.dedupKey, out.length);
      out.push(r);
      continue;
    }
    const kept = out[i];
    if (betterCopy(r, kept)) out[i] = r;
  }
  return out;
}

/**
 * Lists every `*.jsonl` below `dir`, recursively; a missing folder lists nothing. Synchronous
 * directory reads: a rescan lists a thousand files in a few milliseconds, where a promise per
 * folder costs a thread-pool round trip each.
 */
export async function listJsonl(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && e.name.endsWith('.jsonl')) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Reads Claude Code transcripts into the store. Each file is read from where the last read
 * stopped (its cursor); a file that shrank or was replaced is read again from the start, which
 * is safe because records are deduplicated by identity.
 */
export class TranscriptScanner {
  constructor(
    private readonly store: UsageStore,
    private readonly opts: ScannerOptions,
  ) {}

  async scanAll(): Promise<ScanStats> {
    const started = Date.now();
    const stats: ScanStats = {
      filesSeen: 0, filesRead: 0, bytesRead: 0, records: 0, changed: 0, malformedLines: 0, oversizedLines: 0,
      unreadableFiles: 0, unpricedModels: [], fileIssues: [], durationMs: 0,
    };
    const unpriced = new Set<string>();
    const roots = this.opts.roots().map(toScanRoot);
    // Native roots inside a workspace folder are read once, natively.
    const native = roots.filter((r) => r.kind !== 'workspace').map((r) => r.path);
    for (const root of roots) {
      const files =
        root.kind === 'workspace' ? await listWorkspaceTranscripts(root.path, root.globs ?? DEFAULT_WORKSPACE_GLOBS, native) : await listJsonl(root.path);
      for (const file of files) {
        stats.filesSeen++;
        await this.scanFile(root, file, stats, unpriced);
      }
    }
    stats.unpricedModels = [...unpriced].sort();
    stats.durationMs = Date.now() - started;
    return stats;
  }

  private async scanFile(root: ScanRoot, filePath: string, stats: ScanStats, unpriced: Set<string>): Promise<void> {
    // A synchronous stat (microseconds) instead of a thread-pool round trip per file: a rescan
    // with nothing new is one stat and one in-memory cursor look-up per file.
    let st;
    try {
      st = fs.statSync(filePath, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!st) return;
    const prior = this.store.cursor(filePath);
    const replaced = prior !== undefined && (prior.ino !== st.ino || st.size < prior.offset);
    if (prior && !replaced && prior.size === st.size && prior.mtimeMs === st.mtimeMs) return;
    const start = prior && !replaced ? prior.offset : 0;
    // Readers with state (the Codex model of the current turn) go on from what the cursor kept.
    let state: CodexState = {};
    if (start > 0 && prior?.state) {
      try {
        state = JSON.parse(prior.state) as CodexState;
      } catch {
        state = {};
      }
    }

    const prices = this.opts.prices();
    const mode = this.opts.costMode();
    let markers: Buffer | Buffer[];
    let parse: (line: string, offset: number) => ParseOutcome;
    if (root.kind === 'codex') {
      const file = describeCodexFile(filePath);
      // A root is `<codex home>/sessions` or `<codex home>/archived_sessions`.
      const fast = codexFastTier(path.dirname(root.path));
      markers = CODEX_MARKERS;
      parse = (line) => {
        const obj = parseJsonObject(line);
        return obj ? parseCodexLine(obj, file, state, prices, mode, 'codex', fast) : { kind: 'malformed' };
      };
    } else if (root.kind === 'workspace') {
      const file = describeWorkspaceFile(root.path, filePath, st.mtimeMs);
      markers = WORKSPACE_MARKERS;
      parse = (line, offset) => parseWorkspaceLine(line, offset, file, state, prices, mode);
    } else {
      const file = describeTranscript(root.path, filePath);
      markers = USAGE_MARKER;
      parse = (line, offset) => parseClaudeLine(line, offset, file, prices, mode);
    }

    const batch: UsageRecord[] = [];
    let malformed = 0;
    let result;
    try {
      result = await scanMarkedLines(filePath, start, markers, (line, offset) => {
        const outcome = parse(line, offset);
        if (outcome.kind === 'record') {
          batch.push(outcome.record);
          if (outcome.record.unpriced) unpriced.add(outcome.record.model);
        } else if (outcome.kind === 'malformed') {
          malformed++;
        }
      });
    } catch (err) {
      stats.unreadableFiles++;
      this.opts.log?.(`Could not read ${filePath}: ${(err as Error).message}`);
      return;
    }
    stats.filesRead++;
    stats.bytesRead += st.size - start;
    stats.records += batch.length;
    stats.malformedLines += malformed;
    stats.oversizedLines += result.oversized;
    if (malformed || result.oversized) stats.fileIssues.push({ path: filePath, malformedLines: malformed, oversizedLines: result.oversized });
    stats.changed += this.store.insert(collapseCopies(batch));
    const keepState = root.kind !== 'claude' && Object.keys(state).length > 0;
    this.store.setCursor({
      path: filePath, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: result.endOffset,
      ...(keepState ? { state: JSON.stringify(state) } : {}),
    });
  }
}
