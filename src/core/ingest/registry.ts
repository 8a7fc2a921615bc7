import type { AgentId, AgentReader } from './agents';
import { copilot } from './copilot';
import { cursor } from './cursor';
import { droid } from './droid';
import { gemini } from './gemini';
import { openclaw } from './openclaw';
import { opencode } from './opencode';
import { pi } from './pi';

/** Every agent read through the AgentReader interface; adding one is a folder and a line here. */
export const AGENTS: readonly AgentReader[] = [gemini, copilot, opencode, pi, openclaw, droid, cursor];

export function agentById(id: string): AgentReader | undefined {
  return AGENTS.find((a) => a.id === id);
}

export const AGENT_IDS: readonly AgentId[] = AGENTS.map((a) => a.id);
