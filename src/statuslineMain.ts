// dist/statusline.js: `token-cost statusline` (src/cli.ts loads it for that word only).
import { statusline } from './cli/statusline';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
void statusline(process.argv.slice(3)).then((code) => {
  process.exitCode = code;
});
