import * as path from 'node:path';
import { listJsonl, type AgentReader } from '../agents';
import { codexFastTier, codexSessionRoots, describeCodexFile } from './paths';
import { CODEX_MARKERS, parseCodexLine, type CodexState } from './parser';

export { codexFastTier, codexSessionRoots, describeCodexFile, type CodexFile } from './paths';
export { CODEX_FALLBACK_MODEL, CODEX_MARKERS, parseCodexLine, type CodexState } from './parser';

/**
 * Codex CLI: every `*.jsonl` rollout below `<codex home>/sessions` and `archived_sessions`. The
 * roots' setting is `tokenCost.codexHome` (the first of `paths`), else `$CODEX_HOME`, else `~/.codex`.
 */
export const codex: AgentReader<'codex'> = {
  id: 'codex',
  label: 'Codex CLI',
  source: 'codex',
  ownsSource: (s) => s === 'codex',
  roots: (settings, e) => codexSessionRoots({ codexHome: settings.paths?.[0], env: e.env, home: e.home }),
  files: (root) => listJsonl(root),
  reader(filePath) {
    const file = describeCodexFile(filePath);
    let fast: boolean | undefined;
    return {
      kind: 'lines',
      markers: CODEX_MARKERS,
      parse(obj, ctx, state) {
        if (fast === undefined) {
          // A root is `<codex home>/sessions` or `<codex home>/archived_sessions`; the home's tier is read once per scan.
          const home = path.dirname(ctx.root);
          fast = ctx.once ? ctx.once(`codex-fast-tier:${home}`, () => codexFastTier(home)) : codexFastTier(home);
        }
        return parseCodexLine(obj, file, state as CodexState, ctx.prices, ctx.mode, 'codex', fast);
      },
    };
  },
};
