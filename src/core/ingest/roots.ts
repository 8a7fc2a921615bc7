import { claudeProjectRoots } from './claude';
import { codexSessionRoots } from './codex';
import type { ScanRoot } from './scanner';
import { DEFAULT_WORKSPACE_GLOBS } from './workspace';

export interface RootOptions {
  /** `tokenCost.claudeConfigDirs`; empty: `$CLAUDE_CONFIG_DIR`, else the default folders. */
  claudeConfigDirs?: readonly string[];
  /** `tokenCost.codexHome`; empty: `$CODEX_HOME`, else `~/.codex`. */
  codexHome?: string;
  /** Open workspace folders with the globs of transcripts to read in each. */
  workspaces?: readonly { folder: string; globs?: readonly string[] }[];
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Every folder the engine reads, each with the kind of its files: Claude, Codex, workspaces. */
export function usageRoots(opts: RootOptions = {}): ScanRoot[] {
  const claude = claudeProjectRoots({ configDirs: opts.claudeConfigDirs, env: opts.env, home: opts.home }).map((p): ScanRoot => ({ path: p, kind: 'claude' }));
  const codex = codexSessionRoots({ codexHome: opts.codexHome, env: opts.env, home: opts.home }).map((p): ScanRoot => ({ path: p, kind: 'codex' }));
  const workspaces = (opts.workspaces ?? []).map((w): ScanRoot => ({
    path: w.folder,
    kind: 'workspace',
    globs: w.globs && w.globs.length > 0 ? w.globs : DEFAULT_WORKSPACE_GLOBS,
  }));
  return [...claude, ...codex, ...workspaces];
}
