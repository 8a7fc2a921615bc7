import * as path from 'node:path';
import type { ParseOutcome } from '../claude';
import { count, listFiles, pickRoots, priced, str, timeOf, type AgentReader, type FileContext } from '../agents';

/**
 * pi-agent: `${PI_AGENT_DIR:-~/.pi/agent/sessions}/--<cwd>--/<timestamp>_<uuid>.jsonl`. A
 * `session` header (id, cwd), then `type: "message"` lines; assistant messages carry pi-ai's
 * `usage: {input, output, cacheRead, cacheWrite, totalTokens, cost: {total}}`, input without the
 * cache. Anything in `totalTokens` beyond the four parts is counted as output. The embedded
 * `cost.total` is pi's own figure, used under costMode "auto" (as ccusage does).
 */
export const PI_SOURCE = 'pi-agent' as const;

export interface PiState {
  sessionId?: string;
  cwd?: string;
  model?: string;
}

/**
 * One pi-ai transcript line (pi-agent and OpenClaw write the same shape) into a record: the
 * identity is the session and the line's id (or the provider's response id), so archived copies
 * of a session count once.
 */
export function parsePiAiLine(
  obj: Record<string, unknown>,
  ctx: FileContext,
  state: PiState,
  source: string,
  keyPrefix: string,
  sessionFromPath: string,
): ParseOutcome {
  if (obj.type === 'session') {
    if (str(obj.id)) state.sessionId = obj.id as string;
    if (str(obj.cwd)) state.cwd = obj.cwd as string;
    return { kind: 'no-usage' };
  }
  if (obj.type === 'model_change') {
    if (str(obj.modelId)) state.model = obj.modelId as string;
    return { kind: 'no-usage' };
  }
  if (obj.customType === 'model-snapshot') {
    const d = obj.data as Record<string, unknown> | undefined;
    if (str(d?.modelId)) state.model = d!.modelId as string;
    return { kind: 'no-usage' };
  }
  if (obj.type !== 'message') return { kind: 'no-usage' };
  const message = obj.message as Record<string, unknown> | undefined;
  if (!message || message.role !== 'assistant') return { kind: 'no-usage' };
  const usage = message.usage as Record<string, unknown> | undefined;
  if (!usage || typeof usage !== 'object') return { kind: 'no-usage' };
  const input = count(usage.input);
  const output = count(usage.output);
  const cacheRead = count(usage.cacheRead);
  const cacheWrite = count(usage.cacheWrite);
  const parts = input + output + cacheRead + cacheWrite;
  const extra = Math.max(0, count(usage.totalTokens) - parts);
  if (parts + extra === 0) return { kind: 'no-usage' };
  let timestamp = timeOf(message.timestamp);
  if (!Number.isFinite(timestamp)) timestamp = timeOf(obj.timestamp);
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const model = str(message.modelId) ?? str(message.model) ?? state.model ?? 'unknown';
  const costObj = usage.cost as Record<string, unknown> | undefined;
  const total = costObj && typeof costObj === 'object' ? costObj.total : undefined;
  const reported = typeof total === 'number' && Number.isFinite(total) && total > 0 ? total : null;
  const sessionId = state.sessionId ?? sessionFromPath;
  const id = str(obj.id) ?? str(message.responseId) ?? `${timestamp}:${parts}`;
  return {
    kind: 'record',
    record: priced(
      {
        dedupKey: `${keyPrefix}:${sessionId}:${id}`,
        messageId: str(message.responseId),
        timestamp,
        source: source as never,
        model,
        project: state.cwd ?? '',
        sessionId,
        inputTokens: input,
        outputTokens: output + extra,
        cacheWriteTokens: cacheWrite,
        cacheWrite1hTokens: 0,
        cacheReadTokens: cacheRead,
        reportedCost: reported,
      },
      ctx,
    ),
  };
}

const sessionOfFile = (file: string): string => {
  const base = path.basename(file, '.jsonl');
  const m = /_([0-9a-f-]{36})$/i.exec(base);
  return m ? m[1] : base;
};

export const pi: AgentReader = {
  id: 'pi',
  label: 'pi-agent',
  source: PI_SOURCE,
  ownsSource: (s) => s === PI_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'PI_AGENT_DIR', [path.join(e.home, '.pi', 'agent', 'sessions')]),
  files: (root) => listFiles(root, (name) => name.endsWith('.jsonl')),
  reader: () => ({
    kind: 'lines',
    markers: [Buffer.from('"usage"'), Buffer.from('"type":"session"'), Buffer.from('"model_change"')],
    parse: (obj, ctx, state) => parsePiAiLine(obj, ctx, state as PiState, PI_SOURCE, 'pi', sessionOfFile(ctx.path)),
  }),
};
