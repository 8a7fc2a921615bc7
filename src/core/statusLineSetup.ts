/**
 * Setting `token-cost statusline` as Claude Code's status-line command in its settings.json, and
 * undoing it. Pure text in, text out (the VS Code command shows the change, keeps the backup and
 * writes the file); a status line the user already had keeps running through `--chain`.
 */
import * as os from 'node:os';
import * as path from 'node:path';

/** `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`. */
export function claudeSettingsFile(env: NodeJS.ProcessEnv = process.env, home = env.HOME || os.homedir()): string {
  const dir = env.CLAUDE_CONFIG_DIR?.split(',')[0]?.trim() || path.join(home, '.claude');
  return path.join(dir, 'settings.json');
}

/** One word for sh: single quotes, with any single quote closed, escaped and reopened. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Marks our command, so setting up twice is a no-op and undo knows what is ours. */
export const OUR_MARK = 'statusline.js';

export interface StatusLineValue {
  type?: string;
  command?: string;
  [k: string]: unknown;
}

export interface SetupPlan {
  /** The file's text after the change (2-space JSON, as Claude Code writes it). */
  text: string;
  before: StatusLineValue | undefined;
  after: StatusLineValue;
  /** The user's previous command, now run through --chain. */
  chained?: string;
}

function parseSettings(text: string | undefined, file: string): Record<string, unknown> {
  if (text === undefined || !text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it first, nothing was changed`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file} does not hold a JSON object; nothing was changed`);
  return v as Record<string, unknown>;
}

/**
 * The settings with our status line, or undefined when it is already ours. `command` is how to
 * run the status-line script (e.g. `node '/home/u/.local/share/token-cost-dashboard/statusline.js'`).
 */
export function planStatusLineSetup(text: string | undefined, file: string, command: string): SetupPlan | undefined {
  const settings = parseSettings(text, file);
  const before = settings.statusLine && typeof settings.statusLine === 'object' ? (settings.statusLine as StatusLineValue) : undefined;
  const previous = typeof before?.command === 'string' && before.command.trim() ? before.command.trim() : undefined;
  if (previous?.includes(OUR_MARK) || previous?.includes('token-cost statusline')) return undefined;
  const after: StatusLineValue = {
    ...(before ?? {}),
    type: 'command',
    command: previous ? `${command} --chain ${shellQuote(previous)}` : command,
  };
  return {
    text: `${JSON.stringify({ ...settings, statusLine: after }, null, 2)}\n`,
    before,
    after,
    ...(previous ? { chained: previous } : {}),
  };
}

/**
 * The settings with the status line as it was before the setup (`previous` undefined: none),
 * leaving every other change made since alone. Undefined when the status line is no longer ours.
 */
export function planStatusLineUndo(text: string | undefined, file: string, previous: StatusLineValue | undefined): string | undefined {
  const settings = parseSettings(text, file);
  const now = settings.statusLine as StatusLineValue | undefined;
  if (typeof now?.command !== 'string' || !now.command.includes(OUR_MARK)) return undefined;
  const next = { ...settings };
  if (previous) next.statusLine = previous;
  else delete next.statusLine;
  return `${JSON.stringify(next, null, 2)}\n`;
}
