// Asks the installed ccusage what it charges for model names: one Claude Code transcript line per
// name and token kind, each kind on its own day, read back from `ccusage claude daily --breakdown`.
// Used by update-prices.mjs (ccusage's built-in prices for models LiteLLM lacks) and by the
// price-coverage unit test (every name we price must cost what ccusage says).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CCUSAGE_BUILTIN_MODELS, ccusageBinary, extractFromBinary, isLiteLlm } from './ccusage-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ccusageBin = join(root, 'node_modules', '.bin', 'ccusage');

/**
 * Token vectors, one day each: the base rate of each kind, the per-kind rate past 200k, and
 * whole-request long-context pricing (OpenAI's: past 272k prompt tokens, input, cache and output
 * cost more), then fast mode.
 */
const LONG_CONTEXT = 272_000;
export const PROBES = [
  { day: '2026-01-01', kind: 'input', usage: { input_tokens: 100_000 } },
  { day: '2026-01-02', kind: 'output', usage: { output_tokens: 100_000 } },
  { day: '2026-01-03', kind: 'cacheWrite', usage: { cache_creation_input_tokens: 100_000 } },
  { day: '2026-01-04', kind: 'cacheRead', usage: { cache_read_input_tokens: 100_000 } },
  { day: '2026-01-05', kind: 'inputAbove', usage: { input_tokens: 250_000 } },
  { day: '2026-01-06', kind: 'outputAbove', usage: { output_tokens: 250_000 } },
  { day: '2026-01-07', kind: 'cacheWriteAbove', usage: { cache_creation_input_tokens: 250_000 } },
  { day: '2026-01-08', kind: 'cacheReadAbove', usage: { cache_read_input_tokens: 250_000 } },
  { day: '2026-01-09', kind: 'longInput', usage: { input_tokens: LONG_CONTEXT + 1 } },
  { day: '2026-01-10', kind: 'longCacheRead', usage: { input_tokens: 1, cache_read_input_tokens: 300_000 } },
  { day: '2026-01-11', kind: 'longCacheWrite', usage: { input_tokens: 1, cache_creation_input_tokens: 300_000 } },
  { day: '2026-01-12', kind: 'longOutput', usage: { input_tokens: 300_000, output_tokens: 100_000 } },
  { day: '2026-01-13', kind: 'fast', usage: { input_tokens: 100_000, speed: 'fast' } },
];

function line(model, day, i, usage) {
  const full = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage };
  return JSON.stringify({
    type: 'assistant',
    timestamp: `${day}T12:00:00.000Z`,
    requestId: `req_${day}_${i}`,
    sessionId: 'probe',
    cwd: '/probe',
    message: { id: `msg_${day}_${i}`, model, role: 'assistant', type: 'message', usage: full },
  });
}

/**
 * Runs ccusage on lines the caller describes: `[{day, model, usage}]`. Returns a Map from
 * `${day} ${modelName}` to ccusage's cost for that row (a fast line shows as `<model>-fast`), and
 * the rows ccusage marks `missingPricing` (no price, as opposed to a price of $0) under the same
 * key with a `missing:` prefix.
 */
export function ccusageCosts(entries) {
  if (!existsSync(ccusageBin)) throw new Error(`ccusage is not installed: ${ccusageBin} (npm ci)`);
  const home = mkdtempSync(join(tmpdir(), 'ccusage-probe-'));
  try {
    const dir = join(home, '.claude', 'projects', '-probe');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'probe.jsonl'), entries.map((e, i) => line(e.model, e.day, i, e.usage) + '\n').join(''));
    const env = { ...process.env, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
    for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME']) delete env[k];
    const out = execFileSync(ccusageBin, ['claude', 'daily', '--offline', '--json', '--breakdown', '-z', 'UTC', '--mode', 'calculate'], {
      env,
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const costs = new Map();
    for (const d of JSON.parse(out).daily) {
      for (const b of d.modelBreakdowns) {
        costs.set(`${d.date} ${b.modelName}`, b.cost);
        if (b.missingPricing) costs.set(`missing:${d.date} ${b.modelName}`, true);
      }
    }
    return costs;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The names a transcript may carry for a LiteLLM key: as is, without provider prefix, without date or tag. */
export function nameVariants(key) {
  const names = new Set([key]);
  const bare = key.slice(key.lastIndexOf('/') + 1);
  names.add(bare);
  names.add(bare.replace(/^(?:[a-z]{2,6}\.)?anthropic\./, ''));
  for (const n of [...names]) {
    const untagged = n.replace(/(?:-v\d+(?::\d+)?|:\d+)$/, '');
    names.add(untagged);
    names.add(untagged.replace(/[-@]\d{8}$/, ''));
  }
  return [...names].filter((n) => n !== '');
}

const round = (x) => Number(x.toPrecision(12));
const differs = (a, b) => Math.abs(a - b) > 1e-12 * Math.max(Math.abs(a), Math.abs(b), 1e-12);

/**
 * ccusage's per-token rates for each name, in LiteLLM's field names plus our long-context ones
 * (see ModelPrice in src/core/pricing/pricing.ts), or nothing for a name it cannot price.
 */
export function probeRates(names) {
  const entries = [];
  for (const p of PROBES) for (const model of names) entries.push({ day: p.day, model, usage: p.usage });
  const costs = ccusageCosts(entries);
  const rates = new Map();
  for (const model of names) {
    const c = (kind) => {
      const p = PROBES.find((x) => x.kind === kind);
      return costs.get(`${p.day} ${kind === 'fast' ? `${model}-fast` : model}`) ?? 0;
    };
    const input = c('input') / 100_000;
    const output = c('output') / 100_000;
    // No price at all (ccusage flags the row); a price of $0 (a free model) is kept as zeros.
    if (costs.get(`missing:${PROBES[0].day} ${model}`)) continue;
    const write = c('cacheWrite') / 100_000;
    const read = c('cacheRead') / 100_000;
    const r = {
      input_cost_per_token: input,
      output_cost_per_token: output,
      cache_creation_input_token_cost: write,
      cache_read_input_token_cost: read,
    };
    const above = (kind, base) => (c(kind) - 200_000 * base) / 50_000;
    const tiers = [
      ['input_cost_per_token_above_200k_tokens', above('inputAbove', input), input],
      ['output_cost_per_token_above_200k_tokens', above('outputAbove', output), output],
      ['cache_creation_input_token_cost_above_200k_tokens', above('cacheWriteAbove', write), write],
      ['cache_read_input_token_cost_above_200k_tokens', above('cacheReadAbove', read), read],
    ];
    for (const [field, rate, base] of tiers) if (differs(rate, base)) r[field] = rate;
    // Per-kind tiers explain a long input (272,001 tokens) unless the whole request is repriced.
    const perKind = 200_000 * input + (LONG_CONTEXT + 1 - 200_000) * (r.input_cost_per_token_above_200k_tokens ?? input);
    if (differs(c('longInput'), perKind)) {
      const lcInput = c('longInput') / (LONG_CONTEXT + 1);
      r.long_context_threshold = LONG_CONTEXT;
      r.input_cost_per_token_long_context = lcInput;
      r.cache_read_input_token_cost_long_context = (c('longCacheRead') - lcInput) / 300_000;
      r.cache_creation_input_token_cost_long_context = (c('longCacheWrite') - lcInput) / 300_000;
      r.output_cost_per_token_long_context = (c('longOutput') - 300_000 * lcInput) / 100_000;
    }
    const fast = input > 0 ? c('fast') / 100_000 / input : 1;
    if (!Number.isFinite(fast)) continue;
    if (differs(fast, 1)) r.fast_multiplier = fast;
    // Rates are short decimals; undo the float noise of the divisions.
    for (const k of Object.keys(r)) r[k] = round(r[k]);
    rates.set(model, r);
  }
  return rates;
}

/**
 * Every name ccusage can be asked to price from its own tables: each priced key of its LiteLLM
 * snapshot and of its built-in table, with and without provider prefix and date or tag.
 */
export function ccusageNames() {
  const found = ccusageBinary();
  if (!found) throw new Error('ccusage is not installed (npm ci)');
  const snapshot = extractFromBinary(found.bin, isLiteLlm, 'pricing snapshot');
  const keys = Object.entries(snapshot)
    .filter(([, v]) => typeof v.i === 'number' && typeof v.o === 'number')
    .map(([k]) => k);
  return [...new Set([...keys, ...CCUSAGE_BUILTIN_MODELS].flatMap(nameVariants))].sort();
}

// As a command (for tests written in TypeScript/CommonJS): `--names` prints ccusageNames();
// otherwise entries as JSON on stdin, costs out.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--names')) {
    process.stdout.write(JSON.stringify(ccusageNames()));
  } else {
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    const costs = ccusageCosts(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    process.stdout.write(JSON.stringify(Object.fromEntries(costs)));
  }
}
