import * as path from 'node:path';
import { parseJsonObject } from '../claude';
import { count, listFiles, pickRoots, priced, str, timeOf, type AgentReader, type DocumentOutcome, type FileContext } from '../agents';

/**
 * Factory Droid: `~/.factory/sessions/<cwd slug>/<sessionId>.jsonl` (the transcript, without
 * token counts) and `<sessionId>.settings.json`, whose `tokenUsage` holds the session's running
 * totals. Overrides: `DROID_SESSIONS_DIR` (comma list of sessions folders), else `FACTORY_DIR`.
 *
 * Counting (as ccusage): one record per session, dated `providerLockTimestamp` (else the file's
 * time), so a long session lands on one day; it is replaced as the totals grow. Thinking tokens
 * are billed and counted as output. `custom:` model names and bracketed suffixes are cleaned.
 */
export const DROID_SOURCE = 'droid' as const;

export function droidModel(raw: string): string {
  return raw
    .replace(/^custom:/, '')
    .replace(/\s*\[[^\]]*\]\s*/g, '')
    .trim();
}

export function parseDroidSettings(text: string, ctx: FileContext): DocumentOutcome {
  const doc = parseJsonObject(text);
  if (!doc)
    return { records: [], problem: `${ctx.path}: not a complete JSON document (cut off while being written?); read again when it changes` };
  const u = doc.tokenUsage as Record<string, unknown> | undefined;
  if (!u || typeof u !== 'object') return { records: [] };
  const input = count(u.inputTokens);
  const output = count(u.outputTokens) + count(u.thinkingTokens);
  const write = count(u.cacheCreationTokens);
  const read = count(u.cacheReadTokens);
  if (input + output + write + read === 0) return { records: [] };
  let timestamp = timeOf(doc.providerLockTimestamp);
  if (!Number.isFinite(timestamp)) timestamp = ctx.mtimeMs;
  const sessionId = path.basename(ctx.path, '.settings.json');
  const model = droidModel(str(doc.model) ?? 'unknown');
  const record = priced(
    {
      dedupKey: `droid:${sessionId}`,
      timestamp,
      source: DROID_SOURCE,
      model,
      project: path.basename(path.dirname(ctx.path)),
      sessionId,
      inputTokens: input,
      outputTokens: output,
      cacheWriteTokens: write,
      cacheWrite1hTokens: 0,
      cacheReadTokens: read,
    },
    ctx,
  );
  return { records: [record] };
}

export const droid: AgentReader = {
  id: 'droid',
  label: 'Droid',
  source: DROID_SOURCE,
  ownsSource: (s) => s === DROID_SOURCE,
  roots: (settings, e) => {
    const fromEnv = e.env.DROID_SESSIONS_DIR?.trim() ? 'DROID_SESSIONS_DIR' : undefined;
    const factory = e.env.FACTORY_DIR?.trim() ? path.join(e.env.FACTORY_DIR.trim(), 'sessions') : path.join(e.home, '.factory', 'sessions');
    return pickRoots(settings, e, fromEnv, [factory]);
  },
  files: (root) => listFiles(root, (name) => name.endsWith('.settings.json'), 2),
  reader: () => ({ kind: 'document', parse: parseDroidSettings }),
};
