#!/usr/bin/env node
// The `token-cost` command; the commands live in src/cli/.
import { setFlagsFromString } from 'node:v8';
import { main } from './cli/main';

// Node 20's V8 can deadlock when a background optimizing compile needs a garbage collection while
// the main thread waits for that compile (NodePlatform::DrainTasks; seen in test/unit/cli.test.ts,
// the process then sleeps for ever). A command that runs for a second gains nothing from
// concurrent recompilation, so it is turned off before anything gets hot.
setFlagsFromString('--no-concurrent-recompilation');

export { main };

if (require.main === module) {
  // `token-cost daily | head`: the reader left; stop quietly instead of with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
