// dist/cliMain.js: every `token-cost` command but `statusline` (src/cli.ts chooses); the
// commands live in src/cli/.
import { main } from './cli/main';

// `token-cost daily | head`: the reader left. No stack trace, and no exit either: a first scan
// writes its database after printing the report, and that work must still finish (the rest of
// the output goes nowhere).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
