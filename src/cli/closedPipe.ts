// Process-wide, not per module: each bundle (dist/cacheMain.js, dist/cliMain.js) has its own copy.
const INSTALLED = Symbol.for('token-cost.ignoreClosedStdout');

/**
 * `token-cost daily | head`: the reader left. No stack trace, and no exit either: a first scan
 * writes its database after printing the report, and that work must still finish (the rest of
 * the output goes nowhere). Both bundles a command passes through call this; the listener is
 * added once.
 */
export function ignoreClosedStdout(): void {
  const flags = process as unknown as Record<symbol, boolean>;
  if (flags[INSTALLED]) return;
  flags[INSTALLED] = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}
