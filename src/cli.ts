#!/usr/bin/env node
// The `token-cost` command. `statusline` runs after every Claude Code reply, so it has a bundle of
// its own (dist/statusline.js, node built-ins and the limits code only) and never parses the
// rest of the CLI; every other command is in dist/cli-main.js. A computed path keeps the
// bundler from inlining either.
import * as path from 'node:path';

const bundle = process.argv[2] === 'statusline' ? 'statusline.js' : 'cli-main.js';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.join(__dirname, bundle));
