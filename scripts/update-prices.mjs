// Regenerates src/core/pricing/prices.json from LiteLLM's model_prices_and_context_window.json.
//   node scripts/update-prices.mjs [FILE|URL]
// Without an argument it reads the LiteLLM snapshot that ccusage ships inside its native binary
// (node_modules/@ccusage/ccusage-<platform>/bin/ccusage, a raw-deflate stream of a compact form
// of the same file), so that our bundled prices are exactly what ccusage prices with offline.
// Keeps every priced model of the snapshot; writes `_snapshot: {date, source}`, and beside it
// fast-multipliers.json, ccusage's fallback fast-mode multipliers from the same binary.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { nameVariants, probeRates } from './ccusage-probe.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'src/core/pricing/prices.json');
const fastOut = join(root, 'src/core/pricing/fast-multipliers.json');
const modelsDevOut = join(root, 'src/core/pricing/models-dev-prices.json');

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
  fast_multiplier: 'fast',
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
 * Finds an embedded JSON table: a raw-deflate stream that inflates to `{"…":{…` whose first value
 * `accept` recognises. Trying every offset is slow (minutes), so first look near the field names
 * the tables sit beside.
 */
function extractFromBinary(bin, accept, what) {
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
    let json;
    try {
      json = JSON.parse(zlib.inflateRawSync(b.subarray(i), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('utf8'));
    } catch {
      return undefined;
    }
    const sample = Object.values(json)[0];
    return sample && typeof sample === 'object' && accept(sample) ? json : undefined;
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
  throw new Error(`no ${what} found in ${bin}`);
}

const isLiteLlm = (v) => 'i' in v && 'o' in v;
const isModelsDev = (v) => typeof v.cost === 'object' && v.cost !== null && 'input' in v.cost;

/**
 * ccusage's models.dev snapshot, its last resort for names its own table cannot match, in our
 * per-token form: `[input, output, cacheWrite, cacheRead]`, the cache prices null where unknown.
 */
function modelsDevFromBinary(bin) {
  const table = {};
  for (const [id, v] of Object.entries(extractFromBinary(bin, isModelsDev, 'models.dev snapshot'))) {
    const c = v.cost;
    if (typeof c.input !== 'number' || typeof c.output !== 'number') continue;
    const perToken = (x) => (typeof x === 'number' ? Number((x / 1e6).toPrecision(12)) : null);
    table[id] = [perToken(c.input), perToken(c.output), perToken(c.cache_write), perToken(c.cache_read)];
  }
  return table;
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
    return { table: fromCompact(extractFromBinary(found.bin, isLiteLlm, 'pricing snapshot')), source: `LiteLLM snapshot embedded in ccusage ${found.version} (${found.bin.slice(root.length + 1)})` };
  }
  const text = /^https?:\/\//.test(arg) ? await (await fetch(arg)).text() : readFileSync(arg, 'utf8');
  const json = JSON.parse(text);
  const table = {};
  for (const [model, v] of Object.entries(json)) {
    if (model === 'sample_spec' || !v || typeof v !== 'object') continue;
    const p = {};
    for (const field of Object.keys(FIELDS)) if (typeof v[field] === 'number') p[field] = v[field];
    if (typeof v.provider_specific_entry?.fast === 'number') p.fast_multiplier = v.provider_specific_entry.fast;
    table[model] = p;
  }
  return { table, source: `LiteLLM model_prices_and_context_window.json (${arg})` };
}

/**
 * ccusage's fallback fast-mode multipliers (`fast-multiplier-overrides.json`, embedded as text in
 * its binary): `{exact: {model: x}, normalized_prefix: {model: x}}`.
 */
function fastOverridesFromBinary(bin) {
  const b = readFileSync(bin).toString('latin1');
  const at = b.indexOf('"normalized_prefix"');
  if (at < 0) throw new Error(`no fast-multiplier table found in ${bin}`);
  const open = b.lastIndexOf('{', b.lastIndexOf('"exact"', at));
  let depth = 0;
  for (let i = open; i < b.length; i++) {
    if (b[i] === '{') depth++;
    else if (b[i] === '}' && --depth === 0) return JSON.parse(b.slice(open, i + 1));
  }
  throw new Error(`unterminated fast-multiplier table in ${bin}`);
}

/**
 * Models ccusage prices from a built-in table of its own, over or beside LiteLLM's (names read
 * from the strings of ccusage 20.0.24's binary; check them again when ccusage is upgraded).
 * Their prices are asked of ccusage itself (ccusage-probe.mjs), so they are what it charges.
 */
const CCUSAGE_BUILTIN_MODELS = [
  'claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-4', 'claude-sonnet-4-6',
  'claude-sonnet-4', 'claude-3-5-haiku', 'claude-3-5-haiku-20241022', 'claude-3-opus', 'claude-3-sonnet', 'claude-3-haiku',
  'gpt-5', 'gpt-5.5', 'moonshot/kimi-k2.5', 'moonshot/kimi-k2.6', 'gpt-5.1', 'gpt-5.1-codex', 'gpt-5.2-codex', 'gpt-5.3-codex',
  'gpt-5.2', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.4-nano', 'gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-5.6-luna', 'glm-4.5',
  'zai/glm-4.5', 'zai/glm-4.5-x', 'zai/glm-4.5-air', 'zai/glm-4.5v', 'zai/glm-4-32b-0414-128k', 'zai/glm-4.5-flash',
  'glm-4.6', 'glm-4.7', 'glm-5', 'glm-5-turbo', 'glm-5.1',
];

const { table, source } = await load(process.argv[2]);
const exactOnly = {};
// The whole snapshot, provider-prefixed keys (Bedrock, Vertex, Azure, OpenRouter…) included:
// ccusage matches a transcript's model name against every key, so dropping any changes prices.
const kept = {};
for (const [model, p] of Object.entries(table)) {
  if (typeof p.input_cost_per_token === 'number' && typeof p.output_cost_per_token === 'number') kept[model] = p;
}
if (ccusageBinary()) {
  // What ccusage charges is more than its snapshot: built-in prices, a models.dev fallback, fast
  // multipliers and long-context rules of its own. So every key, and every name a transcript may
  // write for it (no provider prefix, no date), is priced by ccusage itself and stored as charged;
  // names it cannot price are left out, as it leaves them unpriced.
  const keys = [...new Set([...Object.keys(kept), ...CCUSAGE_BUILTIN_MODELS])];
  const names = [...new Set(keys.flatMap(nameVariants))];
  const probed = probeRates(names);
  for (const key of keys) {
    if (probed.has(key)) kept[key] = probed.get(key);
    else delete kept[key];
  }
  // The other names are looked up exactly and never matched against: ccusage matches a name only
  // against its own keys, and an extra key would change which key an unknown name falls to.
  for (const name of names) if (!keys.includes(name) && probed.has(name)) exactOnly[name] = probed.get(name);
  console.log(`${probed.size} of ${names.length} names priced by ccusage ${ccusageBinary().version}`);
}
const sorted = Object.fromEntries(Object.entries(kept).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const snapshot = { source, date: new Date().toISOString().slice(0, 10), unit: 'USD per token', models: Object.keys(sorted).length };
// One model per line keeps diffs of a regenerated table readable.
const body = Object.entries(sorted).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
const exactBody = Object.entries(exactOnly).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
writeFileSync(out, `{\n  "_snapshot": ${JSON.stringify(snapshot)},\n  "_exactOnly": {\n${exactBody}\n  },\n${body}\n}\n`);
console.log(`${out}: ${snapshot.models} models from ${source}`);

const found = ccusageBinary();
if (found) {
  const o = fastOverridesFromBinary(found.bin);
  const fast = {
    _source: `fast-multiplier-overrides.json embedded in ccusage ${found.version}: used where LiteLLM has no provider_specific_entry.fast`,
    exact: o.exact ?? {},
    normalizedPrefix: o.normalized_prefix ?? {},
  };
  writeFileSync(fastOut, JSON.stringify(fast, null, 2) + '\n');
  const modelsDev = modelsDevFromBinary(found.bin);
  const rows = Object.entries(modelsDev).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  writeFileSync(modelsDevOut, `{\n  "_source": ${JSON.stringify(`models.dev snapshot embedded in ccusage ${found.version}: [input, output, cacheWrite, cacheRead] USD per token`)},\n${rows.join(',\n')}\n}\n`);
  console.log(`${modelsDevOut}: ${rows.length} models.dev prices`);
  console.log(`${fastOut}: ${Object.keys(fast.exact).length + Object.keys(fast.normalizedPrefix).length} fast multipliers`);
} else {
  console.log(`${fastOut} kept as it is (ccusage is not installed)`);
}
