/**
 * Reading one JSONL file from a cursor into records, through the reader its root's kind is
 * registered with (registry.ts): the part of a scan that needs no store, so the scanner runs it
 * in the main thread or in a parse worker (parsePool.ts) with the same code. Rows go between
 * threads as columns (encodeRecords): a few typed arrays and string lists instead of a
 * structured clone of one object per request.
 */
import { betterCopy } from '../copyRule';
import type { Source, UsageRecord } from '../model';
import type { CostMode, PriceTable } from '../pricing/pricing';
import { parseJsonObject, type FileContext, type RootKind } from './agents';
import { scanMarkedLines, scanMarkedLinesSync } from './lineReader';
import { readerFor } from './registry';

/** What to read: a file of a root from `start`, with the reader's state kept by its cursor. */
export interface LineFileJob {
  kind: RootKind;
  root: string;
  file: string;
  start: number;
  state: Record<string, unknown>;
  /** The file's mtime (a workspace file's records are dated by it when lines carry no time). */
  mtimeMs: number;
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
 * store would keep (the copy rule, copyRule.ts) before inserting saves most of the database work
 * of a first scan. The store applies the same rule across files and scans.
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
 * Reads `job`'s file from its start with its kind's line reader; throws when the file cannot be
 * read. `sync` reads with blocking calls (a worker thread); otherwise each chunk's read leaves
 * the event loop free. `once` shares values computed once per scan (a Codex home's tier).
 */
export async function parseLineFile(
  job: LineFileJob,
  prices: PriceTable,
  sync = false,
  once?: FileContext['once'],
): Promise<ParsedLineFile> {
  const reader = readerFor(job.kind)?.reader(job.file);
  if (!reader || reader.kind !== 'lines') throw new Error(`${job.file}: not a JSONL file of ${job.kind}`);
  const ctx: FileContext = { path: job.file, root: job.root, mtimeMs: job.mtimeMs, prices, mode: job.mode, ...(once ? { once } : {}) };
  const state = job.state;
  const batch: UsageRecord[] = [];
  const unpriced = new Set<string>();
  let malformed = 0;
  const onLine = (line: string, offset: number) => {
    const obj = parseJsonObject(line);
    if (!obj) {
      malformed++;
      return;
    }
    const outcome = reader.parse(obj, ctx, state, offset);
    for (const o of Array.isArray(outcome) ? outcome : [outcome]) {
      if (o.kind === 'record') {
        batch.push(o.record);
        if (o.record.unpriced) unpriced.add(o.record.model);
      } else if (o.kind === 'malformed') {
        malformed++;
      }
    }
  };
  const result = sync
    ? scanMarkedLinesSync(job.file, job.start, reader.markers, onLine)
    : await scanMarkedLines(job.file, job.start, reader.markers, onLine);
  return {
    records: collapseCopies(batch),
    unpriced: [...unpriced],
    lines: batch.length,
    malformed,
    oversized: result.oversized,
    endOffset: result.endOffset,
    state,
  };
}

/** Records as columns, for postMessage (the typed arrays' buffers are transferred, not copied). */
export interface EncodedRecords {
  count: number;
  /** Per record: timestamp, input, output, cache write, 1-hour cache write, cache read, reported cost, cost, API cost, credits. */
  numbers: Float64Array;
  /** Per record: bit 0 unpriced, 1 sidechain, 2 has a message id, 3 has an API cost, 4 has a reported cost, 5 has credits. */
  flags: Uint8Array;
  /** Per record: source, model, project and session, as indexes into `names`. */
  nameIndex: Uint32Array;
  names: string[];
  /** Per record its dedup key, then its message id when it has one. */
  keys: string[];
}

const NUMBERS = 10;

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
    numbers[o + 9] = r.credits ?? 0;
    flags[i] =
      (r.unpriced ? 1 : 0) |
      (r.isSidechain ? 2 : 0) |
      (r.messageId !== undefined ? 4 : 0) |
      (r.apiCost !== undefined ? 8 : 0) |
      (r.reportedCost !== null ? 16 : 0) |
      (r.credits !== undefined ? 32 : 0);
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
    if (f & 32) r.credits = e.numbers[o + 9];
    out[i] = r;
  }
  return out;
}
