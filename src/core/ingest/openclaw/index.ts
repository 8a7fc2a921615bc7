import * as path from 'node:path';
import type { Database } from 'sql.js';
import type { UsageRecord } from '../../model';
import { parseJsonObject } from '../claude';
import { listFiles, pickRoots, type AgentReader, type DocumentOutcome, type FileContext } from '../agents';
import { parsePiAiLine, type PiState } from '../pi';

/**
 * OpenClaw: roots `~/.openclaw` (and its former names `~/.clawdbot`, `~/.moltbot`, `~/.moldbot`),
 * or `OPENCLAW_DIR` (comma list). Each agent has `agents/<agentId>/sessions/<sessionId>.jsonl`
 * (up to 2026.7; with a `sessions.json` index, and archived copies `*.jsonl.deleted.<ts>` /
 * `*.jsonl.reset.<ts>`) and, from 2026.8.1, `agents/<agentId>/agent/openclaw-agent.sqlite`
 * (table `transcript_events`, holding the same lines).
 *
 * Counting: lines have pi-ai's usage shape (input without the cache, `cost.total`). A request is
 * identified by agent, session and line id, so archived copies, and a session imported into the
 * SQLite store while its JSONL is still there, count once. Compaction checkpoints
 * (`*.checkpoint.<uuid>.jsonl`) repeat earlier lines and are never read (ccusage reads them as
 * other sessions). Cron run logs (`cron/runs/*.jsonl`) repeat the usage of their run's session
 * and are not read. Each agent is its own source, `openclaw:<agentId>`, so agents appear by name.
 */
export const OPENCLAW_PREFIX = 'openclaw:';

/** `agents/<id>/…` below a root names the agent. */
export function openClawAgentOf(root: string, file: string): string {
  const rel = path.relative(root, file).split(path.sep);
  return rel[0] === 'agents' && rel.length > 2 ? rel[1] : 'main';
}

function isTranscript(name: string): boolean {
  if (name.includes('.checkpoint.')) return false;
  return name.endsWith('.jsonl') || name.includes('.jsonl.deleted.') || name.includes('.jsonl.reset.');
}

const sessionOfFile = (file: string): string => path.basename(file).split('.jsonl')[0];

export function parseOpenClawLine(obj: Record<string, unknown>, ctx: FileContext, state: PiState) {
  const agent = openClawAgentOf(ctx.root, ctx.path);
  return parsePiAiLine(obj, ctx, state, `${OPENCLAW_PREFIX}${agent}`, `openclaw:${agent}`, sessionOfFile(ctx.path));
}

/** The SQLite store: `transcript_events` rows in order, each session with its own reading state. */
export function readOpenClawDb(db: Database, ctx: FileContext): DocumentOutcome {
  const tables = db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values.map((v) => String(v[0])) ?? [];
  const version = db.exec('PRAGMA user_version')[0]?.values[0]?.[0];
  if (!tables.includes('transcript_events')) {
    return {
      records: [],
      problem: `${ctx.path}: no "transcript_events" table (OpenClaw store schema version ${String(version ?? 'unknown')} is not known to this version)`,
    };
  }
  const columns = db.exec('PRAGMA table_info(transcript_events)')[0]?.values.map((v) => String(v[1])) ?? [];
  const agent = openClawAgentOf(ctx.root, ctx.path);
  const records: UsageRecord[] = [];
  let malformed = 0;
  let compressed = 0;
  const states = new Map<string, PiState>();
  const stmt = db.prepare(`SELECT session_id, event_json FROM transcript_events ORDER BY session_id, seq`);
  try {
    while (stmt.step()) {
      const [session, json] = stmt.get();
      const sid = String(session);
      if (typeof json !== 'string' || json === '') {
        // Schema 23 can keep event bodies zstd-compressed (`event_zstd`), which is not read here.
        if (columns.includes('event_zstd')) compressed++;
        else malformed++;
        continue;
      }
      const obj = parseJsonObject(json);
      if (!obj) {
        malformed++;
        continue;
      }
      let state = states.get(sid);
      if (!state) states.set(sid, (state = { sessionId: sid }));
      const out = parsePiAiLine(obj, ctx, state, `${OPENCLAW_PREFIX}${agent}`, `openclaw:${agent}`, sid);
      if (out.kind === 'record') records.push(out.record);
      else if (out.kind === 'malformed') malformed++;
    }
  } finally {
    stmt.free();
  }
  const problem = compressed
    ? `${ctx.path}: ${compressed} compressed transcript event(s) (OpenClaw store schema version ${String(version ?? 'unknown')}) cannot be read by this version`
    : undefined;
  return { records, malformed, ...(problem ? { problem } : {}) };
}

export const openclaw: AgentReader = {
  id: 'openclaw',
  label: 'OpenClaw',
  source: `${OPENCLAW_PREFIX}main`,
  ownsSource: (s) => s.startsWith(OPENCLAW_PREFIX),
  roots: (settings, e) =>
    pickRoots(
      settings,
      e,
      'OPENCLAW_DIR',
      ['.openclaw', '.clawdbot', '.moltbot', '.moldbot'].map((d) => path.join(e.home, d)),
    ),
  files: (root) =>
    listFiles(
      path.join(root, 'agents'),
      (name, full) => {
        const parent = path.basename(path.dirname(full));
        return (parent === 'sessions' && isTranscript(name)) || (parent === 'agent' && name === 'openclaw-agent.sqlite');
      },
      3,
    ),
  reader: (file) =>
    file.endsWith('.sqlite')
      ? { kind: 'sqlite', read: readOpenClawDb }
      : {
          kind: 'lines',
          markers: [Buffer.from('"usage"'), Buffer.from('"type":"session"'), Buffer.from('"model_change"'), Buffer.from('model-snapshot')],
          parse: (obj, ctx, state) => parseOpenClawLine(obj, ctx, state as PiState),
        },
};
