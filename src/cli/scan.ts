import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UsageEngine, type EngineOptions } from '../core/engine';
import { cliRoots } from './commands';
import { PriceTable } from '../core/pricing/pricing';
import type { Flags } from './options';

// Where the CLI reads (commands.ts, so that the report cache's early answer need not load the engine).
export { cliRoots } from './commands';

/**
 * A first scan reads and parses in worker threads while this thread stores: one per idle core
 * beyond two, at most two (os.loadavg: 1-minute load; it is 0 where the system has none,
 * Windows). Measured on two cores (bench/README.md, "Scan"): a worker gave no shorter scan, since
 * this thread's share (decoding the workers' rows, folding them, the insert at the end) leaves it
 * busy, and cost 50-70 MB more peak memory; on a machine whose cores are all busy the workers
 * only add their start and the copying of their results. So two cores or fewer read in this thread.
 */
function parseWorkerCount(flags: Flags): number {
  if (flags.singleThread) return 0;
  const cores = os.availableParallelism();
  const idle = cores - Math.floor(os.loadavg()[0]);
  return cores > 2 ? Math.max(0, Math.min(2, idle - 2)) : 0;
}

/**
 * The engine's options for every command that opens the CLI's database (reports, serve, log):
 * the one place the CLI's pricing flags reach the core.
 */
export function engineOptions(flags: Flags, log?: (m: string) => void): EngineOptions {
  const prices = new PriceTable();
  return {
    dbFile: path.join(flags.dataDir, 'usage.sqlite'),
    roots: () => cliRoots(flags),
    prices: () => prices,
    costMode: () => flags.mode,
    ...(parseWorkerCount(flags) > 0 ? { parseWorkers: { count: parseWorkerCount(flags) } } : {}),
    // Both figures are stored for every request; --cost-rules picks one in the reports (main.ts).
    log,
  };
}

/**
 * One full garbage collection, right after a first scan's bulk insert: the load's rows and the
 * copies sql.js's in-memory file left as it grew are garbage then, and the rollup's GROUP BY and
 * the report come next, at the process's peak of memory. 500 MB cold: peak RSS 167-174 MB ->
 * 151-157 MB at the same CPU time (bench/README.md, "Scan"). `gc` is only given to contexts
 * made after the flag; where it is not there, nothing happens.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  gc?.();
}

/** What a run's reading skipped (malformed or oversized lines, unreadable files), per file. */
export interface SkippedReport {
  malformedLines: number;
  oversizedLines: number;
  unreadableFiles: number;
  files: { path: string; malformedLines: number; oversizedLines: number }[];
}

/**
 * Opens the engine on the CLI's database and reads what is new. What the reading skipped is said
 * on stderr also without --verbose, and returned (undefined when nothing was) for `report`'s JSON.
 */
export async function openScanned(
  flags: Flags,
): Promise<{ engine: UsageEngine; looked: string[]; empty: boolean; skipped?: SkippedReport; notes: string[] }> {
  // A first scan's report is printed before its snapshot is written (engine.close() writes it).
  const engine = await UsageEngine.open({
    ...engineOptions(flags, flags.verbose ? (m: string) => process.stderr.write(`${m}\n`) : undefined),
    deferFirstSnapshot: true,
    // Nothing else runs in this process while it scans (`serve` keeps the thread-pool reads).
    blockingReads: true,
  });
  if (engine.recoveryMessage) process.stderr.write(`token-cost: ${engine.recoveryMessage}\n`);
  engine.store.afterBulkInsert = collectGarbage;
  try {
    const stats = await engine.scan();
    if (flags.verbose) {
      process.stderr.write(
        `Scanned ${stats.filesSeen} file(s), read ${stats.filesRead} (${stats.bytesRead} bytes) in ${stats.durationMs} ms; ` +
          `${stats.records} usage line(s), ${stats.malformedLines} malformed, ${stats.oversizedLines} oversized skipped.\n`,
      );
      for (const f of stats.fileIssues)
        process.stderr.write(`  ${f.path}: ${f.malformedLines} malformed, ${f.oversizedLines} oversized line(s) skipped\n`);
    }
    // A file read only in part (cut mid-write, damaged, an unknown schema) is always said.
    for (const p of stats.fileProblems) process.stderr.write(`token-cost: ${p}\n`);
    let skipped: SkippedReport | undefined;
    if (stats.malformedLines + stats.oversizedLines + stats.unreadableFiles > 0) {
      skipped = {
        malformedLines: stats.malformedLines,
        oversizedLines: stats.oversizedLines,
        unreadableFiles: stats.unreadableFiles,
        files: stats.fileIssues.map((f) => ({ path: f.path, malformedLines: f.malformedLines, oversizedLines: f.oversizedLines })),
      };
      if (!flags.verbose) {
        process.stderr.write(
          `token-cost: skipped ${stats.malformedLines} malformed and ${stats.oversizedLines} oversized line(s) in ${stats.fileIssues.length} file(s)` +
            `${stats.unreadableFiles ? ` and ${stats.unreadableFiles} unreadable file(s)` : ''}; --verbose lists them.\n`,
        );
      }
    }
    const looked = cliRoots(flags).map((r) => r.path);
    const empty = stats.filesSeen === 0 && !engine.store.get('SELECT 1 AS x FROM requests LIMIT 1');
    return { engine, looked, empty, skipped, notes: stats.notes };
  } catch (err) {
    await engine.close();
    throw err;
  }
}

/** When nothing was found, say where we looked: the usual cause is a folder we do not know. */
export function sayNothingFound(looked: string[]): void {
  process.stderr.write(
    `token-cost: no usage found. Looked for transcripts in:\n${looked.map((p) => `  ${p}`).join('\n')}\n` +
      'Set $CLAUDE_CONFIG_DIR or $CODEX_HOME if your agents write elsewhere, or pass --workspace DIR.\n',
  );
}
