// dist/cliMain.js: every `token-cost` command but `statusline` (src/cli.ts chooses); the
// commands live in src/cli/.
import { main } from './cli/main';

// `token-cost daily | head`: the reader left; stop quietly instead of with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
