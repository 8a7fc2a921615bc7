import { codexSessionRoots } from './ingest/codex';
import { limitsReport, type LimitsReport, type LimitSnapshot } from './limits';
import { codexLimitSnapshots, defaultDataDir, readLimitsLog } from './limitsLog';

export interface LimitsSources {
  /** Folder of limits.jsonl (the status-line command's readings); default: the shared data folder. */
  dataDir?: string;
  /** Codex home (setting or flag); empty: `$CODEX_HOME`, else `~/.codex`. */
  codexHome?: string;
}

/** Every reading on disk: Claude Code's from limits.jsonl, Codex's from its newest rollouts. */
export function readLimitSnapshots(src: LimitsSources = {}): LimitSnapshot[] {
  return [...readLimitsLog(src.dataDir ?? defaultDataDir()), ...codexLimitSnapshots(codexSessionRoots({ codexHome: src.codexHome }))];
}

/** The figures `token-cost limits`, GET /api/limits, the status bar and the dashboard show. */
export function limitsFromDisk(src: LimitsSources = {}, now = Date.now()): LimitsReport {
  return limitsReport(readLimitSnapshots(src), now);
}
