import { displayModel, type CostMode, type PriceTable } from '../../pricing/pricing';
import { parseJsonObject, type ParseOutcome } from '../agents';
import type { TranscriptFile } from './paths';

/** Only lines holding this can carry usage; everything else is skipped before JSON.parse. */
export const USAGE_MARKER = Buffer.from('"usage":{');

/**
 * A request's identity, as ccusage keys it: message id and request id; without a request id,
 * copies of a message written at the same instant are one (older Claude Code versions); a line
 * without a message id is only itself.
 */
function dedupKey(
  messageId: string | undefined,
  requestId: string | undefined,
  timestamp: number,
  file: TranscriptFile,
  offset: number,
): string {
  if (messageId && requestId) return `m:${messageId}:${requestId}`;
  if (messageId) return `t:${messageId}:${timestamp}`;
  return `l:${file.path}:${offset}`;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const count = (v: unknown): number => (isCount(v) ? Math.round(v) : 0);

/** Turns one transcript line into a usage record, the way ccusage reads it. */
export function parseClaudeLine(line: string, offset: number, file: TranscriptFile, prices: PriceTable, mode: CostMode): ParseOutcome {
  const obj = parseJsonObject(line);
  return obj ? parseClaudeObject(obj, offset, file, prices, mode) : { kind: 'malformed' };
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
