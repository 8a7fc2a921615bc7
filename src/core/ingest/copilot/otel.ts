import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ParseOutcome } from '../claude';
import { count, listFiles, priced, str, timeOf, type FileContext } from '../agents';

/**
 * GitHub Copilot CLI's OpenTelemetry file export: `~/.copilot/otel/*.jsonl`, or the file named
 * by `COPILOT_OTEL_FILE_EXPORTER_PATH`; one JSON span (or log, or metric) per line with the
 * OpenTelemetry `gen_ai.*` attributes.
 *
 * Counting (as ccusage 20.0.24): each `chat` span is one model call: `gen_ai.usage.input_tokens`
 * includes the cache reads (`gen_ai.usage.cache_read.input_tokens`), which are taken out; cache
 * writes (`cache_creation.input_tokens`) are their own count beside it; `invoke_agent` and other spans that sum
 * their chat spans are not counted again. The span's start time dates it; its trace and span
 * ids identify it. The session is `gen_ai.conversation.id`, the session-state folder's name; a
 * session that also has a session-state folder is counted from there only (hasSessionState).
 */

type Obj = Record<string, unknown>;

/** OpenTelemetry's `[seconds, nanoseconds]` time, ISO text, or epoch (ns, ms or s). */
function otelTime(v: unknown): number {
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0] * 1000 + (typeof v[1] === 'number' ? v[1] / 1e6 : 0);
  if (typeof v === 'number' && v > 1e15) return v / 1e6;
  if (typeof v === 'string' && /^\d{16,}$/.test(v)) return Number(v) / 1e6;
  return timeOf(v);
}

/** Attributes as a flat object (the exporter's object form, or OTLP's `[{key, value}]` list). */
function attributesOf(v: unknown): Obj {
  if (Array.isArray(v)) {
    const out: Obj = {};
    for (const a of v as Obj[]) {
      const val = (a?.value ?? {}) as Obj;
      if (typeof a?.key === 'string')
        out[a.key] = val.intValue !== undefined ? Number(val.intValue) : (val.stringValue ?? val.doubleValue ?? val);
    }
    return out;
  }
  return v && typeof v === 'object' ? (v as Obj) : {};
}

export function parseCopilotOtelLine(obj: Obj, ctx: FileContext, priceModel: (m: string) => string, source: string): ParseOutcome {
  const a = attributesOf(obj.attributes);
  const op = str(a['gen_ai.operation.name']) ?? (typeof obj.name === 'string' && obj.name.startsWith('chat') ? 'chat' : undefined);
  if (op !== 'chat') return { kind: 'no-usage' };
  const cacheRead = count(a['gen_ai.usage.cache_read.input_tokens'] ?? a['gen_ai.usage.cache_read_input_tokens']);
  const cacheWrite = count(a['gen_ai.usage.cache_creation.input_tokens'] ?? a['gen_ai.usage.cache_creation_input_tokens']);
  const input = Math.max(0, count(a['gen_ai.usage.input_tokens']) - cacheRead);
  const output = count(a['gen_ai.usage.output_tokens']);
  if (input + output + cacheRead + cacheWrite === 0) return { kind: 'no-usage' };
  const timestamp = otelTime(obj.startTime ?? obj.startTimeUnixNano ?? obj.timestamp ?? obj.endTime);
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const sessionId = str(a['gen_ai.conversation.id']) ?? str(a['session.id']) ?? '';
  if (sessionId && hasSessionState(ctx.root, sessionId)) return { kind: 'no-usage' };
  const model = str(a['gen_ai.response.model']) ?? str(a['gen_ai.request.model']) ?? 'unknown';
  const span = str(obj.spanId) ?? str((obj.spanContext as Obj | undefined)?.spanId) ?? str(a['gen_ai.response.id']) ?? String(timestamp);
  const trace = str(obj.traceId) ?? str((obj.spanContext as Obj | undefined)?.traceId) ?? '';
  return {
    kind: 'record',
    record: priced(
      {
        dedupKey: `copilot-otel:${trace}:${span}`,
        timestamp,
        source: source as never,
        model,
        project: '',
        sessionId,
        inputTokens: input,
        outputTokens: output,
        cacheWriteTokens: cacheWrite,
        cacheWrite1hTokens: 0,
        cacheReadTokens: cacheRead,
      },
      ctx,
      priceModel(model),
    ),
  };
}

/**
 * The session-state folders of the Copilot homes whose export each export root is (`~/.copilot/otel`
 * belongs to `~/.copilot/session-state`; `$COPILOT_OTEL_FILE_EXPORTER_PATH` to every home read):
 * filled when the roots are worked out, which each scan does first.
 */
const sessionStatesByExport = new Map<string, Set<string>>();

export function rememberOtelExport(exportRoot: string, sessionState: string): void {
  const key = path.resolve(exportRoot);
  const set = sessionStatesByExport.get(key) ?? new Set<string>();
  set.add(path.resolve(sessionState));
  sessionStatesByExport.set(key, set);
}

/** The export files below (or at) a root: `*.jsonl` in the otel folder, or the one named file. */
export function otelFiles(root: string): string[] {
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st) return [];
  if (st.isFile()) return [root];
  return listFiles(root, (name) => name.endsWith('.jsonl') || name.endsWith('.json'), 2);
}

/**
 * Whether a session has a session-state folder (`<home>/session-state/<id>/events.jsonl`, made at
 * its start, before any call). Such a session is counted from its session.shutdown snapshots
 * (as ccusage counts it), and its spans are not counted again; this holds whichever file is read
 * first, and whenever the export is flushed.
 */
export function hasSessionState(exportRoot: string, sessionId: string): boolean {
  if (!/^[\w.-]+$/.test(sessionId)) return false;
  for (const dir of sessionStatesByExport.get(path.resolve(exportRoot)) ?? []) {
    if (fs.existsSync(path.join(dir, sessionId, 'events.jsonl'))) return true;
  }
  return false;
}
