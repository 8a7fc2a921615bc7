import type { AgentId, AgentReader, RootKind } from './agents';
import { amp } from './amp';
import { claude } from './claude';
import { claudeDesktop } from './claudeDesktop';
import { codebuff } from './codebuff';
import { codex } from './codex';
import { copilot } from './copilot';
import { cursor } from './cursor';
import { droid } from './droid';
import { gemini } from './gemini';
import { goose } from './goose';
import { hermes } from './hermes';
import { kilo } from './kilo';
import { kimi } from './kimi';
import { openclaw } from './openclaw';
import { opencode } from './opencode';
import { pi } from './pi';
import { qwen } from './qwen';
import { workspace } from './workspace';

/** Claude Code, Codex and workspace transcripts: their folders come from their own settings (roots.ts). */
export const TRANSCRIPT_READERS = [claude, codex, workspace] as const;

/** Every agent read through the AgentReader interface; adding one is a folder and a line here. */
export const AGENTS: readonly AgentReader[] = [
  gemini,
  copilot,
  opencode,
  pi,
  openclaw,
  droid,
  cursor,
  amp,
  goose,
  kilo,
  qwen,
  kimi,
  codebuff,
  hermes,
  claudeDesktop,
];

export function agentById(id: string): AgentReader | undefined {
  return AGENTS.find((a) => a.id === id);
}

export const AGENT_IDS: readonly AgentId[] = AGENTS.map((a) => a.id);

/** The reader of a kind of root (what the scanner dispatches on). */
export function readerFor(kind: RootKind): AgentReader<RootKind> | undefined {
  return TRANSCRIPT_READERS.find((r) => r.id === kind) ?? agentById(kind);
}
