import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ParseOutcome } from '../claude';
import { parseJsonObject } from '../claude';
import { count, listFiles, pickRoots, priced, str, timeOf, type AgentReader, type FileContext } from '../agents';

/**
 * Kimi CLI: `${KIMI_DATA_DIR:-$KIMI_SHARE_DIR:-~/.kimi}/sessions/<md5 of workdir>/<sessionId>/
 * wire.jsonl` (and `subagents/<agentId>/wire.jsonl`); `kimi.json` beside `sessions/` maps the
 * hashes back to folders.
 *
 * Counting: a `StatusUpdate` is written once per LLM step with that step's
 * `payload.token_usage.{input_other, output, input_cache_read, input_cache_creation}` (disjoint:
 * input without the cache, then cache read and cache write), so each one is a request; updates
 * without counts (context size only) are not. The wire file names no model: it is
 * `kimi-for-coding` (Kimi's default), priced as Moonshot Kimi K2.5 before
 * 2026-04-20T15:28:10.072Z and K2.6 from then on, as ccusage 20.0.24 does. Subagents' wire files
 * are their own steps and are counted too (ccusage reads only `<session>/wire.jsonl`).
 */
export const KIMI_SOURCE = 'kimi' as const;
export const KIMI_MODEL = 'kimi-for-coding';
const K26_FROM = Date.parse('2026-04-20T15:28:10.072Z');

/** The price-table model for Kimi's `kimi-for-coding` alias at a time. */
export const kimiPriceModel = (timestamp: number): string => (timestamp < K26_FROM ? 'kimi-k2.5' : 'kimi-k2.6');

interface KimiState {
  project?: string;
}

/** `<root>/sessions/<hash>/<session>/...`: the session folder and the hash folder of a wire file. */
function placeOf(ctx: FileContext): { hash: string; session: string } {
  const rel = path.relative(ctx.root, ctx.path).split(path.sep);
  return { hash: rel[0] ?? '', session: rel[1] ?? path.basename(path.dirname(ctx.path)) };
}

/** The folder whose md5 is `hash`, from `kimi.json`'s `work_dirs` (else the hash itself). */
function projectOf(ctx: FileContext, hash: string): string {
  try {
    const doc = parseJsonObject(fs.readFileSync(path.join(path.dirname(ctx.root), 'kimi.json'), 'utf8'));
    const dirs = Array.isArray(doc?.work_dirs) ? (doc.work_dirs as Record<string, unknown>[]) : [];
    for (const d of dirs) {
      const p = str(d?.path);
      if (p && createHash('md5').update(p).digest('hex') === hash) return p;
    }
  } catch {
    // No kimi.json: the hash names the project.
  }
  return hash;
}

export function parseKimiLine(obj: Record<string, unknown>, ctx: FileContext, state: KimiState): ParseOutcome {
  const message = obj.message as Record<string, unknown> | undefined;
  if (!message || message.type !== 'StatusUpdate') return { kind: 'no-usage' };
  const payload = message.payload as Record<string, unknown> | undefined;
  const u = payload?.token_usage as Record<string, unknown> | undefined;
  if (!u || typeof u !== 'object') return { kind: 'no-usage' };
  const input = count(u.input_other);
  const output = count(u.output);
  const read = count(u.input_cache_read);
  const write = count(u.input_cache_creation);
  if (input + output + read + write === 0) return { kind: 'no-usage' };
  const timestamp = timeOf(obj.timestamp);
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const { hash, session } = placeOf(ctx);
  if (state.project === undefined) state.project = projectOf(ctx, hash);
  const agentDir = path.basename(path.dirname(path.dirname(ctx.path))) === 'subagents' ? `:${path.basename(path.dirname(ctx.path))}` : '';
  const id = str(payload?.message_id) ?? `${timestamp}:${input}:${output}:${read}:${write}`;
  return {
    kind: 'record',
    record: priced(
      {
        dedupKey: `kimi:${session}${agentDir}:${id}`,
        timestamp,
        source: KIMI_SOURCE,
        model: KIMI_MODEL,
        project: state.project,
        sessionId: session,
        inputTokens: input,
        outputTokens: output,
        cacheWriteTokens: write,
        cacheWrite1hTokens: 0,
        cacheReadTokens: read,
      },
      ctx,
      kimiPriceModel(timestamp),
    ),
  };
}

export const kimi: AgentReader = {
  id: 'kimi',
  label: 'Kimi CLI',
  source: KIMI_SOURCE,
  ownsSource: (s) => s === KIMI_SOURCE,
  roots: (settings, e) => {
    const override = str(e.env.KIMI_DATA_DIR) ? 'KIMI_DATA_DIR' : 'KIMI_SHARE_DIR';
    return pickRoots(settings, e, override, [path.join(e.home, '.kimi')]).map((r) => path.join(r, 'sessions'));
  },
  files: (root) => listFiles(root, (name) => name === 'wire.jsonl', 4),
  reader: () => ({
    kind: 'lines',
    markers: [Buffer.from('"token_usage"')],
    parse: (obj, ctx, state) => parseKimiLine(obj, ctx, state as KimiState),
  }),
};
