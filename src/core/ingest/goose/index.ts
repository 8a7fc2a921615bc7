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
  rowsOf,
  sqliteTime,
  str,
  xdgData,
  type AgentReader,
  type DocumentOutcome,
  type FileContext,
} from '../agents';

/**
 * Goose (Block): the SQLite `sessions.db` in `$GOOSE_PATH_ROOT/data/sessions/`, else
 * `~/.local/share/goose/sessions/` (`$XDG_DATA_HOME`), `~/.local/share/Block/goose/sessions/`
 * or `~/Library/Application Support/goose/sessions/`.
 *
 * Counting (as ccusage 20.0.24): one record per session, its totals only (Goose keeps no
 * per-request counts), dated `created_at`, so a long session lands on its first day; replaced as
 * the totals grow. `accumulated_*_tokens` when present, else `input/output/total_tokens`; the
 * part of the total beyond input and output is reasoning, counted and priced as output (ccusage
 * prices it as output but leaves it out of its outputTokens). No cache split, no stored cost.
 */
export const GOOSE_SOURCE = 'goose' as const;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function readGooseDb(db: Database, ctx: FileContext): DocumentOutcome {
  const problem = missingTable(db, ctx, 'sessions', 'Goose');
  if (problem) return { records: [], problem };
  const records: UsageRecord[] = [];
  let malformed = 0;
  for (const row of rowsOf(db, 'SELECT * FROM sessions')) {
    const acc = [num(row.accumulated_input_tokens), num(row.accumulated_output_tokens), num(row.accumulated_total_tokens)];
    const useAcc = acc.some((v) => v !== undefined && v > 0);
    const input = count(useAcc ? acc[0] : row.input_tokens);
    const output = count(useAcc ? acc[1] : row.output_tokens);
    const total = count(useAcc ? acc[2] : row.total_tokens);
    const reasoning = Math.max(0, total - input - output);
    if (input + output + reasoning === 0) continue;
    const timestamp = sqliteTime(row.created_at);
    if (!Number.isFinite(timestamp)) {
      malformed++;
      continue;
    }
    const config = typeof row.model_config_json === 'string' ? parseJsonObject(row.model_config_json) : undefined;
    const id = String(row.id);
    records.push(
      priced(
        {
          dedupKey: `goose:${id}`,
          timestamp,
          source: GOOSE_SOURCE,
          model: str(config?.model_name) ?? 'unknown',
          project: str(row.working_dir) ?? '',
          sessionId: id,
          inputTokens: input,
          outputTokens: output + reasoning,
          cacheWriteTokens: 0,
          cacheWrite1hTokens: 0,
          cacheReadTokens: 0,
        },
        ctx,
      ),
    );
  }
  return { records, malformed };
}

export const goose: AgentReader = {
  id: 'goose',
  label: 'Goose',
  source: GOOSE_SOURCE,
  ownsSource: (s) => s === GOOSE_SOURCE,
  roots: (settings, e) => {
    const root = e.env.GOOSE_PATH_ROOT?.trim();
    if (root && !(settings.paths ?? []).some((p) => p.trim() !== '')) return [path.resolve(root, 'data', 'sessions')];
    return pickRoots(settings, e, undefined, [
      path.join(xdgData(e), 'goose', 'sessions'),
      path.join(e.home, '.local', 'share', 'Block', 'goose', 'sessions'),
      path.join(e.home, 'Library', 'Application Support', 'goose', 'sessions'),
    ]);
  },
  files: (root) => listFiles(root, (name) => name === 'sessions.db', 0),
  reader: () => ({ kind: 'sqlite', read: readGooseDb }),
};
