// Regenerates src/core/pricing/prices.json from LiteLLM's model_prices_and_context_window.json.
//   node scripts/update-prices.mjs [FILE|URL]
// Without an argument it reads the LiteLLM snapshot that ccusage ships inside its native binary
// (node_modules/@ccusage/ccusage-<platform>/bin/ccusage, a raw-deflate stream of a compact form
// of the same file), so that our bundled prices are exactly what ccusage prices with offline.
// Keeps Anthropic, OpenAI and other common coding models; writes `_snapshot: {date, source}`.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'src/core/pricing/prices.json');

/** Model names kept: what coding agents run on. */
const KEEP = /^(?:claude-|gpt-5|gpt-4\.1|gpt-4o|o1(?:-|$)|o3(?:-|$)|o4-mini|codex-|gemini-[23]|deepseek-|grok-[34]|codestral|devstral|mistral-(?:large|medium)|qwen3?-coder|kimi-k2|glm-4\.[5-9]|glm-5)/;
/** Where a model is listed only under a reseller key, the provider's own price is the same. */
const ALIAS_PREFIXES = ['openrouter/openai/', 'azure/', 'zai/', 'deepseek/', 'xai/', 'mistral/', 'gemini/', 'moonshot/'];
/** Fields kept, LiteLLM's names; the compact form in ccusage's binary uses the short ones. */
const FIELDS = {
  input_cost_per_token: 'i',
  output_cost_per_token: 'o',
  cache_creation_input_token_cost: 'cc',
  cache_read_input_token_cost: 'cr',
  input_cost_per_token_above_200k_tokens: 'ia',
  output_cost_per_token_above_200k_tokens: 'oa',
  cache_creation_input_token_cost_above_200k_tokens: 'cca',
  cache_read_input_token_cost_above_200k_tokens: 'cra',
};

function ccusageBinary() {
  const dir = join(root, 'node_modules/@ccusage');
  if (!existsSync(dir)) return undefined;
  for (const pkg of readdirSync(dir)) {
    const bin = join(dir, pkg, 'bin', process.platform === 'win32' ? 'ccusage.exe' : 'ccusage');
    if (existsSync(bin)) return { bin, version: JSON.parse(readFileSync(join(dir, pkg, 'package.json'), 'utf8')).version };
  }
  return undefined;
}

/**
 * Finds the embedded snapshot: a raw-deflate stream that inflates to `{"…":{"cc":…`. Trying every
 * offset is slow (minutes), so first look near the field names the snapshot sits beside.
 */
function extractFromBinary(bin) {
  const b = readFileSync(bin);
  const tryAt = (i) => {
    if (((b[i] >> 1) & 3) !== 2) return undefined; // a dynamic-Huffman block starts the stream
    let head;
    try {
      head = zlib.inflateRawSync(b.subarray(i, i + 512), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
    if (!(head.length > 8 && head[0] === 0x7b && head[1] === 0x22)) return undefined;
    const full = zlib.inflateRawSync(b.subarray(i), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    let json;
    try {
      json = JSON.parse(full.toString('utf8'));
    } catch {
      return undefined;
    }
    const sample = Object.values(json)[0];
    return sample && typeof sample === 'object' && 'i' in sample && 'o' in sample ? json : undefined;
  };
  const hint = b.indexOf('cache_read_input_token_cost_above_200k_tokens');
  const windows = hint >= 0 ? [[Math.max(0, hint - (1 << 16)), Math.min(b.length, hint + (1 << 16))]] : [];
  windows.push([0, b.length]);
  for (const [from, to] of windows) {
    for (let i = from; i < to; i++) {
      const json = tryAt(i);
      if (json) return json;
    }
  }
  throw new Error(`no pricing snapshot found in ${bin}`);
}

/** The compact form back to LiteLLM's field names. */
function fromCompact(compact) {
  const table = {};
  for (const [model, v] of Object.entries(compact)) {
    const p = {};
    for (const [field, short] of Object.entries(FIELDS)) if (typeof v[short] === 'number') p[field] = v[short];
    table[model] = p;
  }
  return table;
}

async function load(arg) {
  if (!arg) {
    const found = ccusageBinary();
    if (!found) throw new Error('ccusage is not installed (npm install); or pass a LiteLLM JSON file or URL');
    return { table: fromCompact(extractFromBinary(found.bin)), source: `LiteLLM snapshot embedded in ccusage ${found.version} (${found.bin.slice(root.length + 1)})` };
  }
  const text = /^https?:\/\//.test(arg) ? await (await fetch(arg)).text() : readFileSync(arg, 'utf8');
  const json = JSON.parse(text);
  const table = {};
  for (const [model, v] of Object.entries(json)) {
    if (model === 'sample_spec' || !v || typeof v !== 'object') continue;
    const p = {};
    for (const field of Object.keys(FIELDS)) if (typeof v[field] === 'number') p[field] = v[field];
    table[model] = p;
  }
  return { table, source: `LiteLLM model_prices_and_context_window.json (${arg})` };
}

const { table, source } = await load(process.argv[2]);
const kept = {};
for (const [model, p] of Object.entries(table)) {
  if (KEEP.test(model) && typeof p.input_cost_per_token === 'number' && typeof p.output_cost_per_token === 'number') kept[model] = p;
}
for (const [model, p] of Object.entries(table)) {
  const prefix = ALIAS_PREFIXES.find((x) => model.startsWith(x));
  if (!prefix) continue;
  const bare = model.slice(prefix.length);
  if (!bare.includes('/') && !bare.includes(':') && KEEP.test(bare) && !(bare in kept) && typeof p.input_cost_per_token === 'number' && typeof p.output_cost_per_token === 'number') {
    kept[bare] = p;
  }
}
const sorted = Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b)));
const snapshot = { source, date: new Date().toISOString().slice(0, 10), unit: 'USD per token', models: Object.keys(sorted).length };
// One model per line keeps diffs of a regenerated table readable.
const body = Object.entries(sorted).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
writeFileSync(out, `{\n  "_snapshot": ${JSON.stringify(snapshot)},\n${body}\n}\n`);
console.log(`${out}: ${snapshot.models} models from ${source}`);
