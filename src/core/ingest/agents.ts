import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import type { Source, UsageRecord } from '../model';
import type { CostMode, PriceTable } from '../pricing/pricing';

/**
 * Every source of transcripts is read through one small interface: where its files are, and how
 * one of its files turns into usage records (with the dedupe key each record carries). Each lives
 * in its own folder below ingest/ (claude/, codex/, workspace/, gemini/, ...) and is registered in
 * registry.ts. The agents of AgentId are switched and pointed at folders by `tokenCost.agents`;
 * Claude Code, Codex and workspace transcripts (TranscriptKind) by their own, older settings.
 */
export type AgentId =
  | 'gemini'
  | 'copilot'
  | 'opencode'
  | 'pi'
  | 'openclaw'
  | 'droid'
  | 'cursor'
  | 'amp'
  | 'goose'
  | 'kilo'
  | 'qwen'
  | 'kimi'
  | 'codebuff'
  | 'hermes'
  | 'claude-desktop';

/** The readers whose folders come from their own settings (claudeConfigDirs, codexHome, workspaceTranscripts). */
export type TranscriptKind = 'claude' | 'codex' | 'workspace';

/** What a root holds, which decides how its files are found and read. */
export type RootKind = TranscriptKind | AgentId;

export type ParseOutcome = { kind: 'record'; record: UsageRecord } | { kind: 'malformed' } | { kind: 'no-usage' };

/** A JSONL line's object, or undefined when the line is not a JSON object (malformed, cut off). */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const obj: unknown = JSON.parse(line);
    return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `tokenCost.agents.<id>`: turn an agent off, or read it from other folders. */
export interface AgentSettings {
  enabled?: boolean;
  /**
   * Folders to read instead of the environment override and the default. For the transcript
   * kinds: Claude Code's config folders (each read at its `projects/`), Codex's home (the first),
   * the open workspace folders.
   */
  paths?: readonly string[];
}

export interface AgentEnv {
  env: NodeJS.ProcessEnv;
  home: string;
}

/** What a reader is told about the file it reads. */
export interface FileContext {
  path: string;
  /** The root folder the file was found under. */
  root: string;
  mtimeMs: number;
  prices: PriceTable;
  mode: CostMode;
  /** A value computed once per scan and shared by its files (a Codex home's config.toml tier). */
  once?<T>(key: string, compute: () => T): T;
}

/** What the scanner knows when it lists a root's files. */
export interface RootListing {
  /** The globs of a workspace root (`tokenCost.workspaceTranscripts`). */
  globs?: readonly string[];
  /** The roots read natively in the same scan: a workspace listing skips what is below them. */
  nativeRoots: readonly string[];
}

/** The result of reading a whole file (a JSON document or a database). */
export interface DocumentOutcome {
  records: UsageRecord[];
  /**
   * Why (part of) the file could not be read, naming the file and, for an unknown schema, its
   * version; the records read before the problem are kept.
   */
  problem?: string;
  /** Malformed entries skipped inside the document. */
  malformed?: number;
}

/**
 * How one file is read. `lines`: JSONL read incrementally from the file's cursor, only lines
 * holding a marker decoded; the state object survives in the cursor between reads. `document`:
 * the whole file, again whenever it changes (records are identified by content, so a re-read
 * adds nothing twice). `sqlite`: a database opened from a copy of its bytes (with its `-wal`
 * file applied), never the agent's file itself.
 */
export type FileReader =
  | {
      kind: 'lines';
      markers: Buffer[];
      parse(obj: Record<string, unknown>, ctx: FileContext, state: Record<string, unknown>, offset: number): ParseOutcome | ParseOutcome[];
    }
  | { kind: 'document'; parse(text: string, ctx: FileContext): DocumentOutcome }
  | { kind: 'sqlite'; read(db: Database, ctx: FileContext): DocumentOutcome };

export interface AgentReader<Id extends RootKind = AgentId> {
  id: Id;
  /** The name users know it by (CLI help, notes). */
  label: string;
  /** The `source` its records carry. OpenClaw's carry `openclaw:<agent id>`. */
  source: Source;
  /** Whether a stored source belongs to this agent. */
  ownsSource(source: string): boolean;
  /** Folders to read: the setting's paths, else the agent's env override, else its default. */
  roots(settings: AgentSettings, e: AgentEnv): string[];
  /** The files below a root this agent reads, in a stable order. */
  files(root: string, listing: RootListing): string[] | Promise<string[]>;
  /** How to read one of those files; undefined: skip it. */
  reader(file: string): FileReader | undefined;
  /**
   * Agents whose usage is not in their local files (Cursor): given the roots that exist, a note
   * for the dashboard and CLI instead of records.
   */
  note?(existingRoots: string[]): string | undefined;
}

/** `~` and `~/x` in settings and env values. */
export function expandHome(p: string, home: string): string {
  const t = p.trim();
  if (t === '~') return home;
  if (t.startsWith('~/')) return path.join(home, t.slice(2));
  return t;
}

/** A comma-separated env value as folders (empty entries dropped). */
export function envList(value: string | undefined, home: string): string[] {
  if (!value || value.trim() === '') return [];
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map((v) => path.resolve(expandHome(v, home)));
}

/** The roots of an agent: settings paths, else the env override (comma list), else the defaults. */
export function pickRoots(settings: AgentSettings, e: AgentEnv, envVar: string | undefined, defaults: string[]): string[] {
  const fromSettings = (settings.paths ?? [])
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => path.resolve(expandHome(p, e.home)));
  if (fromSettings.length) return [...new Set(fromSettings)];
  const fromEnv = envVar ? envList(e.env[envVar], e.home) : [];
  if (fromEnv.length) return [...new Set(fromEnv)];
  return [...new Set(defaults.map((d) => path.resolve(d)))];
}

/** Every file below `dir` whose name passes `accept`, recursively, sorted; a missing folder lists nothing. */
export function listFiles(dir: string, accept: (name: string, full: string) => boolean, maxDepth = 12): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > maxDepth) return;
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full, depth + 1);
      else if (e.isFile() && accept(e.name, full)) out.push(full);
    }
  };
  walk(dir, 0);
  return out.sort();
}

/** Every `*.jsonl` below `dir`, recursively (sorted); a missing folder lists nothing. */
export function listJsonl(dir: string): string[] {
  return listFiles(dir, (name) => name.endsWith('.jsonl'), Infinity);
}

export function homeOf(env: NodeJS.ProcessEnv, home?: string): string {
  return home ?? env.HOME ?? os.homedir();
}

/** XDG data folder (`$XDG_DATA_HOME`, else `~/.local/share`). */
export function xdgData(e: AgentEnv): string {
  const x = e.env.XDG_DATA_HOME?.trim();
  return x ? x : path.join(e.home, '.local', 'share');
}

export const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.trunc(v) : 0);

/** An agent's billing units (credits): a finite number >= 0 as written (fractions kept), else undefined. */
export const creditsOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** A timestamp: ISO text, or epoch milliseconds (seconds when small). NaN when neither. */
export function timeOf(v: unknown): number {
  if (typeof v === 'string' && v !== '') return Date.parse(v);
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? v * 1000 : v;
  return NaN;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** One priced record from counts (the shared tail of every reader). */
export function priced(
  base: Omit<UsageRecord, 'cost' | 'apiCost' | 'unpriced' | 'reportedCost' | 'isSidechain'> & {
    reportedCost?: number | null;
    isSidechain?: boolean;
  },
  ctx: Pick<FileContext, 'prices' | 'mode'>,
  priceModel = base.model,
): UsageRecord {
  const counts = {
    inputTokens: base.inputTokens,
    outputTokens: base.outputTokens,
    cacheWriteTokens: base.cacheWriteTokens,
    cacheWrite1hTokens: base.cacheWrite1hTokens,
    cacheReadTokens: base.cacheReadTokens,
  };
  const reported = base.reportedCost ?? null;
  const { cost, priced: ok } = ctx.prices.cost(priceModel, counts, reported, ctx.mode);
  const apiCost = ctx.prices.apiCost(priceModel, counts, reported, ctx.mode).cost;
  return {
    ...base,
    reportedCost: reported,
    cost,
    ...(apiCost !== cost ? { apiCost } : {}),
    unpriced: !ok,
    isSidechain: base.isSidechain ?? false,
  };
}

/**
 * A problem naming the database file and its schema version (`PRAGMA user_version`) when the
 * table a reader needs is not there (a future schema): the other files are still read.
 */
export function missingTable(db: Database, ctx: Pick<FileContext, 'path'>, needed: string, agent: string): string | undefined {
  const tables = db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values.map((v) => String(v[0])) ?? [];
  if (tables.includes(needed)) return undefined;
  const version = db.exec('PRAGMA user_version')[0]?.values[0]?.[0];
  return `${ctx.path}: no "${needed}" table (${agent} database schema version ${String(version ?? 'unknown')} is not known to this version)`;
}

/** Every row of a query as an object keyed by column name. */
export function rowsOf(db: Database, sql: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const stmt = db.prepare(sql);
  try {
    while (stmt.step()) out.push(stmt.getAsObject() as Record<string, unknown>);
  } finally {
    stmt.free();
  }
  return out;
}

/** The columns of a table (a schema that added or dropped one is read by name, never by position). */
export function columnsOf(db: Database, table: string): Set<string> {
  return new Set(rowsOf(db, `PRAGMA table_info(${table})`).map((r) => String(r.name)));
}

/**
 * A SQLite `CURRENT_TIMESTAMP` text (`YYYY-MM-DD HH:MM:SS`, UTC without a zone), ISO text, or
 * epoch seconds/milliseconds; NaN when none. Plain `Date.parse` would read the SQLite form as
 * local time.
 */
export function sqliteTime(v: unknown): number {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(v.trim()))
    return Date.parse(`${v.trim().replace(' ', 'T')}Z`);
  return timeOf(v);
}
