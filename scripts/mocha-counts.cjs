// Mocha reporter: the usual spec output, plus the counts written to $TOKEN_COST_LAYER_RESULT so
// that `npm test` can add up the layers and refuse skipped tests.
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class SpecWithCounts extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    runner.on('pass', () => counts.passed++);
    runner.on('fail', () => counts.failed++);
    runner.on('pending', () => counts.skipped++);
    runner.once('end', () => {
      if (process.env.TOKEN_COST_LAYER_RESULT) writeFileSync(process.env.TOKEN_COST_LAYER_RESULT, JSON.stringify(counts));
    });
  }
}
module.exports = SpecWithCounts;
