import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { TranscriptFile } from '../claude';

/**
 * Default `tokenCost.workspaceTranscripts`: files agents or wrappers commonly log token usage to
 * inside a project. `.claude/` and `.codex/` folders catch transcripts copied or redirected into
 * the workspace (e.g. CLAUDE_CONFIG_DIR pointed at the project); their requests are
 * deduplicated against the ones read from the home folder.
 */
export const DEFAULT_WORKSPACE_GLOBS = ['**/*.tokens.jsonl', '**/.token-usage/**/*.jsonl', '**/.claude/**/*.jsonl', '**/.codex/**/*.jsonl'];

/** Folders never searched: dependencies and VCS data are large and hold no transcripts. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);
const MAX_DEPTH = 12;

// A glob (`**`, `*`, `?`, `{a,b}`, `[...]`) as a regular expression over `/`-separated relative
// paths, by picomatch (the matcher fast-glob and micromatch use); `dot` because agents keep their
// transcripts in dot folders (the default `**/.claude/**/*.jsonl`).
export function globToRegExp(glob: string): RegExp {
  return picomatch.makeRe(glob.replace(/\\/g, '/').replace(/^\.\//, ''), { dot: true });
}

/**
 * Files below `folder` matching any glob (relative to the folder), skipping dependency and VCS
 * folders and anything below `exclude` (roots read natively already).
 */
export async function listWorkspaceTranscripts(
  folder: string,
  globs: readonly string[],
  exclude: readonly string[] = [],
): Promise<string[]> {
  const patterns = globs.map(globToRegExp);
  const out: string[] = [];
  const excluded = exclude.map((e) => path.resolve(e) + path.sep);
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || excluded.some((e) => (dir + path.sep).startsWith(e))) return;
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) await walk(full, depth + 1);
      } else if (e.isFile() && e.name.endsWith('.jsonl')) {
        const rel = path.relative(folder, full).split(path.sep).join('/');
        if (patterns.some((p) => p.test(rel))) out.push(full);
      }
    }
  };
  await walk(path.resolve(folder), 0);
  return out.sort();
}

export interface WorkspaceFile extends TranscriptFile {
  /** The workspace folder the file was found in (the project when a line names none). */
  folder: string;
  /** The file's mtime when read: the time of generic events that carry none. */
  mtimeMs: number;
}

/** Describes a workspace file for the parsers: session from its name, project from its folder. */
export function describeWorkspaceFile(folder: string, file: string, mtimeMs: number): WorkspaceFile {
  return {
    path: file,
    root: folder,
    projectDir: path.basename(folder),
    sessionFromPath: path.basename(file, '.jsonl'),
    isSubagent: false,
    folder,
    mtimeMs,
  };
}
