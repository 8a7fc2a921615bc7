/**
 * Reading one JSONL file of Claude Code, Codex or a workspace from a cursor into records: the
 * part of a scan that needs no store, so the scanner runs it in the main thread or in a parse
 * worker (parsePool.ts) with the same code. Rows go between threads as columns (encodeRecords):
 * a few typed arrays and string lists instead of a structured clone of one object per request.
 */
import type { Source, UsageRecord } from '../model';
import type { CostMode, PriceTable } from '../pricing/pricing';
import { betterCopy } from '../storage/bulkLoad';
import { USAGE_MARKER, describeTranscript, parseClaudeLine, parseJsonObject, type ParseOutcome } from './claude';
import { CODEX_MARKERS, describeCodexFile, parseCodexLine, type CodexState } from './codex';
import { scanMarkedLines, scanMarkedLinesSync } from './lineReader';
import { WORKSPACE_MARKERS, describeWorkspaceFile, parseWorkspaceLine } from './workspace';

/** What to read: a file of a root from `start`, with the reader's state kept by its cursor. */
export interface LineFileJob {
  kind: 'claude' | 'codex' | 'workspace';
  root: string;
  file: string;
  start: number;
  state: Record<string, unknown>;
  /** The file's mtime (a workspace file's records are dated by it when lines carry no time). */
  mtimeMs: number;
  /** The Codex home's config.toml asks for the fast tier. */
  codexFast: boolean;
  mode: CostMode;
}

export interface ParsedLineFile {
  /** The file's requests, one copy each (collapseCopies). */
  records: UsageRecord[];
  /** Models without a price among all usage lines read. */
  unpriced: string[];
  /** Usage lines read (copies included). */
  lines: number;
  malformed: number;
  oversized: number;
  endOffset: number;
  /** The reader's state after the last line (kept in the cursor). */
  state: Record<string, unknown>;
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
 * Reads `job`'s file from its start; throws when the file cannot be read. `sync` reads with
 * blocking calls (a worker thread); otherwise each chunk's read leaves the event loop free.
 */
export async function parseLineFile(job: LineFileJob, prices: PriceTable, sync = false): Promise<ParsedLineFile> {
  const { mode } = job;
  const state = job.state as CodexState & Record<string, unknown>;
  let markers: Buffer | Buffer[];
  let parse: (line: string, offset: number) => ParseOutcome;
  if (job.kind === 'codex') {
    const file = describeCodexFile(job.file);
    markers = CODEX_MARKERS;
    parse = (line) => {
      const obj = parseJsonObject(line);
      return obj ? parseCodexLine(obj, file, state, prices, mode, 'codex', job.codexFast) : { kind: 'malformed' };
    };
  } else if (job.kind === 'workspace') {
    const file = describeWorkspaceFile(job.root, job.file, job.mtimeMs);
    markers = WORKSPACE_MARKERS;
    parse = (line, offset) => parseWorkspaceLine(line, offset, file, state, prices, mode);
  } else {
    const file = describeTranscript(job.root, job.file);
    markers = USAGE_MARKER;
    parse = (line, offset) => parseClaudeLine(line, offset, file, prices, mode);
  }
  const batch: UsageRecord[] = [];
  const unpriced = new Set<string>();
  let malformed = 0;
  const onLine = (line: string, offset: number) => {
    const outcome = parse(line, offset);
    if (outcome.kind === 'record') {
      batch.push(outcome.record);
      if (outcome.record.unpriced) unpriced.add(outcome.record.model);
    } else if (outcome.kind === 'malformed') {
      malformed++;
    }
  };
  const result = sync ? scanMarkedLinesSync(job.file, job.start, markers, onLine) : await scanMarkedLines(job.file, job.start, markers, onLine);
  return {
    records: collapseCopies(batch), unpriced: [...unpriced], lines: batch.length, malformed, oversized: result.oversized,
    endOffset: result.endOffset, state,
  };
}

/** Records as columns, for postMessage (the typed arrays' buffers are transferred, not copied). */
export interface EncodedRecords {
  count: number;
  /** Per record: timestamp, input, output, cache write, 1-hour cache write, cache read, reported cost, cost, API cost. */
  numbers: Float64Array;
  /** Per record: bit 0 unpriced, 1 sidechain, 2 has a message id, 3 has an API cost, 4 has a reported cost. */
  flags: Uint8Array;
  /** Per record: source, model, project and session, as indexes into `names`. */
  nameIndex: Uint32Array;
  names: string[];
  /** Per record its dedup key, then its message id when it has one. */
  keys: string[];
}

const NUMBERS = 9;

export function encodeRecords(records: readonly UsageRecord[]): EncodedRecords {
  const n = records.length;
  const numbers = new Float64Array(n * NUMBERS);
  const flags = new Uint8Array(n);
  const nameIndex = new Uint32Array(n * 4);
  const names: string[] = [];
  const index = new Map<string, number>();
  const nameOf = (s: string) => {
    let i = index.get(s);
    if (i === undefined) index.set(s, (i = names.push(s) - 1));
    return i;
  };
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const o = i * NUMBERS;
    numbers[o] = r.timestamp;
    numbers[o + 1] = r.inputTokens;
    numbers[o + 2] = r.outputTokens;
    numbers[o + 3] = r.cacheWriteTokens;
    numbers[o + 4] = r.cacheWrite1hTokens;
    numbers[o + 5] = r.cacheReadTokens;
    numbers[o + 6] = r.reportedCost ?? 0;
    numbers[o + 7] = r.cost;
    numbers[o + 8] = r.apiCost ?? 0;
    flags[i] = (r.unpriced ? 1 : 0) | (r.isSidechain ? 2 : 0) | (r.messageId !== undefined ? 4 : 0) | (r.apiCost !== undefined ? 8 : 0) | (r.reportedCost !== null ? 16 : 0);
    nameIndex[i * 4] = nameOf(r.source);
    nameIndex[i * 4 + 1] = nameOf(r.model);
    nameIndex[i * 4 + 2] = nameOf(r.project);
    nameIndex[i * 4 + 3] = nameOf(r.sessionId);
    keys.push(r.dedupKey);
    if (r.messageId !== undefined) keys.push(r.messageId);
  }
  return { count: n, numbers, flags, nameIndex, names, keys };
}

export function decodeRecords(e: EncodedRecords): UsageRecord[] {
  const out: UsageRecord[] = new Array(e.count);
  let k = 0;
  for (let i = 0; i < e.count; i++) {
    const o = i * NUMBERS;
    const f = e.flags[i];
    const dedupKey = e.keys[k++];
    const r: UsageRecord = {
      dedupKey,
      messageId: f & 4 ? e.keys[k++] : undefined,
      timestamp: e.numbers[o],
      source: e.names[e.nameIndex[i * 4]] as Source,
      model: e.names[e.nameIndex[i * 4 + 1]],
      project: e.names[e.nameIndex[i * 4 + 2]],
      sessionId: e.names[e.nameIndex[i * 4 + 3]],
      inputTokens: e.numbers[o + 1],
      outputTokens: e.numbers[o + 2],
      cacheWriteTokens: e.numbers[o + 3],
      cacheWrite1hTokens: e.numbers[o + 4],
      cacheReadTokens: e.numbers[o + 5],
      reportedCost: f & 16 ? e.numbers[o + 6] : null,
      cost: e.numbers[o + 7],
      unpriced: (f & 1) !== 0,
      isSidechain: (f & 2) !== 0,
    };
    if (f & 8) r.apiCost = e.numbers[o + 8];
    out[i] = r;
  }
  return out;
}
