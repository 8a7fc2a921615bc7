#!/usr/bin/env node
// The `token-cost` command. `statusline` runs after every Claude Code reply, so it has a bundle of
// its own (dist/statuslineMain.js, node built-ins and the limits code only) and never parses the
// rest of the CLI; every other command is in dist/cliMain.js (tsc's out/src has the same
// names). A computed path keeps the bundler from inlining either.
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';

const bundle = process.argv[2] === 'statusline' ? 'statuslineMain.js' : 'cliMain.js';
// Node 20's V8 can deadlock when a background optimizing compile needs a garbage collection while
// the main thread waits for that compile (NodePlatform::DrainTasks; seen in test/unit/cli.test.ts,
// the process then sleeps for ever). A command that runs for a second gains nothing from
// concurrent recompilation, so it is turned off before anything gets hot.
if (bundle === 'cliMain.js') setFlagsFromString('--no-concurrent-recompilation');
// A first scan keeps every request it parsed until the bulk load: the young generation, left to
// grow (V8 doubles it up to 16 MB a semi-space when many objects survive), then adds about 50 MB
// to the peak RSS for no gain in time. Kept at its first size: 500 MB cold, peak RSS 216-225 MB
// -> 164-172 MB at the same CPU time (bench/README.md, "Scan"). Takes effect at the next resize.
if (bundle === 'cliMain.js') setFlagsFromString('--semi-space-growth-factor=1');
/* eslint-disable @typescript-eslint/no-require-imports */
if (bundle === 'statuslineMain.js') {
  require(path.join(__dirname, bundle));
} else {
  // A report whose inputs did not change is printed from the report cache by a small bundle
  // (node's start and a stat per file); everything else, a miss included, goes to cliMain.js.
  const main = () => require(path.join(__dirname, bundle));
  (require(path.join(__dirname, 'cacheMain.js')) as { answerFromCache(argv: string[]): Promise<boolean> })
    .answerFromCache(process.argv.slice(2))
    .then((answered) => answered || main(), main);
}
