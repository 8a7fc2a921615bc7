#!/usr/bin/env node
// The `token-cost` command; the commands live in src/cli/.
import { main } from './cli/main';

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
