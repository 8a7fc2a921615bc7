import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { csvCell, writeCsv } from '../../src/core/export';
import { UsageEngine } from '../../src/core/engine';
import { PriceTable } from '../../src/core/pricing/pricing';
import { assistantLine, tempDir, writeLines } from './helpers';

describe('export: CSV', () => {
  it('neutralises cells a spreadsheet would run as formulas, and quotes separators', () => {
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('@me'), "'@me");
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell(-5), '-5');
  });

  it('writes one row per request with a header', async () => {
    const root = tempDir();
    writeLines(path.join(root, '-a', 's1.jsonl'), [
      assistantLine({ id: 'm1', requestId: 'r1', output: 10, cwd: '=cmd|calc' }),
      assistantLine({ id: 'm1', requestId: 'r1', output: 10, cwd: '=cmd|calc' }),
      assistantLine({ id: 'm2', requestId: 'r2', output: 20 }),
    ]);
    const prices = new PriceTable();
    const engine = await UsageEngine.open({ dbFile: null, roots: () => [root], prices: () => prices, costMode: () => 'auto' });
    await engine.scan();
    const out = path.join(tempDir(), 'x.csv');
    assert.equal(await writeCsv(engine.store, {}, out), 2);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^timestamp,source,agent,provider,model,project,session,input_tokens,output_tokens,cache_write_tokens,cache_read_tokens,total_tokens,cost_usd$/);
    assert.ok(lines.some((l) => /,'=cmd\|calc,/.test(l)), 'the formula-like project is neutralised');
    await engine.close();
  });
});
