import { isPlaceholderModel } from '../model';
import bundled from './prices.json';
import fastTable from './fast-multipliers.json';
import modelsDev from './models-dev-prices.json';

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
  /** How much a fast-mode request costs relative to a normal one (LiteLLM's `provider_specific_entry.fast`). */
  fast_multiplier?: number;
  /**
   * Whole-request long-context pricing (OpenAI's GPT-5.4 and later: past 272k prompt tokens,
   * input + cache write + cache read, every token of the request costs more). When the prompt
   * is past the threshold these rates replace the base and per-kind `_above_200k` rates.
   */
  long_context_threshold?: number;
  input_cost_per_token_long_context?: number;
  output_cost_per_token_long_context?: number;
  cache_creation_input_token_cost_long_context?: number;
  cache_read_input_token_cost_long_context?: number;
}

/**
 * A user override in USD per million tokens (setting `tokenCost.pricing`). Fields left out keep
 * the bundled price of that model, so `{"fast": 3}` alone changes only the fast multiplier.
 */
export interface PriceOverride {
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheRead?: number;
  /** Multiplier for fast-mode requests (`usage.speed: "fast"`). */
  fast?: number;
}

/** How a reported `costUSD` is used (ccusage's `--mode`). */
export type CostMode = 'auto' | 'calculate' | 'display';

/**
 * Which rules turn tokens into dollars. `ccusage` prices exactly as ccusage 20.0.24 does (the
 * default, so our numbers can be checked against it); `api` follows the provider's published
 * billing rules where ccusage does not (see `apiCost`).
 */
export type CostRules = 'ccusage' | 'api';

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
}

/** What a request says about how it was served, beyond its tokens. */
export interface RequestTraits {
  /** `usage.speed === "fast"` (Claude) or a fast/priority service tier (Codex). */
  fast?: boolean;
  /** `usage.inference_geo` ("us" costs more on recent Anthropic models). */
  inferenceGeo?: string;
  /** `usage.server_tool_use.web_search_requests`. */
  webSearchRequests?: number;
}

const TIER_THRESHOLD = 200_000;
/** ccusage names a fast request's model `<model>-fast`; so do we, so rows line up with its reports. */
export const FAST_SUFFIX = '-fast';
/** Anthropic dates its model ids with 8 digits (`-20250929`); other trailing numbers are versions. */
const DATE_DIGITS = 8;

/** The model name a request is shown under: ccusage's `<model>-fast` for fast requests. */
export function displayModel(model: string, fast: boolean): string {
  return fast && !model.endsWith(FAST_SUFFIX) ? model + FAST_SUFFIX : model;
}

type FastTable = { exact: Record<string, number>; normalizedPrefix: Record<string, number> };

/** ccusage's fallback multipliers for models LiteLLM gives no `fast` entry. */
export function fallbackFastMultiplier(model: string, table: FastTable = fastTable as FastTable): number | undefined {
  const exact = table.exact[model];
  if (exact !== undefined) return exact;
  // Each provider- or version-separated part of the name is tried: "bedrock/claude-opus-4-6-v1".
  for (const part of normalizeSeparators(model).split(/[/:]/)) {
    for (const [base, multiplier] of Object.entries(table.normalizedPrefix)) {
      const at = part.lastIndexOf(base);
      if (at < 0) continue;
      const rest = part.slice(at + base.length);
      if (rest === '' || rest.startsWith('-')) return multiplier;
    }
  }
  return undefined;
}

function normalizeSeparators(name: string): string {
  return name.replace(/[.@]/g, '-');
}

const isAlnum = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9]/.test(ch);

/**
 * True when `suffix`, the text right after a key inside a longer name, makes that a different
 * model: "-5" after "claude-opus-4" is version 4.5, but "-20250514" is a date and "-v1:0" a tag.
 */
function startsAnotherVersion(key: string, suffix: string): boolean {
  if (!/[0-9]$/.test(key) || (suffix[0] !== '-' && suffix[0] !== '.')) return false;
  const digits = /^[0-9]*/.exec(suffix.slice(1))![0].length;
  if (digits === 0) return false;
  const after = suffix[1 + digits];
  return !(digits === DATE_DIGITS && !isAlnum(after));
}

/** `key` occurs in `name` as a whole name part: bounded by punctuation, not followed by another version. */
function containsAsPart(name: string, key: string): boolean {
  for (let at = name.indexOf(key); at >= 0; at = name.indexOf(key, at + 1)) {
    if (isAlnum(name[at - 1])) continue;
    const suffix = name.slice(at + key.length);
    if (suffix === '' || (!isAlnum(suffix[0]) && !startsAnotherVersion(key, suffix))) return true;
  }
  return false;
}

/** Either name holds the other as a part, as written or with `.`/`@` read as `-`. */
function namesMatch(candidate: string, model: string, normalizedModel: string): boolean {
  if (containsAsPart(model, candidate) || containsAsPart(candidate, model)) return true;
  const normalizedCandidate = normalizeSeparators(candidate);
  return containsAsPart(normalizedModel, normalizedCandidate) || containsAsPart(normalizedCandidate, normalizedModel);
}

function bundledTable(): Map<string, ModelPrice> {
  const table = new Map<string, ModelPrice>();
  for (const [key, value] of Object.entries(bundled)) {
    if (!key.startsWith('_')) table.set(key, value as ModelPrice);
  }
  return table;
}

/** Names ccusage prices that are not keys of its table: looked up exactly, never matched against. */
function exactOnlyTable(): Map<string, ModelPrice> {
  return new Map(Object.entries((bundled as unknown as { _exactOnly: Record<string, ModelPrice> })._exactOnly));
}

/** ccusage's models.dev snapshot: every entry by its exact id, and those it also matches by name part. */
function modelsDevTables(): { exact: Map<string, ModelPrice>; matched: Map<string, ModelPrice> } {
  const exact = new Map<string, ModelPrice>();
  const matched = new Map<string, ModelPrice>();
  for (const [id, row] of Object.entries(modelsDev as Record<string, unknown>)) {
    if (!Array.isArray(row)) continue;
    const [input, output, cacheWrite, cacheRead, exactOnly] = row as (number | null)[];
    const price: ModelPrice = {
      input_cost_per_token: input!,
      output_cost_per_token: output!,
      ...(cacheWrite !== null ? { cache_creation_input_token_cost: cacheWrite } : {}),
      ...(cacheRead !== null ? { cache_read_input_token_cost: cacheRead } : {}),
    };
    exact.set(id, price);
    if (exactOnly !== 1) matched.set(id, price);
  }
  return { exact, matched };
}

export class PriceTable {
  private readonly table: Map<string, ModelPrice>;
  private readonly exactOnly = exactOnlyTable();
  /** `tokenCost.pricing`, each on top of the bundled price of the model it names. */
  private readonly overrides = new Map<string, ModelPrice>();
  /** ccusage's last resort for names no key matches: its models.dev snapshot, matched the same way. */
  private readonly modelsDev = modelsDevTables();
  private readonly cache = new Map<string, ModelPrice | null>();

  constructor(overrides: Record<string, PriceOverride> = {}) {
    this.table = bundledTable();
    // As in ccusage, a key's fast multiplier is LiteLLM's, else its fallback table's for that key.
    for (const [key, p] of this.table) {
      if (p.fast_multiplier === undefined) {
        const fallback = fallbackFastMultiplier(key);
        if (fallback !== undefined) this.table.set(key, { ...p, fast_multiplier: fallback });
      }
    }
    for (const [model, o] of Object.entries(overrides)) {
      const base = this.lookup(model) ?? { input_cost_per_token: 0, output_cost_per_token: 0 };
      const perToken = (v: number | undefined) => (v === undefined ? undefined : v / 1e6);
      // A new input price without cache prices keeps the cache rates in proportion, as ccusage does.
      const scale = o.input !== undefined && base.input_cost_per_token > 0 ? o.input / 1e6 / base.input_cost_per_token : 1;
      const scaled = (v: number | undefined) => (v === undefined ? undefined : v * scale);
      this.overrides.set(model, {
        ...base,
        input_cost_per_token: perToken(o.input) ?? base.input_cost_per_token,
        output_cost_per_token: perToken(o.output) ?? base.output_cost_per_token,
        cache_creation_input_token_cost: perToken(o.cacheWrite) ?? scaled(base.cache_creation_input_token_cost),
        cache_read_input_token_cost: perToken(o.cacheRead) ?? scaled(base.cache_read_input_token_cost),
        fast_multiplier: o.fast ?? base.fast_multiplier,
      });
    }
    this.cache.clear();
  }

  /**
   * The price of a model, or null when unknown, matched as ccusage matches: the exact key, else
   * the longest key that holds the name (or is held by it) as a whole part, so a provider prefix
   * ("bedrock/…", "us.anthropic.…"), a date suffix or a tag ("-v1:0") finds the model, but
   * `claude-opus-4` never takes the price of `claude-opus-4-5` (another version).
   */
  lookup(model: string): ModelPrice | null {
    const cached = this.cache.get(model);
    if (cached !== undefined) return cached;
    // A user's price first, for its name as written or as a part of a longer one (an override of
    // `claude-sonnet-4-5` prices `claude-sonnet-4-5-20250929`, what Claude Code writes).
    const found =
      this.overrides.get(model) ??
      this.bestMatch(this.overrides, model) ??
      this.table.get(model) ??
      this.exactOnly.get(model) ??
      this.bestMatch(this.table, model) ??
      this.modelsDev.exact.get(model) ??
      this.bestMatch(this.modelsDev.matched, model);
    this.cache.set(model, found ?? null);
    return found ?? null;
  }

  /**
   * The longest key of `table` that holds the name (or is held by it) as a whole part; among
   * equals the one that sorts first, so the choice never depends on order. The main table is
   * searched first and the models.dev snapshot only when it has no match, as ccusage does.
   */
  private bestMatch(table: Map<string, ModelPrice>, model: string): ModelPrice | undefined {
    const normalized = normalizeSeparators(model);
    let best: string | undefined;
    for (const key of table.keys()) {
      if (!namesMatch(key, model, normalized)) continue;
      if (best === undefined || key.length > best.length || (key.length === best.length && key < best)) best = key;
    }
    return best === undefined ? undefined : table.get(best);
  }

  isSynthetic(model: string): boolean {
    return isPlaceholderModel(model);
  }

  /** The multiplier a fast request of this model pays: that of the key it is priced under, else 1. */
  fastMultiplier(model: string): number {
    return this.lookup(model)?.fast_multiplier ?? 1;
  }

  /**
   * Cost in USD of one request, the way ccusage counts it. `priced` is false when the model has
   * no price (cost 0), so callers can list it as unpriced instead of showing a silent $0.
   */
  cost(
    model: string,
    t: TokenCounts,
    reportedCost: number | null,
    mode: CostMode,
    traits: RequestTraits = {},
  ): { cost: number; priced: boolean } {
    return this.price(model, t, reportedCost, mode, (p) => computeCost(p, t) * (traits.fast ? this.fastMultiplier(model) : 1));
  }

  /**
   * What the provider's API would bill for the request, where that differs from ccusage's rule:
   * above 200k input tokens (input + cache write + cache read) the whole request is charged at
   * the long-context rates, `inference_geo: "us"` costs 1.1x, and each web search costs $0.01.
   * A reported cost is used as in `cost` (it is the agent's own figure).
   */
  apiCost(
    model: string,
    t: TokenCounts,
    reportedCost: number | null,
    mode: CostMode,
    traits: RequestTraits = {},
  ): { cost: number; priced: boolean } {
    return this.price(model, t, reportedCost, mode, (p) => {
      const context = t.inputTokens + t.cacheWriteTokens + t.cacheReadTokens;
      // Models with whole-request long-context rates (OpenAI's) are already priced that way; the
      // others' per-kind 200k tiers become one tier for the whole request (Anthropic's rule).
      const tokens =
        p.long_context_threshold === undefined && context > TIER_THRESHOLD
          ? computeCost(longContextPrice(p), t, Infinity)
          : computeCost(p, t, Infinity);
      const geo = traits.inferenceGeo === 'us' && geoPremiumApplies(model) ? US_GEO_MULTIPLIER : 1;
      const fast = traits.fast ? this.fastMultiplier(model) : 1;
      const searches = (traits.webSearchRequests ?? 0) * WEB_SEARCH_FEE_USD;
      return tokens * geo * fast + searches;
    });
  }

  /** The rules both cost figures share: the cost mode, `<synthetic>`, and unknown models. */
  private price(
    model: string,
    t: TokenCounts,
    reportedCost: number | null,
    mode: CostMode,
    fromPrice: (p: ModelPrice) => number,
  ): { cost: number; priced: boolean } {
    if (mode === 'display') return { cost: reportedCost ?? 0, priced: true };
    if (mode === 'auto' && reportedCost !== null) return { cost: reportedCost, priced: true };
    if (this.isSynthetic(model)) return { cost: 0, priced: true };
    const p = this.lookup(model);
    return p ? { cost: fromPrice(p), priced: true } : { cost: 0, priced: false };
  }
}

/** Anthropic: "US-only inference" costs 1.1x on every token category, Opus 4.6 and later. */
const US_GEO_MULTIPLIER = 1.1;
/** Anthropic: web search costs $10 per 1,000 searches, on top of tokens. */
const WEB_SEARCH_FEE_USD = 10 / 1000;

/**
 * Every Claude model from Opus/Sonnet/Haiku 4.6 on, and every newer family (`claude-fable-5`),
 * pays the US-only premium; the models before 4.6 (Claude 3.x, 4.0 to 4.5, instant, 2.x) do not.
 */
function geoPremiumApplies(model: string): boolean {
  const m = normalizeSeparators(model.slice(model.lastIndexOf('/') + 1));
  if (!/(?:^|[-.])claude-/.test(m) && !m.startsWith('claude-')) return false;
  const tiered = /claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?![0-9])/.exec(m);
  if (tiered) {
    const major = Number(tiered[1]);
    const minor = tiered[2] === undefined ? 0 : Number(tiered[2]);
    return major > 4 || (major === 4 && minor >= 6);
  }
  // The older naming (`claude-3-5-sonnet`, `claude-4-opus`), Claude 2 and instant come before 4.6.
  return !/claude-(?:\d|instant|v\d)/.test(m);
}

/** The model's long-context rates for every token kind (its base rates where it has none). */
function longContextPrice(p: ModelPrice): ModelPrice {
  const inAbove = p.input_cost_per_token_above_200k_tokens;
  return {
    input_cost_per_token: inAbove ?? p.input_cost_per_token,
    output_cost_per_token: p.output_cost_per_token_above_200k_tokens ?? p.output_cost_per_token,
    cache_creation_input_token_cost:
      p.cache_creation_input_token_cost_above_200k_tokens ?? (inAbove === undefined ? p.cache_creation_input_token_cost : inAbove * 1.25),
    cache_read_input_token_cost:
      p.cache_read_input_token_cost_above_200k_tokens ?? (inAbove === undefined ? p.cache_read_input_token_cost : inAbove * 0.1),
  };
}

function tiered(tokens: number, base: number, above: number | undefined, threshold: number): number {
  if (tokens <= 0) return 0;
  if (above === undefined || tokens <= threshold) return tokens * base;
  return threshold * base + (tokens - threshold) * above;
}

/**
 * ccusage's rule: each token kind of each request on its own, the first 200k at the base rate and
 * the rest at the model's `*_above_200k_tokens` rate where it has one, unless the model has
 * whole-request long-context rates and the prompt is past their threshold. A missing cache price
 * is 1.25x (write) or 0.1x (read) the input price; 1-hour writes cost twice the input price.
 * `threshold: Infinity` turns the per-kind tiers off (the API rule decides the tier per request).
 */
export function computeCost(p: ModelPrice, t: TokenCounts, threshold = TIER_THRESHOLD): number {
  const write5m = t.cacheWriteTokens - t.cacheWrite1hTokens;
  const prompt = t.inputTokens + t.cacheWriteTokens + t.cacheReadTokens;
  if (p.long_context_threshold !== undefined && prompt > p.long_context_threshold) {
    const lcInput = p.input_cost_per_token_long_context ?? p.input_cost_per_token;
    return (
      t.inputTokens * lcInput +
      t.outputTokens * (p.output_cost_per_token_long_context ?? p.output_cost_per_token) +
      write5m * (p.cache_creation_input_token_cost_long_context ?? p.cache_creation_input_token_cost ?? p.input_cost_per_token * 1.25) +
      t.cacheWrite1hTokens * lcInput * 2 +
      t.cacheReadTokens * (p.cache_read_input_token_cost_long_context ?? p.cache_read_input_token_cost ?? p.input_cost_per_token * 0.1)
    );
  }
  const inRate = p.input_cost_per_token;
  const writeRate = p.cache_creation_input_token_cost ?? inRate * 1.25;
  const readRate = p.cache_read_input_token_cost ?? inRate * 0.1;
  const inAbove = p.input_cost_per_token_above_200k_tokens;
  return (
    tiered(t.inputTokens, inRate, inAbove, threshold) +
    tiered(t.outputTokens, p.output_cost_per_token, p.output_cost_per_token_above_200k_tokens, threshold) +
    tiered(write5m, writeRate, p.cache_creation_input_token_cost_above_200k_tokens, threshold) +
    tiered(t.cacheWrite1hTokens, inRate * 2, inAbove === undefined ? undefined : inAbove * 2, threshold) +
    tiered(t.cacheReadTokens, readRate, p.cache_read_input_token_cost_above_200k_tokens, threshold)
  );
}
