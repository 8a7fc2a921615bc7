import * as os from 'node:os';
import * as path from 'node:path';
import type { UsageRecord } from '../model';
import { displayModel, type CostMode, type PriceTable } from '../pricing/pricing';

/** Only lines holding this can carry usage; everything else is skipped before JSON.parse. */
export const USAGE_MARKER = Buffer.from('"usage":{');

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/**
 * The `projects/` folders to read, in the order Claude Code documents them: explicit settings,
 * else `CLAUDE_CONFIG_DIR` (comma-separated), else both default locations.
 */
export function claudeProjectRoots(opts: { configDirs?: readonly string[]; env?: NodeJS.ProcessEnv; home?: string } = {}): string[] {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? os.homedir();
  let dirs: string[];
  if (opts.configDirs && opts.configDirs.length > 0) {
    dirs = [...opts.configDirs];
  } else if (env.CLAUDE_CONFIG_DIR && env.CLAUDE_CONFIG_DIR.trim() !== '') {
    dirs = env.CLAUDE_CONFIG_DIR.split(',');
  } else {
    const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : path.join(home, '.config');
    dirs = [path.join(xdg, 'claude'), path.join(home, '.claude')];
  }
  const roots = dirs
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map((d) => path.resolve(expandHome(d, home), 'projects'));
  return [...new Set(roots)];
}

/** What a transcript file is, from where it sits below a `projects/` root. */
export interface TranscriptFile {
  path: string;
  root: string;
  /** The `projects/<project>` folder name (the cwd with every non-alphanumeric char as `-`). */
  projectDir: string;
  /** Session id from the file name: `<sessionId>.jsonl`, or the folder of a subagent file. */
  sessionFromPath: string;
  isSubagent: boolean;
}

export function describeTranscript(root: string, file: string): TranscriptFile {
  const rel = path.relative(root, file).split(path.sep);
  const projectDir = rel.length > 1 ? rel[0] : '';
  const isSubagent = rel.includes('subagents');
  // projects/<project>/<sessionId>/subagents/agent-x.jsonl belongs to session <sessionId>.
  const sessionFromPath = isSubagent && rel.length >= 4 ? rel[rel.length - 3] : path.basename(file, '.jsonl');
  return { path: file, root, projectDir, sessionFromPath, isSubagent };
}

/**
 * A request's identity, as ccusage keys it: message id and request id; without a request id,
 * copies of a message written at the same instant are one (older Claude Code versions); a line
 * without a message id is only itself.
 */
function dedupKey(messageId: string | undefined, requestId: string | undefined, timestamp: number, file: TranscriptFile, offset: number): string {
  if (messageId && requestId) return `m:${messageId}:${requestId}`;
  if (messageId) return `t:${messageId}:${timestamp}`;
  return `l:${file.path}:${offset}`;
}

export type ParseOutcome = { kind: 'record'; record: UsageRecord } | { kind: 'malformed' } | { kind: 'no-usage' };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const count = (v: unknown): number => (isCount(v) ? Math.round(v) : 0);

/** Turns one transcript line into a usage record, the way ccusage reads it. */
export function parseClaudeLine(
  line: string,
  offset: number,
  file: TranscriptFile,
  prices: PriceTable,
  mode: CostMode,
): ParseOutcome {
  const obj = parseJsonObject(line);
  return obj ? parseClaudeObject(obj, offset, file, prices, mode) : { kind: 'malformed' };
}

/** A JSONL line's object, or undefined when the line is not a JSON object (malformed, cut off). */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const obj: unknown = JSON.parse(line);
    return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The subagent record a `type: "progress"` line carries in `data.message` (Claude Code 2.1 writes
 * a running subagent's replies there; older versions wrote no `subagents/` file beside them), with
 * the parent line's working directory and session where the nested record has none.
 */
function progressRecord(obj: Record<string, unknown>): Record<string, unknown> | undefined {
  const data = obj.data as Record<string, unknown> | undefined;
  const nested = data && typeof data === 'object' ? (data.message as Record<string, unknown> | undefined) : undefined;
  if (!nested || typeof nested !== 'object' || Array.isArray(nested)) return undefined;
  return { ...nested, cwd: nested.cwd ?? obj.cwd, sessionId: nested.sessionId ?? obj.sessionId };
}

const NULL_REJECTED_TOP = ['cwd', 'costUSD', 'version', 'sessionId', 'requestId', 'isApiErrorMessage'] as const;
const NULL_REJECTED_USAGE = ['speed', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'cache_creation'] as const;

/**
 * ccusage drops a whole line when one of these fields is JSON `null` (its schema accepts the
 * field missing, not null), so such a line counts nothing there; it counts nothing here either.
 */
function hasRejectedNull(obj: Record<string, unknown>, message: Record<string, unknown>, usage: Record<string, unknown>): boolean {
  return (
    NULL_REJECTED_TOP.some((k) => obj[k] === null) ||
    message.id === null ||
    message.model === null ||
    NULL_REJECTED_USAGE.some((k) => usage[k] === null)
  );
}

/** The same for a line already decoded (workspace files detect the format first). */
export function parseClaudeObject(
  obj: Record<string, unknown>,
  offset: number,
  file: TranscriptFile,
  prices: PriceTable,
  mode: CostMode,
): ParseOutcome {
  if (obj.type === 'progress') {
    const nested = progressRecord(obj);
    if (!nested) return { kind: 'no-usage' };
    const outcome = parseClaudeObject(nested, offset, file, prices, mode);
    // A subagent's request, whichever file it was read from; deduplicated with the subagent's
    // own file and any direct copy by the same (message id, requestId) key.
    if (outcome.kind === 'record') outcome.record.source = 'claude-code-subagent';
    return outcome;
  }
  const message = obj.message as Record<string, unknown> | undefined;
  const usage = message?.usage as Record<string, unknown> | undefined;
  if (!usage || typeof usage !== 'object' || !isCount(usage.input_tokens) || !isCount(usage.output_tokens)) {
    return { kind: 'no-usage' };
  }
  const timestamp = typeof obj.timestamp === 'string' ? Date.parse(obj.timestamp) : NaN;
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  if (hasRejectedNull(obj, message!, usage)) return { kind: 'malformed' };

  const baseModel = typeof message?.model === 'string' && message.model !== '' ? message.model : 'unknown';
  // Fast mode is its own row (`claude-opus-4-8-fast`, as ccusage names it), priced at the model's
  // fast multiplier on every token kind.
  const fast = usage.speed === 'fast';
  const model = displayModel(baseModel, fast);
  const messageId = typeof message?.id === 'string' ? message.id : undefined;
  const requestId = typeof obj.requestId === 'string' ? obj.requestId : undefined;
  const cacheCreation = usage.cache_creation as Record<string, unknown> | undefined;
  const counts = {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheWriteTokens: count(usage.cache_creation_input_tokens),
    cacheWrite1hTokens: cacheCreation ? count(cacheCreation.ephemeral_1h_input_tokens) : 0,
    cacheReadTokens: count(usage.cache_read_input_tokens),
  };
  const reportedCost = typeof obj.costUSD === 'number' && Number.isFinite(obj.costUSD) ? obj.costUSD : null;
  const serverTools = usage.server_tool_use as Record<string, unknown> | undefined;
  const traits = {
    fast,
    inferenceGeo: typeof usage.inference_geo === 'string' ? usage.inference_geo : undefined,
    webSearchRequests: serverTools && typeof serverTools === 'object' ? count(serverTools.web_search_requests) : 0,
  };
  const { cost, priced } = prices.cost(baseModel, counts, reportedCost, mode, traits);
  const apiCost = prices.apiCost(baseModel, counts, reportedCost, mode, traits).cost;
  const isSidechain = obj.isSidechain === true;

  return {
    kind: 'record',
    record: {
      dedupKey: dedupKey(messageId, requestId, timestamp, file, offset),
      messageId,
      timestamp,
      source: file.isSubagent || isSidechain ? 'claude-code-subagent' : 'claude-code',
      model,
      project: typeof obj.cwd === 'string' && obj.cwd !== '' ? obj.cwd : file.projectDir,
      // The transcript file names the session (a resumed session's lines may still carry the id
      // of the one they continue); ccusage groups the same way.
      sessionId: file.sessionFromPath || (typeof obj.sessionId === 'string' ? obj.sessionId : ''),
      ...counts,
      reportedCost,
      cost,
      ...(apiCost !== cost ? { apiCost } : {}),
      unpriced: !priced,
      isSidechain,
    },
  };
}
