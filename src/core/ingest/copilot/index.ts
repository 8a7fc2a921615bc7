import * as path from 'node:path';
import type { UsageRecord } from '../../model';
import type { ParseOutcome } from '../claude';
import { count, listFiles, pickRoots, priced, str, timeOf, type AgentReader, type FileContext } from '../agents';
import { otelFiles, parseCopilotOtelLine, rememberOtelExport } from './otel';

/**
 * GitHub Copilot CLI: `${COPILOT_HOME:-~/.copilot}/session-state/<sessionId>/events.jsonl`
 * (`COPILOT_CONFIG_DIR` is ccusage's name for the same override; both are read).
 *
 * Counting (as ccusage 20.0.24): each `session.shutdown` event is one process's snapshot, per
 * model, in `data.modelMetrics.<model>.usage`; a resumed session writes another shutdown, and
 * the snapshots add up. `inputTokens` includes cache reads and writes, which are taken out.
 * Reasoning tokens are inside output except for Gemini models, whose thoughts are separate and
 * added to output. A session that has not shut down yet (still running, or killed) has no usage
 * until it does. The cost is computed from tokens (`requests.cost` is premium-request units,
 * not dollars).
 *
 * The OpenTelemetry file export (otel.ts) is read too, for the sessions that have no
 * session-state folder (session-state turned off, or an export from elsewhere); a session in both
 * is counted once, from its shutdown snapshots here.
 */
export const COPILOT_SOURCE = 'copilot-cli' as const;

interface CopilotState {
  cwd?: string;
}

/** The price-table name: Copilot's routing suffixes dropped, Claude's dotted versions dashed. */
export function copilotPriceModel(model: string): string {
  let m = model;
  for (const suffix of ['-1m-internal', '-internal', '-xhigh', '-high', '-1m']) if (m.endsWith(suffix)) m = m.slice(0, -suffix.length);
  if (m.startsWith('claude-')) m = m.replace(/(\d)\.(\d)/g, '$1-$2');
  return m;
}

export function parseCopilotLine(obj: Record<string, unknown>, ctx: FileContext, state: CopilotState): ParseOutcome | ParseOutcome[] {
  const data = obj.data as Record<string, unknown> | undefined;
  if (obj.type === 'session.start') {
    const c = data?.context as Record<string, unknown> | undefined;
    const cwd = str(c?.cwd) ?? str(c?.gitRoot);
    if (cwd) state.cwd = cwd;
    return { kind: 'no-usage' };
  }
  if (obj.type !== 'session.shutdown' || !data || typeof data !== 'object') return { kind: 'no-usage' };
  const metrics = data.modelMetrics as Record<string, unknown> | undefined;
  if (!metrics || typeof metrics !== 'object') return { kind: 'no-usage' };
  const timestamp = timeOf(obj.timestamp);
  if (!Number.isFinite(timestamp)) return { kind: 'malformed' };
  const sessionId = path.basename(path.dirname(ctx.path));
  const eventId = str(obj.id) ?? String(timestamp);
  const out: ParseOutcome[] = [];
  for (const [model, v] of Object.entries(metrics)) {
    const m = v as Record<string, unknown> | undefined;
    const u = (m?.usage ?? {}) as Record<string, unknown>;
    const requests = (m?.requests ?? {}) as Record<string, unknown>;
    const cacheRead = count(u.cacheReadTokens);
    const cacheWrite = count(u.cacheWriteTokens);
    const input = Math.max(0, count(u.inputTokens) - cacheRead - cacheWrite);
    const reasoning = /^gemini/i.test(model) ? count(u.reasoningTokens) : 0;
    const output = count(u.outputTokens) + reasoning;
    if (input + output + cacheRead + cacheWrite === 0 && count(requests.count) === 0) continue;
    const record: UsageRecord = priced(
      {
        dedupKey: `copilot:${sessionId}:${eventId}:${model}`,
        timestamp,
        source: COPILOT_SOURCE,
        model,
        project: state.cwd ?? '',
        sessionId,
        inputTokens: input,
        outputTokens: output,
        cacheWriteTokens: cacheWrite,
        cacheWrite1hTokens: 0,
        cacheReadTokens: cacheRead,
      },
      ctx,
      copilotPriceModel(model),
    );
    out.push({ kind: 'record', record });
  }
  return out;
}

export const copilot: AgentReader = {
  id: 'copilot',
  label: 'GitHub Copilot CLI',
  source: COPILOT_SOURCE,
  ownsSource: (s) => s === COPILOT_SOURCE,
  roots: (settings, e) => {
    const override = str(e.env.COPILOT_HOME) ? 'COPILOT_HOME' : 'COPILOT_CONFIG_DIR';
    const homes = pickRoots(settings, e, override, [path.join(e.home, '.copilot')]);
    const exportFile = str(e.env.COPILOT_OTEL_FILE_EXPORTER_PATH)?.trim();
    const roots: string[] = [];
    for (const h of homes) {
      for (const exportRoot of [path.join(h, 'otel'), ...(exportFile ? [path.resolve(exportFile)] : [])])
        rememberOtelExport(exportRoot, path.join(h, 'session-state'));
      roots.push(path.join(h, 'session-state'), path.join(h, 'otel'));
    }
    if (exportFile) roots.push(path.resolve(exportFile));
    return [...new Set(roots)];
  },
  files: (root) => (path.basename(root) === 'session-state' ? listFiles(root, (name) => name === 'events.jsonl', 2) : otelFiles(root)),
  reader: (file) =>
    path.basename(file) === 'events.jsonl' && path.basename(path.dirname(path.dirname(file))) === 'session-state'
      ? {
          kind: 'lines',
          markers: [Buffer.from('"session.shutdown"'), Buffer.from('"session.start"')],
          parse: (obj, ctx, state) => parseCopilotLine(obj, ctx, state as CopilotState),
        }
      : {
          kind: 'lines',
          markers: [Buffer.from('gen_ai.usage')],
          parse: (obj, ctx) => parseCopilotOtelLine(obj, ctx, copilotPriceModel, COPILOT_SOURCE),
        },
};
