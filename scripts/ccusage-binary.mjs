// What ccusage 20.0.24's native binary holds that we read: its embedded LiteLLM and models.dev
// snapshots (raw-deflate JSON) and the names of its built-in prices. Shared by update-prices.mjs
// and ccusage-probe.mjs.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function ccusageBinary() {
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
export function extractFromBinary(bin, accept, what) {
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

export const isLiteLlm = (v) => 'i' in v && 'o' in v;
export const isModelsDev = (v) => typeof v.cost === 'object' && v.cost !== null && 'input' in v.cost;

/**
 * Models ccusage prices from a built-in table of its own, over or beside LiteLLM's (names read
 * from the strings of ccusage 20.0.24's binary; check them again when ccusage is upgraded).
 * Their prices are asked of ccusage itself (ccusage-probe.mjs), so they are what it charges.
 */
export const CCUSAGE_BUILTIN_MODELS = [
  'claude-opus-4-5',
  'claude-opus-4-6',
  'claude-opus-4-7',
  'claude-opus-4-8',
  'claude-opus-4',
  'claude-sonnet-4-6',
  'claude-sonnet-4',
  'claude-3-5-haiku',
  'claude-3-5-haiku-20241022',
  'claude-3-opus',
  'claude-3-sonnet',
  'claude-3-haiku',
  'gpt-5',
  'gpt-5.5',
  'moonshot/kimi-k2.5',
  'moonshot/kimi-k2.6',
  'gpt-5.1',
  'gpt-5.1-codex',
  'gpt-5.2-codex',
  'gpt-5.3-codex',
  'gpt-5.2',
  'gpt-5.4',
  'gpt-5.4-mini',
  'gpt-5.4-nano',
  'gpt-5.6-sol',
  'gpt-5.6-terra',
  'gpt-5.6-luna',
  'glm-4.5',
  'zai/glm-4.5',
  'zai/glm-4.5-x',
  'zai/glm-4.5-air',
  'zai/glm-4.5v',
  'zai/glm-4-32b-0414-128k',
  'zai/glm-4.5-flash',
  'glm-4.6',
  'glm-4.7',
  'glm-5',
  'glm-5-turbo',
  'glm-5.1',
];
