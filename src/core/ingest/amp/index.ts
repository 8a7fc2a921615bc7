import * as path from 'node:path';
import type { UsageRecord } from '../../model';
import { parseJsonObject } from '../claude';
import {
  count,
  creditsOf,
  listFiles,
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
 * Amp: `${AMP_DATA_DIR:-~/.local/share/amp}/threads/T-<uuid>.json`, one JSON document per thread,
 * rewritten as the thread grows.
 *
 * Counting (as ccusage 20.0.24): each `usageLedger.events[]` entry is one request (`tokens.input`
 * without the cache, `tokens.output`), its cache split taken from the message it produced
 * (`messages[].messageId === toMessageId`: `usage.cacheCreationInputTokens`,
 * `cacheReadInputTokens`). A thread without a ledger (newer schema) counts each message's
 * `usage`. A ledger event's `credits` (Amp's own billing unit) are kept as the request's
 * `credits`; messages carry none. The cost is computed from tokens: credits have no published
 * dollar rate and are not dollars.
 */
export const AMP_SOURCE = 'amp' as const;

type Obj = Record<string, unknown>;
const objects = (v: unknown): Obj[] =>
  Array.isArray(v) ? v.filter((x): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];

export function parseAmpThread(text: string, ctx: FileContext): DocumentOutcome {
  const doc = parseJsonObject(text);
  if (!doc)
    return { records: [], problem: `${ctx.path}: not a complete JSON document (cut off while being written?); read again when it changes` };
  const thread = str(doc.id) ?? path.basename(ctx.path, '.json');
  const messages = objects(doc.messages);
  const byId = new Map<unknown, Obj>();
  for (const m of messages) if (m.messageId !== undefined) byId.set(m.messageId, m);
  const records: UsageRecord[] = [];
  let malformed = 0;
  const push = (
    key: string,
    model: string,
    timestamp: number,
    input: number,
    output: number,
    write: number,
    read: number,
    credits?: number,
  ) => {
    if (input + output + write + read === 0) return;
    records.push(
      priced(
        {
          dedupKey: `amp:${thread}:${key}`,
          timestamp,
          source: AMP_SOURCE,
          model,
          project: '',
          sessionId: thread,
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
  };
  const ledger = doc.usageLedger as Obj | undefined;
  const events = objects(ledger?.events);
  if (events.length) {
    events.forEach((e, i) => {
      const timestamp = timeOf(e.timestamp);
      if (!Number.isFinite(timestamp)) {
        malformed++;
        return;
      }
      const tokens = (e.tokens ?? {}) as Obj;
      const usage = (byId.get(e.toMessageId)?.usage ?? {}) as Obj;
      push(
        `e:${str(e.id) ?? i}`,
        str(e.model) ?? str(usage.model) ?? 'unknown',
        timestamp,
        count(tokens.input),
        count(tokens.output),
        count(usage.cacheCreationInputTokens),
        count(usage.cacheReadInputTokens),
        creditsOf(e.credits),
      );
    });
    return { records, malformed };
  }
  messages.forEach((m, i) => {
    const usage = m.usage as Obj | undefined;
    if (!usage || typeof usage !== 'object') return;
    const timestamp = timeOf(usage.timestamp ?? m.timestamp);
    if (!Number.isFinite(timestamp)) {
      malformed++;
      return;
    }
    const input = count(usage.inputTokens);
    const output = count(usage.outputTokens);
    const write = count(usage.cacheCreationInputTokens);
    const read = count(usage.cacheReadInputTokens);
    // `totalTokens` only when the parts are missing (ccusage's fallback): as input.
    const fallback = input + output + write + read === 0 ? count(usage.totalTokens) : 0;
    push(`m:${m.messageId ?? i}`, str(usage.model) ?? 'unknown', timestamp, input + fallback, output, write, read);
  });
  return { records, malformed };
}

export const amp: AgentReader = {
  id: 'amp',
  label: 'Amp',
  source: AMP_SOURCE,
  ownsSource: (s) => s === AMP_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'AMP_DATA_DIR', [path.join(xdgData(e), 'amp')]).map((r) => path.join(r, 'threads')),
  files: (root) => listFiles(root, (name) => /^T-.+\.json$/.test(name), 0),
  reader: () => ({ kind: 'document', parse: parseAmpThread }),
};
