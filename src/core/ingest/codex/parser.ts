import type { UsageRecord } from '../../model';
import type { CostMode, PriceTable } from '../../pricing/pricing';
import type { ParseOutcome } from '../agents';
import type { CodexFile } from './paths';

/**
 * Only these lines matter in a Codex rollout: the session's cwd, the model of each turn, and the
 * token counts. Everything else (prompts, tool output, reasoning) is skipped undecoded.
 */
export const CODEX_MARKERS = ['"token_count"', '"turn_context"', '"session_meta"', '"thread_settings_applied"'].map((m) => Buffer.from(m));

interface CodexUsage {
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

/**
 * What a Codex reader knows at a point in a rollout, kept in the file's cursor so that reading
 * appended lines later still knows the model and the running totals.
 */
export interface CodexState {
  model?: string;
  cwd?: string;
  sessionId?: string;
  /** The last `total_token_usage` seen: repeated events are skipped, missing `last` is a delta. */
  total?: CodexUsage;
  /** The service tier the rollout last recorded (Codex 0.144+), over config.toml's. */
  tier?: 'fast' | 'standard';
}

/** Codex sessions written before the model was recorded used this one (as ccusage assumes). */
export const CODEX_FALLBACK_MODEL = 'gpt-5';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);

function usageOf(v: unknown): CodexUsage | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const u = v as Record<string, unknown>;
  const out = {
    input_tokens: num(u.input_tokens),
    cached_input_tokens: num(u.cached_input_tokens ?? u.cache_read_input_tokens),
    cache_write_input_tokens: num(u.cache_write_input_tokens),
    output_tokens: num(u.output_tokens),
    reasoning_output_tokens: num(u.reasoning_output_tokens),
    total_tokens: num(u.total_tokens),
  };
  if (!out.total_tokens) out.total_tokens = out.input_tokens + out.output_tokens;
  return out;
}

function minus(a: CodexUsage, b: CodexUsage | undefined): CodexUsage {
  if (!b) return a;
  const d = (k: keyof CodexUsage) => Math.max(0, a[k] - b[k]);
  return {
    input_tokens: d('input_tokens'),
    cached_input_tokens: d('cached_input_tokens'),
    cache_write_input_tokens: d('cache_write_input_tokens'),
    output_tokens: d('output_tokens'),
    reasoning_output_tokens: d('reasoning_output_tokens'),
    total_tokens: d('total_tokens'),
  };
}

/**
 * Reads one rollout line into `state` and, for a token_count event with new usage, a record.
 * Each event's `last_token_usage` is one request; without it, the growth of
 * `total_token_usage` is. Cached input is a part of Codex's input; it is stored as cache reads
 * and the rest as input, as Claude's fields mean. Reasoning is a part of output.
 */
export function parseCodexLine(
  obj: Record<string, unknown>,
  file: CodexFile,
  state: CodexState,
  prices: PriceTable,
  mode: CostMode,
  source: UsageRecord['source'] = 'codex',
  /** The home's config.toml sets a fast tier (codexFastTier); a tier the rollout records wins. */
  configFast = false,
): ParseOutcome {
  const payload = obj.payload as Record<string, unknown> | undefined;
  if (!payload || typeof payload !== 'object') return { kind: 'no-usage' };
  if (obj.type === 'session_meta') {
    if (typeof payload.cwd === 'string') state.cwd = payload.cwd;
    if (typeof payload.id === 'string') state.sessionId = payload.id;
    if (typeof payload.model === 'string' && payload.model) state.model = payload.model;
    return { kind: 'no-usage' };
  }
  if (obj.type === 'turn_context') {
    if (typeof payload.model === 'string' && payload.model) state.model = payload.model;
    // The project is the session's cwd (session_meta); a turn's cwd only fills in when it is missing.
    if (typeof payload.cwd === 'string' && !state.cwd) state.cwd = payload.cwd;
    return { kind: 'no-usage' };
  }
  if (obj.type === 'event_msg' && payload.type === 'thread_settings_applied') {
    // "priority" (and the older "fast") is the fast tier, "default" the standard one; any other
    // value ("flex") records nothing, so config.toml decides again, as in ccusage.
    const settings = payload.thread_settings as Record<string, unknown> | undefined;
    const tier = settings && typeof settings === 'object' ? settings.service_tier : undefined;
    if (tier === 'priority' || tier === 'fast') state.tier = 'fast';
    else if (tier === 'default') state.tier = 'standard';
    else delete state.tier;
    return { kind: 'no-usage' };
  }
  if (obj.type !== 'event_msg' || payload.type !== 'token_count') return { kind: 'no-usage' };
  const info = payload.info as Record<string, unknown> | null | undefined;
  if (!info || typeof info !== 'object') return { kind: 'no-usage' };
  const total = usageOf(info.total_token_usage);
  const last = usageOf(info.last_token_usage);
  // Codex repeats the last event when only rate limits changed: same totals, nothing new.
  if (total && state.total && total.total_tokens === state.total.total_tokens && total.input_tokens === state.total.input_tokens) {
    return { kind: 'no-usage' };
  }
  const used = last ?? (total ? minus(total, state.total) : undefined);
  const previousTotal = state.total;
  if (total) state.total = total;
  if (!used || used.input_tokens + used.output_tokens === 0) return { kind: 'no-usage' };
  const timestamp = typeof obj.timestamp === 'string' ? Date.parse(obj.timestamp) : NaN;
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };

  const model = (typeof info.model === 'string' && info.model) || state.model || CODEX_FALLBACK_MODEL;
  // Cache reads and (newer rollouts) cache writes are both parts of Codex's input.
  const cached = Math.min(used.cached_input_tokens, used.input_tokens);
  const written = Math.min(used.cache_write_input_tokens, used.input_tokens - cached);
  const counts = {
    inputTokens: used.input_tokens - cached - written,
    outputTokens: used.output_tokens,
    cacheWriteTokens: written,
    cacheWrite1hTokens: 0,
    cacheReadTokens: cached,
  };
  const traits = { fast: state.tier ? state.tier === 'fast' : configFast };
  const { cost, priced } = prices.cost(model, counts, null, mode, traits);
  const apiCost = prices.apiCost(model, counts, null, mode, traits).cost;
  const sessionId = state.sessionId ?? file.sessionFromPath;
  // The identity is the content (session, instant, running total), not the file: Codex moves
  // finished rollouts from sessions/ to archived_sessions/, and a move must not count twice.
  const runningTotal = total?.total_tokens ?? (previousTotal?.total_tokens ?? 0) + used.total_tokens;
  return {
    kind: 'record',
    record: {
      dedupKey: `codex:${sessionId}:${timestamp}:${runningTotal}`,
      timestamp,
      source,
      model,
      project: state.cwd ?? '',
      sessionId,
      ...counts,
      reportedCost: null,
      cost,
      ...(apiCost !== cost ? { apiCost } : {}),
      unpriced: !priced,
      isSidechain: false,
    },
  };
}
