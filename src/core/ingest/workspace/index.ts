import type { AgentReader } from '../agents';
import type { CodexState } from '../codex';
import { DEFAULT_WORKSPACE_GLOBS, describeWorkspaceFile, listWorkspaceTranscripts, type WorkspaceFile } from './paths';
import { WORKSPACE_MARKERS, parseWorkspaceObject } from './parser';

export { DEFAULT_WORKSPACE_GLOBS, describeWorkspaceFile, globToRegExp, listWorkspaceTranscripts, type WorkspaceFile } from './paths';
export { WORKSPACE_MARKERS, parseWorkspaceObject } from './parser';

/**
 * Transcripts inside an open workspace folder: the files matching the root's globs
 * (`tokenCost.workspaceTranscripts`, else DEFAULT_WORKSPACE_GLOBS), in Claude Code's, Codex's or
 * a generic token_usage format, detected per line. Roots are the open folders (`paths`).
 */
export const workspace: AgentReader<'workspace'> = {
  id: 'workspace',
  label: 'Workspace transcripts',
  source: 'workspace',
  ownsSource: (s) => s === 'workspace',
  roots: (settings) => [...(settings.paths ?? [])],
  files: (root, listing) => listWorkspaceTranscripts(root, listing.globs ?? DEFAULT_WORKSPACE_GLOBS, listing.nativeRoots),
  reader() {
    let file: WorkspaceFile | undefined;
    return {
      kind: 'lines',
      markers: WORKSPACE_MARKERS,
      parse: (obj, ctx, state, offset) =>
        parseWorkspaceObject(
          obj,
          offset,
          (file ??= describeWorkspaceFile(ctx.root, ctx.path, ctx.mtimeMs)),
          state as CodexState,
          ctx.prices,
          ctx.mode,
        ),
    };
  },
};
