#!/usr/bin/env node
// The `token-cost` command. `statusline` runs after every Claude Code reply, so it has a bundle of
// its own (dist/statuslineMain.js, node built-ins and the limits code only) and never parses the
// rest of the CLI; every other command is in dist/cliMain.js (tsc's out/src has the same
// names). A computed path keeps the bundler from inlining either.
import * as path from 'node:path';

const bundle = process.argv[2] === 'statusline' ? 'statuslineMain.js' : 'cliMain.js';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.join(__dirname, bundle));
