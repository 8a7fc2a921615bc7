/**
 * dist/cachedMain.js: a report command's answer from the report cache (reportCache.ts) before
 * the CLI's main bundle is loaded. It reads the command line with main's own code
 * (commands.ts), lists the inputs and looks up the cache; on a hit it prints and the process
 * ends, on anything else src/cli.ts loads the main bundle, which does the rest (and caches what
 * it prints). Nothing here loads the engine, the server or sql.js.
 */
import { cliRoots, reportInvocation } from './commands';
import { cachedReport, inputState, isCacheable, queryKey } from './reportCache';

/** Prints the cached report for `argv` and returns true, or returns false (the main bundle runs). */
export async function answerFromCache(argv: string[]): Promise<boolean> {
  const run = reportInvocation(argv);
  if (!run || !isCacheable(run.kind, run.flags)) return false;
  const hit = cachedReport(run.flags.dataDir, await inputState(cliRoots(run.flags)), queryKey(`${run.scope} ${run.kind}`, run.flags));
  if (!hit) return false;
  process.stderr.write(hit.stderr);
  process.stdout.write(hit.stdout);
  return true;
}
