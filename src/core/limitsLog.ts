/**
 * Where limit snapshots live: `limits.jsonl` in the data folder, one snapshot a line,
 * append-only. A JSON-lines file rather than a table because the status-line command writes it
 * after every Claude Code reply and must not open (or wait for) the database: one `write(2)` of
 * one line under O_APPEND is atomic with respect to other appenders, needs no lock and no
 * sql.js, and costs well under a millisecond. A crash can at worst leave a torn last line; the
 * reader skips it and the next appender starts on a fresh line. Lines are not fsynced: losing
 * the last seconds of readings costs nothing, Claude Code sends a fresh one after the next reply.
 *
 * Node built-ins only: this is on the status-line path.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newestCodexLimits, type LimitSnapshot, type LimitWindow } from './limits';

export const LIMITS_FILE = 'limits.jsonl';
/** Today's cost as last computed by the extension or the CLI, for the status line's `$ today`. */
export const TODAY_FILE = 'today.json';

/**
 * The folder the status-line command and the CLI share: `$XDG_DATA_HOME/token-cost-dashboard`
 * (default `~/.local/share/token-cost-dashboard`). The extension reads limits from here too, so
 * a status-line command needs no flag to reach a running VS Code.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME?.trim() || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'token-cost-dashboard');
}

export const limitsFile = (dataDir: string) => path.join(dataDir, LIMITS_FILE);

/** A snapshot's line: versioned so a later format can be told apart. */
function lineOf(s: LimitSnapshot): string {
  return `${JSON.stringify({ v: 1, ...s })}\n`;
}

function snapshotOf(obj: unknown): LimitSnapshot | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const o = obj as Record<string, unknown>;
  if (o.v !== 1 || (o.source !== 'claude' && o.source !== 'codex') || typeof o.at !== 'number' || !Array.isArray(o.windows))
    return undefined;
  const windows = (o.windows as LimitWindow[]).filter(
    (w) => w && typeof w.minutes === 'number' && typeof w.usedPct === 'number' && typeof w.resetsAt === 'number',
  );
  if (!windows.length) return undefined;
  const { v: _v, ...rest } = o;
  return { ...(rest as unknown as LimitSnapshot), windows };
}

/** Parses the file's text; lines that are not snapshots (a torn tail) are counted, not fatal. */
export function parseLimitsLog(text: string): { snapshots: LimitSnapshot[]; skipped: number } {
  const snapshots: LimitSnapshot[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let s: LimitSnapshot | undefined;
    try {
      s = snapshotOf(JSON.parse(line));
    } catch {
      /* torn */
    }
    if (s) snapshots.push(s);
    else skipped++;
  }
  return { snapshots, skipped };
}

export function readLimitsLog(dataDir: string): LimitSnapshot[] {
  try {
    return parseLimitsLog(fs.readFileSync(limitsFile(dataDir), 'utf8')).snapshots;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Same windows and session figures: a repeat, worth a line only now and then. */
function sameFigures(a: LimitSnapshot, b: LimitSnapshot): boolean {
  if (a.source !== b.source || a.sessionId !== b.sessionId || a.windows.length !== b.windows.length) return false;
  if (Math.round((a.sessionCost ?? 0) * 100) !== Math.round((b.sessionCost ?? 0) * 100)) return false;
  return a.windows.every(
    (w, i) => w.minutes === b.windows[i].minutes && w.usedPct === b.windows[i].usedPct && w.resetsAt === b.windows[i].resetsAt,
  );
}

/** A repeated reading is written at most this often, so the file grows with change, not with replies. */
export const REPEAT_EVERY_MS = 10 * 60_000;

/**
 * Appends a snapshot unless the last line holds the same figures from less than
 * REPEAT_EVERY_MS ago. Returns whether a line was written.
 */
export function appendLimitSnapshot(dataDir: string, s: LimitSnapshot): boolean {
  fs.mkdirSync(dataDir, { recursive: true });
  const fd = fs.openSync(limitsFile(dataDir), fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  try {
    const size = fs.fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const tail = Buffer.alloc(Math.min(size, 4096));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      const text = tail.toString('utf8');
      if (!text.endsWith('\n'))
        prefix = '\n'; // a torn last line stays alone on its line
      else {
        const lines = text.slice(0, -1).split('\n');
        const last = parseLimitsLog(lines[lines.length - 1]).snapshots[0];
        if (last && sameFigures(last, s) && s.at - last.at < REPEAT_EVERY_MS && s.at >= last.at) return false;
      }
    }
    fs.writeSync(fd, prefix + lineOf(s));
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Follows the file as it grows: each `read()` returns the snapshots appended since the last
 * (all of them the first time). A file that shrank (replaced) is read again from the start.
 */
export class LimitsLogFollower {
  private offset = 0;
  private partial = '';
  constructor(readonly file: string) {}

  read(): LimitSnapshot[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        this.offset = 0;
        this.partial = '';
      }
      if (size === this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.partial + buf.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      this.partial = text.slice(cut);
      return parseLimitsLog(text.slice(0, cut)).snapshots;
    } finally {
      fs.closeSync(fd);
    }
  }
}

// ------------------------------------------------------------------ today's cost for the status line

export interface TodayCache {
  /** Calendar day in `timeZone`, YYYY-MM-DD. */
  day: string;
  timeZone: string;
  /** The day's bounds, epoch ms [start, end): the status line checks "still today" without loading time-zone data. */
  start: number;
  end: number;
  cost: number;
  at: number;
}

/** Written under a temporary name and renamed, so the status line never reads half a file. */
export function writeTodayCache(dataDir: string, c: TodayCache): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, TODAY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(c)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readTodayCache(dataDir: string): TodayCache | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dataDir, TODAY_FILE), 'utf8')) as TodayCache;
    return typeof c.day === 'string' && typeof c.cost === 'number' && typeof c.start === 'number' && typeof c.end === 'number'
      ? c
      : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ Codex rollouts

const TAIL_BYTES = 256 * 1024;
const MAX_WHOLE_FILE = 64 * 1024 * 1024;

/** The newest limits of one rollout: from its last 256 KiB, else the whole file. */
export function rolloutLimits(file: string): LimitSnapshot | undefined {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(file);
  const session = m ? m[1] : path.basename(file, '.jsonl');
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const read = (from: number) => {
      const buf = Buffer.alloc(size - from);
      fs.readSync(fd, buf, 0, buf.length, from);
      return buf.toString('utf8');
    };
    const tail = newestCodexLimits(read(Math.max(0, size - TAIL_BYTES)), session);
    if (tail || size <= TAIL_BYTES || size > MAX_WHOLE_FILE) return tail;
    return newestCodexLimits(read(0), session);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The newest limits of each of the `maxFiles` most recently written rollouts under the Codex
 * session folders: one reading per rollout, enough for the current windows and their history.
 */
export function codexLimitSnapshots(
  sessionRoots: readonly string[],
  maxFiles = 60,
  /** Kept between calls (the extension's 30-second pass): a rollout whose size and mtime did not change is not read again. */
  cache?: Map<string, { size: number; mtime: number; snap: LimitSnapshot | undefined }>,
): LimitSnapshot[] {
  const files: Array<{ file: string; mtime: number; size: number }> = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 6) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.jsonl')) {
        try {
          const st = fs.statSync(p);
          files.push({ file: p, mtime: st.mtimeMs, size: st.size });
        } catch {
          /* moved to archived_sessions meanwhile */
        }
      }
    }
  };
  for (const r of sessionRoots) walk(r, 0);
  files.sort((a, b) => b.mtime - a.mtime);
  const out: LimitSnapshot[] = [];
  const kept = files.slice(0, maxFiles);
  for (const f of kept) {
    const hit = cache?.get(f.file);
    const s = hit && hit.size === f.size && hit.mtime === f.mtime ? hit.snap : rolloutLimits(f.file);
    cache?.set(f.file, { size: f.size, mtime: f.mtime, snap: s });
    if (s) out.push(s);
  }
  if (cache && cache.size > kept.length * 2) {
    const live = new Set(kept.map((f) => f.file));
    for (const k of cache.keys()) if (!live.has(k)) cache.delete(k);
  }
  return out;
}
