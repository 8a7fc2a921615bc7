// dist/cacheMain.js: src/cli.ts asks it first for every command but `statusline`; it answers a
// report whose inputs did not change from the report cache (src/cli/cachedMain.ts) and otherwise
// leaves the command to dist/cliMain.js.
export { answerFromCache } from './cli/cachedMain';

// `token-cost daily | head`: the reader left; no stack trace. No exit either: this listener stays
// when the command goes on to dist/cliMain.js, whose first scan writes its database after
// printing the report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});
