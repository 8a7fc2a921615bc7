import * as path from 'node:path';
import type { Database } from 'sql.js';
import type { UsageRecord } from '../../model';
import {
  count,
  listFiles,
  missingTable,
  pickRoots,
  priced,
  rowsOf,
  sqliteTime,
  str,
  type AgentReader,
  type DocumentOutcome,
  type FileContext,
} from '../agents';

/**
 * Hermes Agent: `$HERMES_HOME/state.db` (comma list), else `~/.hermes/state.db`, table
 * `sessions`; named profiles (`profiles/<profile>/state.db`) are read too (ccusage 20.0.24 reads
 * only the top one).
 *
 * Counting (as ccusage): one record per session, its totals only, dated `started_at` (epoch
 * seconds) and replaced as they grow; `input_tokens` is without the cache; `reasoning_tokens` is
 * billed as output and counted in our output (ccusage prices it as output but leaves it out of
 * its outputTokens). Cost: `actual_cost_usd` (what the provider billed) under costMode "auto",
 * else computed from tokens at the billing provider's price where the table has one
 * (`<billing_provider>/<model>`), else the model's; `estimated_cost_usd` is Hermes' own estimate and, as in ccusage, not
 * used. Hermes keeps no working folder per session, so there is no project.
 */
export const HERMES_SOURCE = 'hermes' as const;

export function readHermesDb(db: Database, ctx: FileContext): DocumentOutcome {
  const problem = missingTable(db, ctx, 'sessions', 'Hermes');
  if (problem) return { records: [], problem };
  const records: UsageRecord[] = [];
  let malformed = 0;
  for (const row of rowsOf(db, 'SELECT * FROM sessions')) {
    const input = count(row.input_tokens);
    const output = count(row.output_tokens) + count(row.reasoning_tokens);
    const read = count(row.cache_read_tokens);
    const write = count(row.cache_write_tokens);
    if (input + output + read + write === 0) continue;
    const timestamp = sqliteTime(row.started_at);
    if (!Number.isFinite(timestamp)) {
      malformed++;
      continue;
    }
    const actual =
      typeof row.actual_cost_usd === 'number' && Number.isFinite(row.actual_cost_usd) && row.actual_cost_usd >= 0
        ? row.actual_cost_usd
        : null;
    const id = String(row.id);
    const profile = path.basename(path.dirname(path.dirname(ctx.path))) === 'profiles' ? `${path.basename(path.dirname(ctx.path))}:` : '';
    const model = str(row.model) ?? 'unknown';
    // As ccusage: the billing provider's own price first (`openai/gpt-5`), else the model's.
    const provider = str(row.billing_provider);
    const providerModel = provider && !model.startsWith(`${provider}/`) ? `${provider}/${model}` : undefined;
    const priceModel = providerModel && ctx.prices.lookup(providerModel) ? providerModel : model;
    records.push(
      priced(
        {
          dedupKey: `hermes:${profile}${id}`,
          timestamp,
          source: HERMES_SOURCE,
          model,
          project: '',
          sessionId: id,
          inputTokens: input,
          outputTokens: output,
          cacheWriteTokens: write,
          cacheWrite1hTokens: 0,
          cacheReadTokens: read,
          reportedCost: actual,
        },
        ctx,
        priceModel,
      ),
    );
  }
  return { records, malformed };
}

export const hermes: AgentReader = {
  id: 'hermes',
  label: 'Hermes Agent',
  source: HERMES_SOURCE,
  ownsSource: (s) => s === HERMES_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'HERMES_HOME', [path.join(e.home, '.hermes')]),
  files: (root) => [
    ...listFiles(root, (name) => name === 'state.db', 0),
    ...listFiles(path.join(root, 'profiles'), (name) => name === 'state.db', 1),
  ],
  reader: () => ({ kind: 'sqlite', read: readHermesDb }),
};
