import * as path from 'node:path';
import type { Database } from 'sql.js';
import type { UsageRecord } from '../../model';
import { parseJsonObject } from '../claude';
import {
  count,
  listFiles,
  missingTable,
  pickRoots,
  priced,
  str,
  timeOf,
  xdgData,
  type AgentReader,
  type DocumentOutcome,
  type FileContext,
} from '../agents';

/**
 * OpenCode: `${OPENCODE_DATA_DIR:-~/.local/share/opencode}`: the SQLite `opencode.db` (since 1.2;
 * also `opencode-*.db` channel files, table `message`, column `data` holding the message JSON)
 * and the legacy `storage/message/<sessionID>/<messageID>.json` files. A message is identified by
 * its id, so one kept in both places counts once.
 *
 * Counting: `tokens.input` excludes the cache; `cache.read`/`cache.write` are the cache;
 * `tokens.reasoning` is inside `output` when the stored total says so (total = input + output +
 * cache, as in every sample), else added to output. The stored `cost` is OpenCode's own figure
 * and is used when positive under `tokenCost.costMode` "auto" (as ccusage does; it charges
 * reasoning twice on the samples), computed from tokens under "calculate".
 */
export const OPENCODE_SOURCE = 'opencode' as const;

/**
 * Which agent a message belongs to: OpenCode, or a fork writing the same message JSON (Kilo).
 * `storedCost`: which stored `cost` is OpenCode's own figure: only a positive one (OpenCode, as
 * ccusage), or any number including 0 (Kilo, as ccusage's Kilo reader).
 */
export interface OpenCodeFlavor {
  source: string;
  keyPrefix: string;
  storedCost: 'positive' | 'any';
}

const OPENCODE_FLAVOR: OpenCodeFlavor = { source: 'opencode', keyPrefix: 'opencode', storedCost: 'positive' };

/** One message object (a legacy file's content, or a database row's `data`) into a record. */
export function openCodeMessage(
  m: Record<string, unknown>,
  ctx: FileContext,
  idHint?: string,
  sessionHint?: string,
  flavor: OpenCodeFlavor = OPENCODE_FLAVOR,
): UsageRecord | undefined {
  if (m.role !== 'assistant') return undefined;
  const tokens = m.tokens as Record<string, unknown> | undefined;
  if (!tokens || typeof tokens !== 'object') return undefined;
  const cache = (tokens.cache ?? {}) as Record<string, unknown>;
  const input = count(tokens.input);
  const output = count(tokens.output);
  const read = count(cache.read);
  const write = count(cache.write);
  const reasoning = count(tokens.reasoning);
  const parts = input + output + read + write;
  const total = typeof tokens.total === 'number' ? count(tokens.total) : parts + reasoning;
  const extra = Math.max(0, total - parts);
  if (parts + extra === 0) return undefined;
  const time = m.time as Record<string, unknown> | undefined;
  const timestamp = timeOf(time?.created ?? time?.completed);
  if (!Number.isFinite(timestamp)) return undefined;
  const id = str(m.id) ?? idHint ?? `${timestamp}:${parts}`;
  const model = str(m.modelID) ?? str(m.model) ?? 'unknown';
  const where = m.path as Record<string, unknown> | undefined;
  const known = typeof m.cost === 'number' && Number.isFinite(m.cost) && m.cost >= 0;
  const stored = known && (flavor.storedCost === 'any' || (m.cost as number) > 0) ? (m.cost as number) : null;
  return priced(
    {
      dedupKey: `${flavor.keyPrefix}:${id}`,
      messageId: id,
      timestamp,
      source: flavor.source as never,
      model,
      project: str(where?.cwd) ?? str(where?.root) ?? '',
      sessionId: str(m.sessionID) ?? sessionHint ?? '',
      inputTokens: input,
      outputTokens: output + extra,
      cacheWriteTokens: write,
      cacheWrite1hTokens: 0,
      cacheReadTokens: read,
      reportedCost: stored,
    },
    ctx,
  );
}

export function parseOpenCodeFile(text: string, ctx: FileContext): DocumentOutcome {
  const m = parseJsonObject(text);
  if (!m)
    return { records: [], problem: `${ctx.path}: not a complete JSON document (cut off while being written?); read again when it changes` };
  const r = openCodeMessage(m, ctx, path.basename(ctx.path, '.json'), path.basename(path.dirname(ctx.path)));
  return { records: r ? [r] : [] };
}

export function readOpenCodeDb(
  db: Database,
  ctx: FileContext,
  flavor: OpenCodeFlavor = OPENCODE_FLAVOR,
  agent = 'OpenCode',
): DocumentOutcome {
  const problem = missingTable(db, ctx, 'message', agent);
  if (problem) return { records: [], problem };
  const records: UsageRecord[] = [];
  let malformed = 0;
  const stmt = db.prepare('SELECT id, session_id, data FROM message');
  try {
    while (stmt.step()) {
      const [id, session, data] = stmt.get();
      const m = typeof data === 'string' ? parseJsonObject(data) : undefined;
      if (!m) {
        malformed++;
        continue;
      }
      const r = openCodeMessage(m, ctx, typeof id === 'string' ? id : undefined, typeof session === 'string' ? session : undefined, flavor);
      if (r) records.push(r);
    }
  } finally {
    stmt.free();
  }
  return { records, malformed };
}

export const opencode: AgentReader = {
  id: 'opencode',
  label: 'OpenCode',
  source: OPENCODE_SOURCE,
  ownsSource: (s) => s === OPENCODE_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'OPENCODE_DATA_DIR', [path.join(xdgData(e), 'opencode')]),
  files: (root) => [
    ...listFiles(root, (name) => /^opencode(?:-[\w.-]+)?\.db$/.test(name), 0),
    ...listFiles(path.join(root, 'storage', 'message'), (name) => name.endsWith('.json'), 1),
  ],
  reader: (file) =>
    file.endsWith('.db') ? { kind: 'sqlite', read: (db, ctx) => readOpenCodeDb(db, ctx) } : { kind: 'document', parse: parseOpenCodeFile },
};
