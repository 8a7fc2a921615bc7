// Regenerates src/core/pricing/prices.json from LiteLLM's model_prices_and_context_window.json.
//   node scripts/update-prices.mjs [FILE|URL]
// Without an argument it reads the LiteLLM snapshot that ccusage ships inside its native binary
// (node_modules/@ccusage/ccusage-<platform>/bin/ccusage, a raw-deflate stream of a compact form
// of the same file), so that our bundled prices are exactly what ccusage prices with offline.
// Keeps every priced model of the snapshot; writes `_snapshot: {generated, source}`, and beside it
// fast-multipliers.json, ccusage's fallback fast-mode multipliers from the same binary.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CCUSAGE_BUILTIN_MODELS, ccusageBinary, extractFromBinary, isLiteLlm, isModelsDev } from './ccusage-binary.mjs';
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

/**
 * ccusage's models.dev snapshot, its last resort for names its own table cannot match, in our
 * per-token form: `[input, output, cacheWrite, cacheRead, exactOnly]`, the cache prices null where
 * unknown, `exactOnly` 1 for entries ccusage looks up only by their exact id.
 */
function modelsDevFromBinary(bin) {
  const table = {};
  for (const [id, v] of Object.entries(extractFromBinary(bin, isModelsDev, 'models.dev snapshot'))) {
    const c = v.cost;
    if (typeof c.input !== 'number' || typeof c.output !== 'number') continue;
    const perToken = (x) => (typeof x === 'number' ? Number((x / 1e6).toPrecision(12)) : null);
    table[id] = [perToken(c.input), perToken(c.output), perToken(c.cache_write), perToken(c.cache_read), v.exactOnly === true ? 1 : 0];
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
    return {
      table: fromCompact(extractFromBinary(found.bin, isLiteLlm, 'pricing snapshot')),
      source: `LiteLLM snapshot embedded in ccusage ${found.version} (${found.bin.slice(root.length + 1)})`,
    };
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
const snapshot = { source, generated: new Date().toISOString().slice(0, 10), unit: 'USD per token', models: Object.keys(sorted).length };
// One model per line keeps diffs of a regenerated table readable.
const body = Object.entries(sorted)
  .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
  .join(',\n');
const exactBody = Object.entries(exactOnly)
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  .map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
  .join(',\n');
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
  const rows = Object.entries(modelsDev)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  writeFileSync(
    modelsDevOut,
    `{\n  "_source": ${JSON.stringify(`models.dev snapshot embedded in ccusage ${found.version}: [input, output, cacheWrite, cacheRead] USD per token, exactOnly`)},\n${rows.join(',\n')}\n}\n`,
  );
  console.log(`${modelsDevOut}: ${rows.length} models.dev prices`);
  console.log(`${fastOut}: ${Object.keys(fast.exact).length + Object.keys(fast.normalizedPrefix).length} fast multipliers`);
} else {
  console.log(`${fastOut} kept as it is (ccusage is not installed)`);
}
