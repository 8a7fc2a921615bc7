import { homeOf, type AgentId, type AgentSettings } from './agents';
import { claude } from './claude';
import { codex } from './codex';
import { AGENTS } from './registry';
import type { ScanRoot } from './scanner';
import { DEFAULT_WORKSPACE_GLOBS } from './workspace';

export interface RootOptions {
  /** `tokenCost.claudeConfigDirs`; empty: `$CLAUDE_CONFIG_DIR`, else the default folders. */
  claudeConfigDirs?: readonly string[];
  /** `tokenCost.codexHome`; empty: `$CODEX_HOME`, else `~/.codex`. */
  codexHome?: string;
  /** Open workspace folders with the globs of transcripts to read in each. */
  workspaces?: readonly { folder: string; globs?: readonly string[] }[];
  /** `tokenCost.agents`: per agent, off (`enabled: false`) or other folders (`paths`). */
  agents?: Partial<Record<AgentId, AgentSettings>>;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** The other agents' folders (AGENTS in registry.ts), each agent unless its setting turns it off. */
export function agentRoots(opts: Pick<RootOptions, 'agents' | 'env' | 'home'> = {}): ScanRoot[] {
  const env = opts.env ?? process.env;
  const home = homeOf(env, opts.home);
  const out: ScanRoot[] = [];
  for (const agent of AGENTS) {
    const settings = opts.agents?.[agent.id] ?? {};
    if (settings.enabled === false) continue;
    for (const p of agent.roots(settings, { env, home })) out.push({ path: p, kind: agent.id });
  }
  return out;
}

/** Every folder the engine reads, each with the kind of its files: Claude, Codex, the other agents, workspaces. */
export function usageRoots(opts: RootOptions = {}): ScanRoot[] {
  const env = opts.env ?? process.env;
  const e = { env, home: homeOf(env, opts.home) };
  const claudeRoots = claude.roots({ paths: opts.claudeConfigDirs }, e).map((p): ScanRoot => ({ path: p, kind: 'claude' }));
  const codexHome = opts.codexHome === undefined ? undefined : [opts.codexHome];
  const codexRoots = codex.roots({ paths: codexHome }, e).map((p): ScanRoot => ({ path: p, kind: 'codex' }));
  const workspaces = (opts.workspaces ?? []).map((w): ScanRoot => ({
    path: w.folder,
    kind: 'workspace',
    globs: w.globs && w.globs.length > 0 ? w.globs : DEFAULT_WORKSPACE_GLOBS,
  }));
  return [...claudeRoots, ...codexRoots, ...agentRoots(opts), ...workspaces];
}
