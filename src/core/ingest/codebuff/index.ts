import * as path from 'node:path';
import type { UsageRecord } from '../../model';
import {
  count,
  creditsOf,
  listFiles,
  pickRoots,
  priced,
  str,
  timeOf,
  type AgentReader,
  type DocumentOutcome,
  type FileContext,
} from '../agents';

/**
 * Codebuff: `~/.config/manicode/` (and `manicode-dev`, `manicode-staging`)
 * `projects/<project>/chats/<chat id>/chat-messages.json`; `CODEBUFF_DATA_DIR` (comma list)
 * replaces those folders.
 *
 * Counting (as ccusage 20.0.24): each assistant message (variant `ai`, `agent` or `assistant`)
 * with `metadata.usage` or `metadata.codebuff.usage` is a request: `inputTokens` (without the
 * cache), `outputTokens`, `cacheCreationInputTokens`, `cacheReadInputTokens`. Its time is the
 * message's, else the chat id's (a timestamp). The model is `metadata.model` (else
 * `codebuff-unknown`, as ccusage names it). The usage's `credits` (Codebuff's own unit) are kept
 * as the request's `credits`. The cost is computed from tokens: credits have no published dollar
 * rate.
 */
export const CODEBUFF_SOURCE = 'codebuff' as const;
export const CODEBUFF_UNKNOWN_MODEL = 'codebuff-unknown';

type Obj = Record<string, unknown>;
const ASSISTANT = new Set(['ai', 'agent', 'assistant']);

/** A chat id such as `2026-03-14T09-30-00.000Z` as a time. */
function chatTime(chatId: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(\.\d+)?Z?$/.exec(chatId);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}${m[5] ?? ''}Z`) : timeOf(chatId);
}

export function parseCodebuffChat(text: string, ctx: FileContext): DocumentOutcome {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { records: [], problem: `${ctx.path}: not a complete JSON document (cut off while being written?); read again when it changes` };
  }
  const list = Array.isArray(doc) ? doc : Array.isArray((doc as Obj | null)?.messages) ? ((doc as Obj).messages as unknown[]) : undefined;
  if (!list)
    return { records: [], problem: `${ctx.path}: not a Codebuff chat (no message list); this format is not known to this version` };
  const chatId = path.basename(path.dirname(ctx.path));
  const project = path.basename(path.dirname(path.dirname(path.dirname(ctx.path))));
  const records: UsageRecord[] = [];
  let malformed = 0;
  list.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object') return;
    const m = raw as Obj;
    if (!ASSISTANT.has(String(m.variant ?? m.role))) return;
    const meta = (m.metadata ?? {}) as Obj;
    const cb = (meta.codebuff ?? {}) as Obj;
    const usage = (meta.usage ?? cb.usage) as Obj | undefined;
    if (!usage || typeof usage !== 'object') return;
    const input = count(usage.inputTokens);
    const output = count(usage.outputTokens);
    const write = count(usage.cacheCreationInputTokens);
    const read = count(usage.cacheReadInputTokens);
    if (input + output + write + read === 0) return;
    const credits = creditsOf(usage.credits);
    let timestamp = timeOf(m.timestamp);
    if (!Number.isFinite(timestamp)) timestamp = chatTime(chatId);
    if (!Number.isFinite(timestamp)) {
      malformed++;
      return;
    }
    records.push(
      priced(
        {
          dedupKey: `codebuff:${chatId}:${str(m.id) ?? i}`,
          timestamp,
          source: CODEBUFF_SOURCE,
          model: str(meta.model) ?? str(cb.model) ?? str(usage.model) ?? CODEBUFF_UNKNOWN_MODEL,
          project,
          sessionId: chatId,
          inputTokens: input,
          outputTokens: output,
          cacheWriteTokens: write,
          cacheWrite1hTokens: 0,
          cacheReadTokens: read,
          ...(credits === undefined ? {} : { credits }),
        },
        ctx,
      ),
    );
  });
  return { records, malformed };
}

export const codebuff: AgentReader = {
  id: 'codebuff',
  label: 'Codebuff',
  source: CODEBUFF_SOURCE,
  ownsSource: (s) => s === CODEBUFF_SOURCE,
  roots: (settings, e) =>
    pickRoots(
      settings,
      e,
      'CODEBUFF_DATA_DIR',
      ['manicode', 'manicode-dev', 'manicode-staging'].map((d) => path.join(e.home, '.config', d)),
    ).map((r) => path.join(r, 'projects')),
  files: (root) => listFiles(root, (name) => name === 'chat-messages.json', 3),
  reader: () => ({ kind: 'document', parse: parseCodebuffChat }),
};
