/**
 * Where a usage record came from; the by-source chart and filters use these names. OpenClaw's
 * carry the agent's id (`openclaw:main`), so each OpenClaw agent is its own agent in the views.
 */
export type Source =
  | 'claude-code'
  | 'claude-code-subagent'
  | 'codex'
  | 'gemini-cli'
  | 'copilot-cli'
  | 'opencode'
  | 'pi-agent'
  | `openclaw:${string}`
  | 'droid'
  | 'cursor'
  | 'amp'
  | 'goose'
  | 'kilo'
  | 'qwen'
  | 'kimi'
  | 'codebuff'
  | 'hermes'
  /** Claude Code transcripts written by Claude Desktop's local agent mode. */
  | 'claude-desktop'
  | 'workspace'
  | 'heartbeat'
  | 'manual'
  /** A request event an agent sent over OpenTelemetry (OTLP) to the local server. */
  | 'otel';

/** One model request, as stored. Token counts are integers; timestamps are epoch milliseconds. */
export interface UsageRecord {
  /**
   * Identity used for deduplication across files, roots and restarts:
   * `m:<message.id>:<requestId>` when both exist, `t:<message.id>:<timestamp>` without a requestId,
   * else a key stable for the line's position.
   */
  dedupKey: string;
  /**
   * The provider's message id when known. A sidechain (subagent) replay of a message can carry a
   * different requestId; the store treats such copies as one message.
   */
  messageId?: string;
  timestamp: number;
  source: Source;
  model: string;
  project: string;
  sessionId: string;
  inputTokens: number;
  outputTokens: number;
  /** All cache-creation (write) tokens, 5-minute and 1-hour together. */
  cacheWriteTokens: number;
  /** The 1-hour share of `cacheWriteTokens`, priced at 2x input. */
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** Cost the agent itself reported (Claude Code's old `costUSD`), or null. */
  reportedCost: number | null;
  /** Cost in USD as counted (see pricing.ts for the rules). */
  cost: number;
  /**
   * What the provider's API would bill (pricing.ts `apiCost`: whole-request long-context tiers,
   * `inference_geo`, web search fees); absent where it equals `cost`.
   */
  apiCost?: number;
  /**
   * The agent's own billing units for the request (Amp's and Codebuff's `credits`), where its
   * files carry them; absent otherwise. Not dollars: no published rate converts them.
   */
  credits?: number;
  /** True when the model has no price and no cost was reported. */
  unpriced: boolean;
  isSidechain: boolean;
}

/**
 * Claude Code's locally made placeholder replies (`<synthetic>`): their tokens count in a day's
 * figures, as in ccusage, but they are no model, so no model row, chart slice or filter shows them.
 */
export const PLACEHOLDER_MODEL = '<synthetic>';
export const isPlaceholderModel = (model: string): boolean => model === PLACEHOLDER_MODEL;

export function totalTokens(r: Pick<UsageRecord, 'inputTokens' | 'outputTokens' | 'cacheWriteTokens' | 'cacheReadTokens'>): number {
  return r.inputTokens + r.outputTokens + r.cacheWriteTokens + r.cacheReadTokens;
}

/** The company behind a model, from its name (for exports and breakdowns). */
export function providerOf(model: string): string {
  const m = model.toLowerCase().replace(/^(?:[a-z0-9_-]+\/)+/, '');
  if (/^(?:claude|anthropic)|^(?:[a-z]{2}\.)?anthropic\./.test(m) || model.startsWith('anthropic/') || model === '<synthetic>')
    return 'Anthropic';
  if (/^(?:gpt|o\d|codex|chatgpt|text-embedding|davinci)/.test(m)) return 'OpenAI';
  if (/^gemini|^gemma/.test(m)) return 'Google';
  if (/^(?:mistral|codestral|devstral|magistral)/.test(m)) return 'Mistral';
  if (/^deepseek/.test(m)) return 'DeepSeek';
  if (/^(?:grok)/.test(m)) return 'xAI';
  return 'Other';
}

/**
 * The agent that produced a request: the reporting agent's id for heartbeats (kept as the
 * session), else the tool that wrote the transcript.
 */
export function agentOf(source: string, session: string): string {
  return source === 'heartbeat' ? session : source;
}
