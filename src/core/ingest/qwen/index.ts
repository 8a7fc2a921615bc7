import * as path from 'node:path';
import type { ParseOutcome } from '../claude';
import { count, listFiles, pickRoots, priced, str, timeOf, type AgentReader, type FileContext } from '../agents';

/**
 * Qwen Code (a Gemini CLI fork): `${QWEN_DATA_DIR:-~/.qwen}/projects/<sanitized cwd>/chats/
 * <sessionId>.jsonl`. `type: "assistant"` lines carry `usageMetadata.{promptTokenCount,
 * candidatesTokenCount, thoughtsTokenCount, cachedContentTokenCount, totalTokenCount}`.
 *
 * Counting: cached tokens are inside `promptTokenCount` (Qwen's content generators put them
 * there, as Gemini does), so input = prompt - cached and the cached part is cache read, priced
 * once. ccusage 20.0.24 keeps the whole prompt as input and adds the cached tokens again as cache
 * read (counted twice). Thoughts are output. A line is identified by session and `uuid` (resumed
 * sessions can repeat a uuid in another session).
 */
export const QWEN_SOURCE = 'qwen' as const;

export function parseQwenLine(obj: Record<string, unknown>, ctx: FileContext): ParseOutcome {
  const usage = obj.usageMetadata as Record<string, unknown> | undefined;
  if (obj.type !== 'assistant' || !usage || typeof usage !== 'object') return { kind: 'no-usage' };
  const prompt = count(usage.promptTokenCount);
  const cached = Math.min(prompt, count(usage.cachedContentTokenCount));
  const output = count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount);
  if (prompt + output === 0) return { kind: 'no-usage' };
  const timestamp = timeOf(obj.timestamp);
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const sessionId = str(obj.sessionId) ?? path.basename(ctx.path, '.jsonl');
  const id = str(obj.uuid) ?? `${timestamp}:${prompt}:${output}`;
  return {
    kind: 'record',
    record: priced(
      {
        dedupKey: `qwen:${sessionId}:${id}`,
        timestamp,
        source: QWEN_SOURCE,
        model: str(obj.model) ?? 'unknown',
        project: str(obj.cwd) ?? '',
        sessionId,
        inputTokens: prompt - cached,
        outputTokens: output,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
        cacheReadTokens: cached,
      },
      ctx,
    ),
  };
}

export const qwen: AgentReader = {
  id: 'qwen',
  label: 'Qwen Code',
  source: QWEN_SOURCE,
  ownsSource: (s) => s === QWEN_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'QWEN_DATA_DIR', [path.join(e.home, '.qwen')]).map((r) => path.join(r, 'projects')),
  files: (root) => listFiles(root, (name) => name.endsWith('.jsonl'), 4),
  reader: () => ({ kind: 'lines', markers: [Buffer.from('"usageMetadata"')], parse: (obj, ctx) => parseQwenLine(obj, ctx) }),
};
