#!/usr/bin/env node
// The `token-cost` command; the commands live in src/cli/.
import { main } from './cli/main';

export { main };

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
