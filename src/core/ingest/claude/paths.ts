import * as os from 'node:os';
import * as path from 'node:path';

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/**
 * The `projects/` folders to read, in the order Claude Code documents them: explicit settings,
 * else `CLAUDE_CONFIG_DIR` (comma-separated), else both default locations.
 */
export function claudeProjectRoots(opts: { configDirs?: readonly string[]; env?: NodeJS.ProcessEnv; home?: string } = {}): string[] {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? os.homedir();
  let dirs: string[];
  if (opts.configDirs && opts.configDirs.length > 0) {
    dirs = [...opts.configDirs];
  } else if (env.CLAUDE_CONFIG_DIR && env.CLAUDE_CONFIG_DIR.trim() !== '') {
    dirs = env.CLAUDE_CONFIG_DIR.split(',');
  } else {
    const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : path.join(home, '.config');
    dirs = [path.join(xdg, 'claude'), path.join(home, '.claude')];
  }
  const roots = dirs
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map((d) => path.resolve(expandHome(d, home), 'projects'));
  return [...new Set(roots)];
}

/** What a transcript file is, from where it sits below a `projects/` root. */
export interface TranscriptFile {
  path: string;
  root: string;
  /** The `projects/<project>` folder name (the cwd with every non-alphanumeric char as `-`). */
  projectDir: string;
  /** Session id from the file name: `<sessionId>.jsonl`, or the folder of a subagent file. */
  sessionFromPath: string;
  isSubagent: boolean;
}

export function describeTranscript(root: string, file: string): TranscriptFile {
  const rel = path.relative(root, file).split(path.sep);
  const projectDir = rel.length > 1 ? rel[0] : '';
  const isSubagent = rel.includes('subagents');
  // projects/<project>/<sessionId>/subagents/agent-x.jsonl belongs to session <sessionId>.
  const sessionFromPath = isSubagent && rel.length >= 4 ? rel[rel.length - 3] : path.basename(file, '.jsonl');
  return { path: file, root, projectDir, sessionFromPath, isSubagent };
}
