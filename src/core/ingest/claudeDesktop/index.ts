import * as path from 'node:path';
import { USAGE_MARKER, describeTranscript, parseClaudeObject, type ParseOutcome } from '../claude';
import { listFiles, pickRoots, type AgentReader, type FileContext } from '../agents';

/**
 * Claude Desktop's local agent mode (Cowork): the app runs Claude Code with a home per session
 * and writes ordinary Claude Code transcripts under
 * `local-agent-mode-sessions/**\/.claude/projects/` in the app's folder: macOS
 * `~/Library/Application Support/Claude/`, Linux `~/.config/Claude/`, Windows `%APPDATA%/Claude/`
 * (and the Store build's `%LOCALAPPDATA%/Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude/`);
 * `COWORK_CONFIG_DIR` replaces them.
 *
 * Read with the Claude Code reader (same format, same counting, same identity: message id and
 * request id), so a request also kept under `~/.claude` is one request; its source is
 * `claude-desktop`.
 */
export const CLAUDE_DESKTOP_SOURCE = 'claude-desktop' as const;

/** The `.../.claude/projects` folder a transcript is under (the Claude reader's root). */
function projectsRootOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  for (let i = parts.length - 2; i > 0; i--)
    if (parts[i] === 'projects' && parts[i - 1] === '.claude') return parts.slice(0, i + 1).join(path.sep);
  return undefined;
}

export function parseClaudeDesktopLine(obj: Record<string, unknown>, ctx: FileContext, offset: number): ParseOutcome {
  const root = projectsRootOf(ctx.path) ?? ctx.root;
  const outcome = parseClaudeObject(obj, offset, describeTranscript(root, ctx.path), ctx.prices, ctx.mode);
  if (outcome.kind === 'record') outcome.record.source = CLAUDE_DESKTOP_SOURCE;
  return outcome;
}

export const claudeDesktop: AgentReader = {
  id: 'claude-desktop',
  label: 'Claude Desktop (local agent mode)',
  source: CLAUDE_DESKTOP_SOURCE,
  ownsSource: (s) => s === CLAUDE_DESKTOP_SOURCE,
  roots: (settings, e) => {
    const appData = e.env.APPDATA?.trim();
    const local = e.env.LOCALAPPDATA?.trim();
    return pickRoots(settings, e, 'COWORK_CONFIG_DIR', [
      path.join(e.home, 'Library', 'Application Support', 'Claude', 'local-agent-mode-sessions'),
      path.join(e.home, '.config', 'Claude', 'local-agent-mode-sessions'),
      ...(appData ? [path.join(appData, 'Claude', 'local-agent-mode-sessions')] : []),
      ...(local
        ? [path.join(local, 'Packages', 'Claude_pzs8sxrjxfjjc', 'LocalCache', 'Roaming', 'Claude', 'local-agent-mode-sessions')]
        : []),
    ]);
  },
  files: (root) => listFiles(root, (name, full) => name.endsWith('.jsonl') && projectsRootOf(full) !== undefined, 16),
  reader: () => ({ kind: 'lines', markers: [USAGE_MARKER], parse: (obj, ctx, _state, offset) => parseClaudeDesktopLine(obj, ctx, offset) }),
};
