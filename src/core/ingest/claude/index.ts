import { listJsonl, type AgentReader } from '../agents';
import { claudeProjectRoots, describeTranscript, type TranscriptFile } from './paths';
import { USAGE_MARKER, parseClaudeObject } from './parser';

export { claudeProjectRoots, describeTranscript, type TranscriptFile } from './paths';
export { USAGE_MARKER, parseClaudeLine, parseClaudeObject } from './parser';
// The line decoding every JSONL reader shares; agents' folders import it from here too.
export { parseJsonObject, type ParseOutcome } from '../agents';

/**
 * Claude Code: `<config dir>/projects/<project>/<session>.jsonl`, and subagents' files below a
 * session's folder. The roots' setting is `tokenCost.claudeConfigDirs` (config folders, each
 * read at its `projects/`), else `$CLAUDE_CONFIG_DIR`, else both default folders.
 */
export const claude: AgentReader<'claude'> = {
  id: 'claude',
  label: 'Claude Code',
  source: 'claude-code',
  ownsSource: (s) => s === 'claude-code' || s === 'claude-code-subagent',
  roots: (settings, e) => claudeProjectRoots({ configDirs: settings.paths, env: e.env, home: e.home }),
  files: (root) => listJsonl(root),
  reader() {
    // What the file's place tells (project, session, subagent), worked out once per file.
    let file: TranscriptFile | undefined;
    return {
      kind: 'lines',
      markers: [USAGE_MARKER],
      parse: (obj, ctx, _state, offset) =>
        parseClaudeObject(obj, offset, (file ??= describeTranscript(ctx.root, ctx.path)), ctx.prices, ctx.mode),
    };
  },
};
