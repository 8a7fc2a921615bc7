import bundled from './prices.json';

/** A model's prices in USD per token, LiteLLM's field names. */
export interface ModelPrice {
  input_cost_per_token: number;
  output_cost_per_token: number;
  cache_creation_input_token_cost?: number;
  cache_read_input_token_cost?: number;
  input_cost_per_token_above_200k_tokens?: number;
  output_cost_per_token_above_200k_tokens?: number;
  cache_creation_input_token_cost_above_200k_tokens?: number;
  cache_read_input_token_cost_above_200k_tokens?: number;
}

/** A user override in USD per million tokens (setting `tokenCost.pricing`). */
export interface PriceOverride {
  input: number;
  output: number;
  cacheWrite?: number;
  cacheRead?: number;
}

/** How a reported `costUSD` is used (ccusage's `--mode`). */
export type CostMode = 'auto' | 'calculate' | 'display';

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
}

const TIER_THRESHOLD = 200_000;
const SYNTHETIC_MODEL = '<synthetic>';

export const bundledSnapshotDate: string = (bundled as { _snapshot: { date: string } })._snapshot.date;

function bundledTable(): Map<string, ModelPrice> {
  const table = new Map<string, ModelPrice>();
  for (const [key, value] of Object.entries(bundled)) {
    if (!key.startsWith('_')) table.set(key, value as ModelPrice);
  }
  return table;
}

/** Provider prefixes ("anthropic/", "bedrock/us-east-1/", "us.anthropic.") never change a price. */
function stripProvider(model: string): string {
  let m = model.trim();
  const slash = m.lastIndexOf('/');
  if (slash >= 0) m = m.slice(slash + 1);
  m = m.replace(/^(?:[a-z]{2}\.)?anthropic\./, '');
  return m;
}

/**
 * Date suffixes ("-20250929", OpenAI's "-2025-08-07") and Bedrock version tags ("-v1:0",
 * "@20250929") name the same model.
 */
function stripVersion(model: string): string {
  return model.replace(/(?:-v\d+(?::\d+)?|@\d{8}|-\d{8}|-\d{4}-\d{2}-\d{2})$/, '').replace(/-\d{8}$/, '');
}

export class PriceTable {
  private readonly table: Map<string, ModelPrice>;
  /** Bare names (no provider, no date) to full keys, only where the bare name is unambiguous. */
  private readonly byBareName = new Map<string, string>();
  private readonly cache = new Map<string, ModelPrice | null>();

  constructor(overrides: Record<string, PriceOverride> = {}) {
    this.table = bundledTable();
    for (const [model, o] of Object.entries(overrides)) {
      this.table.set(model, {
        input_cost_per_token: o.input / 1e6,
        output_cost_per_token: o.output / 1e6,
        cache_creation_input_token_cost: o.cacheWrite === undefined ? undefined : o.cacheWrite / 1e6,
        cache_read_input_token_cost: o.cacheRead === undefined ? undefined : o.cacheRead / 1e6,
      });
    }
    const ambiguous = new Set<string>();
    for (const key of this.table.keys()) {
      const bare = stripVersion(stripProvider(key));
      const prior = this.byBareName.get(bare);
      if (prior !== undefined && prior !== key && bare !== key) ambiguous.add(bare);
      // An exact bare key (an override named "my-model") wins over dated keys.
      if (prior === undefined || bare === key) this.byBareName.set(bare, key);
    }
    for (const bare of ambiguous) if (!this.table.has(bare)) this.byBareName.delete(bare);
    for (const [model] of Object.entries(overrides)) this.byBareName.set(stripVersion(stripProvider(model)), model);
  }

  /**
   * The price of a model, or null when unknown. Exact key first, then the same name without
   * provider prefix and date suffix. There is no prefix matching: `claude-opus-4` must never
   * take the price of `claude-opus-4-5`.
   */
  lookup(model: string): ModelPrice | null {
    const cached = this.cache.get(model);
    if (cached !== undefined) return cached;
    let found: ModelPrice | null = this.table.get(model) ?? null;
    if (!found) {
      const noProvider = stripProvider(model);
      found = this.table.get(noProvider) ?? null;
      if (!found) {
        const key = this.byBareName.get(stripVersion(noProvider));
        found = key === undefined ? null : this.table.get(key) ?? null;
      }
    }
    this.cache.set(model, found);
    return found;
  }

  isSynthetic(model: string): boolean {
    return model === SYNTHETIC_MODEL;
  }

  /**
   * Cost in USD of one request, the way ccusage counts it. `priced` is false when the model has
   * no price (cost 0), so callers can list it as unpriced instead of showing a silent $0.
   */
  cost(model: string, t: TokenCounts, reportedCost: number | null, mode: CostMode): { cost: number; priced: boolean } {
    if (mode === 'display') return { cost: reportedCost ?? 0, priced: true };
    if (mode === 'auto' && reportedCost !== null) return { cost: reportedCost, priced: true };
    if (this.isSynthetic(model)) return { cost: 0, priced: true };
    const p = this.lookup(model);
    if (!p) return { cost: 0, priced: false };
    return { cost: computeCost(p, t), priced: true };
  }
}

function tiered(tokens: number, base: number, above: number | undefined): number {
  if (tokens <= 0) return 0;
  if (above === undefined || tokens <= TIER_THRESHOLD) return tokens * base;
  return TIER_THRESHOLD * base + (tokens - TIER_THRESHOLD) * above;
}

export function computeCost(p: ModelPrice, t: TokenCounts): number {
  const inRate = p.input_cost_per_token;
  const writeRate = p.cache_creation_input_token_cost ?? inRate * 1.25;
  const readRate = p.cache_read_input_token_cost ?? inRate * 0.1;
  const writeAbove =
    p.cache_creation_input_token_cost_above_200k_tokens ??
    (p.input_cost_per_token_above_200k_tokens === undefined ? undefined : p.input_cost_per_token_above_200k_tokens * 1.25);
  const readAbove =
    p.cache_read_input_token_cost_above_200k_tokens ??
    (p.input_cost_per_token_above_200k_tokens === undefined ? undefined : p.input_cost_per_token_above_200k_tokens * 0.1);
  const write5m = t.cacheWriteTokens - t.cacheWrite1hTokens;
  return (
    tiered(t.inputTokens, inRate, p.input_cost_per_token_above_200k_tokens) +
    tiered(t.outputTokens, p.output_cost_per_token, p.output_cost_per_token_above_200k_tokens) +
    tiered(write5m, writeRate, writeAbove) +
    // 1-hour writes cost twice the input rate, tiered like every other kind (ccusage does the same).
    tiered(t.cacheWrite1hTokens, inRate * 2, p.input_cost_per_token_above_200k_tokens === undefined ? undefined : p.input_cost_per_token_above_200k_tokens * 2) +
    tiered(t.cacheReadTokens, readRate, readAbove)
  );
}
