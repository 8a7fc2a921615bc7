import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The rollout folders to read: `<codex home>/sessions` (recursive, by date) and
 * `<codex home>/archived_sessions`, where the home is the setting, else `$CODEX_HOME`, else `~/.codex`.
 */
export function codexSessionRoots(opts: { codexHome?: string; env?: NodeJS.ProcessEnv; home?: string } = {}): string[] {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? os.homedir();
  let base = opts.codexHome?.trim() || env.CODEX_HOME?.trim() || path.join(home, '.codex');
  if (base === '~') base = home;
  else if (base.startsWith('~/')) base = path.join(home, base.slice(2));
  base = path.resolve(base);
  return [path.join(base, 'sessions'), path.join(base, 'archived_sessions')];
}

/**
 * Whether a Codex home runs in a fast service tier: its `config.toml` sets `service_tier` to
 * "fast" or "priority" anywhere (top level or a profile). ccusage 20.0.24 (`--speed auto`) then
 * prices that home's usage at the model's fast multiplier, keeping the model name, except where
 * the rollout itself records a tier (`thread_settings_applied`, see parseCodexLine), which wins.
 */
export function codexFastTier(codexHome: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8');
  } catch {
    return false;
  }
  return /^[ \t]*service_tier[ \t]*=[ \t]*["'](?:fast|priority)["']/m.test(text);
}

export interface CodexFile {
  path: string;
  /** Session id from the rollout's name (`rollout-<time>-<uuid>.jsonl`), until session_meta says. */
  sessionFromPath: string;
}

export function describeCodexFile(file: string): CodexFile {
  const base = path.basename(file, '.jsonl');
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(base);
  return { path: file, sessionFromPath: m ? m[1] : base };
}
