// dist/cacheMain.js: src/cli.ts asks it first for every command but `statusline`; it answers a
// report whose inputs did not change from the report cache (src/cli/cachedMain.ts) and otherwise
// leaves the command to dist/cliMain.js.
import { ignoreClosedStdout } from './cli/closedPipe';

export { answerFromCache } from './cli/cachedMain';

ignoreClosedStdout();
