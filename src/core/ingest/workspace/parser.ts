import type { CostMode, PriceTable } from '../../pricing/pricing';
import type { ParseOutcome } from '../agents';
import { USAGE_MARKER, parseClaudeObject } from '../claude';
import { CODEX_MARKERS, parseCodexLine, type CodexState } from '../codex';
import type { WorkspaceFile } from './paths';

/** Lines worth decoding in a workspace file: Claude usage, Codex events, or generic token events. */
export const WORKSPACE_MARKERS = [USAGE_MARKER, ...CODEX_MARKERS, Buffer.from('Tokens"'), Buffer.from('"token_usage"')];

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);

function timeOf(v: unknown): number {
  if (typeof v === 'string') return Date.parse(v);
  // Epoch seconds or milliseconds.
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  return NaN;
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
export function parseWorkspaceObject(
  obj: Record<string, unknown>,
  offset: number,
  file: WorkspaceFile,
  state: CodexState,
  prices: PriceTable,
  mode: CostMode,
): ParseOutcome {
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
