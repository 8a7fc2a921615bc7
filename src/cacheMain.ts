// dist/cacheMain.js: src/cli.ts asks it first for every command but `statusline`; it answers a
// report whose inputs did not change from the report cache (src/cli/cachedMain.ts) and otherwise
// leaves the command to dist/cliMain.js.
export { answerFromCache } from './cli/cachedMain';

// `token-cost daily | head` with a cached report: the reader left; stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
