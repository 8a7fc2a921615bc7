// dist/cliMain.js: every `token-cost` command but `statusline` (src/cli.ts chooses); the
// commands live in src/cli/.
import { ignoreClosedStdout } from './cli/closedPipe';
import { main } from './cli/main';

ignoreClosedStdout();
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
