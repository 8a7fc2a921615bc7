import * as path from 'node:path';
import type { UsageRecord } from '../../model';
import { parseJsonObject, type ParseOutcome } from '../claude';
import { count, listFiles, pickRoots, priced, str, timeOf, type AgentReader, type DocumentOutcome, type FileContext } from '../agents';

/**
 * Gemini CLI: `~/.gemini/tmp/<projectHash>/chats/session-*.json` (one JSON document per session,
 * up to early 2026) and `*.jsonl` (2026: metadata first, each message appended again whenever it
 * updates). `GEMINI_DATA_DIR` replaces `~/.gemini/tmp` (comma list).
 *
 * Counting: `tokens.cached` is inside `tokens.input` when the total says so (total = input +
 * output + thoughts + tool), and is then taken out of input and counted as cache reads, as
 * ccusage does; `tool` tokens are input; `thoughts` are billed as output and counted as output
 * (ccusage prices them as output but shows them only in its total). A message is identified by
 * session and message id, so a session kept in both forms (a legacy `.json` migrated to `.jsonl`
 * on resume leaves the old file) counts once; ccusage counts it twice.
 */
export const GEMINI_SOURCE = 'gemini-cli' as const;

interface GeminiState {
  sessionId?: string;
  model?: string;
}

function sessionFromName(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/, '');
}

/** One `type: "gemini"` message into a record, or undefined when it carries no tokens. */
function messageRecord(
  m: Record<string, unknown>,
  sessionId: string,
  fallbackTs: number,
  modelHint: string | undefined,
  ctx: FileContext,
  project: string,
): ParseOutcome {
  const tokens = m.tokens as Record<string, unknown> | undefined;
  if (!tokens || typeof tokens !== 'object') return { kind: 'no-usage' };
  const model = str(m.model) ?? modelHint;
  if (!model) return { kind: 'no-usage' };
  const input = count(tokens.input ?? tokens.prompt);
  const output = count(tokens.output ?? tokens.candidates);
  const cached = count(tokens.cached);
  const thoughts = count(tokens.thoughts ?? tokens.reasoning);
  const tool = count(tokens.tool);
  const total = typeof tokens.total === 'number' ? count(tokens.total) : undefined;
  const inclusive = input + output + thoughts + tool;
  const cacheInside = cached > 0 && total === inclusive && total !== inclusive + cached;
  const inputNoCache = cacheInside ? input - Math.min(input, cached) : input;
  const inputTokens = inputNoCache + tool;
  const parts = inputTokens + output + cached;
  // Whatever the total holds beyond the parts (the thoughts) is billed as output.
  const extra = Math.max(thoughts, (total ?? parts + thoughts) - parts);
  if (inputTokens + output + cached + extra === 0) return { kind: 'no-usage' };
  let timestamp = timeOf(m.timestamp ?? m.created_at);
  if (!Number.isFinite(timestamp)) timestamp = fallbackTs;
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const id = str(m.id);
  const record: UsageRecord = priced(
    {
      dedupKey: id ? `gemini:${sessionId}:${id}` : `gemini:${sessionId}:${timestamp}:${input}:${output}`,
      messageId: id,
      timestamp,
      source: GEMINI_SOURCE,
      model,
      project,
      sessionId,
      inputTokens,
      outputTokens: output + extra,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: cached,
    },
    ctx,
  );
  return { kind: 'record', record };
}

/** The project hash folder (`tmp/<hash>/chats/…`) names the project; Gemini keeps no cwd here. */
function projectOf(ctx: FileContext): string {
  const rel = path.relative(ctx.root, ctx.path).split(path.sep);
  return rel.length > 1 ? rel[0] : '';
}

export function parseGeminiDocument(text: string, ctx: FileContext): DocumentOutcome {
  const doc = parseJsonObject(text);
  if (!doc)
    return { records: [], problem: `${ctx.path}: not a complete JSON document (cut off while being written?); read again when it changes` };
  const messages = doc.messages;
  if (!Array.isArray(messages)) {
    return {
      records: [],
      problem: `${ctx.path}: no "messages" list; an unknown Gemini CLI session format${doc.version !== undefined ? ` (version ${String(doc.version)})` : ''}`,
    };
  }
  const sessionId = str(doc.sessionId) ?? str(doc.session_id) ?? sessionFromName(ctx.path);
  const sessionTs = timeOf(doc.startTime ?? doc.lastUpdated);
  const fallback = Number.isFinite(sessionTs) ? sessionTs : ctx.mtimeMs;
  const records: UsageRecord[] = [];
  let malformed = 0;
  for (const m of messages) {
    if (!m || typeof m !== 'object' || (m as Record<string, unknown>).type !== 'gemini') continue;
    const out = messageRecord(m as Record<string, unknown>, sessionId, fallback, undefined, ctx, projectOf(ctx));
    if (out.kind === 'record') records.push(out.record);
    else if (out.kind === 'malformed') malformed++;
  }
  return { records, malformed };
}

export function parseGeminiLine(obj: Record<string, unknown>, ctx: FileContext, state: GeminiState): ParseOutcome {
  const sid = str(obj.sessionId) ?? str(obj.session_id);
  if (sid) state.sessionId = sid;
  if (str(obj.model)) state.model = obj.model as string;
  if (obj.type !== 'gemini') return { kind: 'no-usage' };
  return messageRecord(obj, state.sessionId ?? sessionFromName(ctx.path), ctx.mtimeMs, state.model, ctx, projectOf(ctx));
}

export const gemini: AgentReader = {
  id: 'gemini',
  label: 'Gemini CLI',
  source: GEMINI_SOURCE,
  ownsSource: (s) => s === GEMINI_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'GEMINI_DATA_DIR', [path.join(e.home, '.gemini', 'tmp')]),
  // Only chat files: `tmp/<hash>/` also holds `logs.json` (the prompt history, no usage).
  files: (root) =>
    listFiles(root, (name, full) => (name.endsWith('.json') || name.endsWith('.jsonl')) && full.split(path.sep).includes('chats')),
  reader: (file) =>
    file.endsWith('.jsonl')
      ? {
          kind: 'lines',
          markers: [Buffer.from('"tokens"'), Buffer.from('"sessionId"'), Buffer.from('"model"')],
          parse: (obj, ctx, state) => parseGeminiLine(obj, ctx, state as GeminiState),
        }
      : { kind: 'document', parse: parseGeminiDocument },
};
