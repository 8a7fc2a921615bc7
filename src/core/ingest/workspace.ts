import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { CostMode, PriceTable } from '../pricing/pricing';
import { USAGE_MARKER, parseClaudeObject, parseJsonObject, type ParseOutcome, type TranscriptFile } from './claude';
import { CODEX_MARKERS, parseCodexLine, type CodexState } from './codex';

/**
 * Default `tokenCost.workspaceTranscripts`: files agents or wrappers commonly log token usage to
 * inside a project. `.claude/` and `.codex/` folders catch transcripts copied or redirected into
 * the workspace (e.g. CLAUDE_CONFIG_DIR pointed at the project); their requests are
 * deduplicated against the ones read from the home folder.
 */
export const DEFAULT_WORKSPACE_GLOBS = ['**/*.tokens.jsonl', '**/.token-usage/**/*.jsonl', '**/.claude/**/*.jsonl', '**/.codex/**/*.jsonl'];

/** Folders never searched: dependencies and VCS data are large and hold no transcripts. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);
const MAX_DEPTH = 12;

/** Lines worth decoding in a workspace file: Claude usage, Codex events, or generic token events. */
export const WORKSPACE_MARKERS = [USAGE_MARKER, ...CODEX_MARKERS, Buffer.from('Tokens"'), Buffer.from('"token_usage"')];

// A glob (`**`, `*`, `?`, `{a,b}`, `[...]`) as a regular expression over `/`-separated relative
// paths, by picomatch (the matcher fast-glob and micromatch use); `dot` because agents keep their
// transcripts in dot folders (the default `**/.claude/**/*.jsonl`).
export function globToRegExp(glob: string): RegExp {
  return picomatch.makeRe(glob.replace(/\\/g, '/').replace(/^\.\//, ''), { dot: true });
}

/**
 * Files below `folder` matching any glob (relative to the folder), skipping dependency and VCS
 * folders and anything below `exclude` (roots read natively already).
 */
export async function listWorkspaceTranscripts(folder: string, globs: readonly string[], exclude: readonly string[] = []): Promise<string[]> {
  const patterns = globs.map(globToRegExp);
  const out: string[] = [];
  const excluded = exclude.map((e) => path.resolve(e) + path.sep);
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || excluded.some((e) => (dir + path.sep).startsWith(e))) return;
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) await walk(full, depth + 1);
      } else if (e.isFile() && e.name.endsWith('.jsonl')) {
        const rel = path.relative(folder, full).split(path.sep).join('/');
        if (patterns.some((p) => p.test(rel))) out.push(full);
      }
    }
  };
  await walk(path.resolve(folder), 0);
  return out.sort();
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);

function timeOf(v: unknown): number {
  if (typeof v === 'string') return Date.parse(v);
  // Epoch seconds or milliseconds.
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  return NaN;
}

export interface WorkspaceFile extends TranscriptFile {
  /** The workspace folder the file was found in (the project when a line names none). */
  folder: string;
  /** The file's mtime when read: the time of generic events that carry none. */
  mtimeMs: number;
}

/**
 * A generic token_usage event, `{type:"event", event:"token_usage", payload:{model, sessionId,
 * inputTokens, outputTokens, totalTokens?, cost?}}` or the bare payload, into a record.
 */
function parseGeneric(obj: Record<string, unknown>, offset: number, file: WorkspaceFile, prices: PriceTable, mode: CostMode): ParseOutcome {
  const p = (obj.event === 'token_usage' && obj.payload && typeof obj.payload === 'object' ? obj.payload : obj) as Record<string, unknown>;
  if (p.inputTokens === undefined && p.outputTokens === undefined && p.totalTokens === undefined) return { kind: 'no-usage' };
  const inputTokens = num(p.inputTokens);
  const outputTokens = num(p.outputTokens);
  const cacheReadTokens = num(p.cacheReadTokens);
  const cacheWriteTokens = num(p.cacheWriteTokens ?? p.cacheCreationTokens);
  // Only a total: count it as input, so that the tokens are not lost.
  const onlyTotal = inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens === 0 ? num(p.totalTokens) : 0;
  if (onlyTotal + inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens === 0) return { kind: 'no-usage' };
  let timestamp = timeOf(p.timestamp ?? obj.timestamp ?? p.ts ?? obj.ts);
  if (p.timestamp === undefined && obj.timestamp === undefined && p.ts === undefined && obj.ts === undefined) timestamp = file.mtimeMs;
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const model = typeof p.model === 'string' && p.model ? p.model : 'unknown';
  const sessionId = typeof p.sessionId === 'string' && p.sessionId ? p.sessionId : file.sessionFromPath;
  const counts = { inputTokens: inputTokens + onlyTotal, outputTokens, cacheWriteTokens, cacheWrite1hTokens: 0, cacheReadTokens };
  const reported = typeof p.cost === 'number' && Number.isFinite(p.cost) && p.cost >= 0 ? p.cost : null;
  const { cost, priced } = prices.cost(model, counts, reported, mode);
  const id = typeof p.id === 'string' ? p.id : typeof p.requestId === 'string' ? p.requestId : undefined;
  return {
    kind: 'record',
    record: {
      dedupKey: id ? `w:${sessionId}:${id}` : `l:${file.path}:${offset}`,
      timestamp,
      source: 'workspace',
      model,
      project: typeof p.project === 'string' && p.project ? p.project : file.folder,
      sessionId,
      ...counts,
      reportedCost: reported,
      cost,
      unpriced: !priced,
      isSidechain: false,
    },
  };
}

/** Detects a workspace line's format (Claude Code, Codex, generic token_usage) and reads it. */
export function parseWorkspaceLine(
  line: string,
  offset: number,
  file: WorkspaceFile,
  state: CodexState,
  prices: PriceTable,
  mode: CostMode,
): ParseOutcome {
  const obj = parseJsonObject(line);
  if (!obj) return { kind: 'malformed' };
  const message = obj.message as Record<string, unknown> | undefined;
  let out: ParseOutcome;
  if (message && typeof message === 'object' && message.usage) {
    out = parseClaudeObject(obj, offset, file, prices, mode);
  } else if (obj.type === 'session_meta' || obj.type === 'turn_context' || obj.type === 'event_msg') {
    out = parseCodexLine(obj, { path: file.path, sessionFromPath: file.sessionFromPath }, state, prices, mode, 'workspace');
  } else {
    out = parseGeneric(obj, offset, file, prices, mode);
  }
  if (out.kind === 'record') {
    out.record.source = 'workspace';
    if (!out.record.project) out.record.project = file.folder;
  }
  return out;
}

/** Describes a workspace file for the parsers: session from its name, project from its folder. */
export function describeWorkspaceFile(folder: string, file: string, mtimeMs: number): WorkspaceFile {
  return {
    path: file, root: folder, projectDir: path.basename(folder), sessionFromPath: path.basename(file, '.jsonl'),
    isSubagent: false, folder, mtimeMs,
  };
}

