import type { AgentId, AgentReader } from './agents';
import { amp } from './amp';
import { claudeDesktop } from './claudeDesktop';
import { codebuff } from './codebuff';
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

/** Every agent read through the AgentReader interface; adding one is a folder and a line here. */
export const AGENTS: readonly AgentReader[] = [
  gemini, copilot, opencode, pi, openclaw, droid, cursor,
  amp, goose, kilo, qwen, kimi, codebuff, hermes, claudeDesktop,
];

export function agentById(id: string): AgentReader | undefined {
  return AGENTS.find((a) => a.id === id);
}

export const AGENT_IDS: readonly AgentId[] = AGENTS.map((a) => a.id);
