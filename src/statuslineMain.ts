// dist/statuslineMain.js: `token-cost statusline` (src/cli.ts loads it for that word only). It needs
// nothing beside it, so "Set Up Claude Code Status Line" copies it to the data folder and runs
// it as `node statusline.js`, a path that survives extension updates.
import { statusline } from './cli/statusline';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
const args = process.argv.slice(2);
if (args[0] === 'statusline') args.shift();
void statusline(args).then((code) => {
  process.exitCode = code;
});
