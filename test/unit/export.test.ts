import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { csvCell, exportFileName, rangeTimeframe, writeCsv } from '../../src/core/export';
import { resolveRange } from '../../src/core/periods';
import type { RangeChoice } from '../../src/protocol';
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
    // The reference dashboard's columns first (seed 000), then ours.
    assert.equal(
      lines[0],
      'Timestamp,Model,Session ID,Input tokens,Output tokens,Total tokens,Cost,Source,Agent,Provider,Project,Cache write tokens,Cache read tokens',
    );
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.split(',').slice(0, 6).join(','))
        .sort(),
      [
        '2026-11-20T10:00:00.000Z,claude-sonnet-4-5-20250929,s1,10,10,20',
        '2026-11-20T10:00:00.000Z,claude-sonnet-4-5-20250929,s1,10,20,30',
      ],
    );
    // Cost: 10 input at $3/M and 20 output at $15/M.
    assert.ok(
      lines.some((l) => Math.abs(Number(l.split(',')[6]) - (10 * 3 + 20 * 15) / 1e6) < 1e-12),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /,'=cmd\|calc,/.test(l)),
      'the formula-like project is neutralised',
    );
    await engine.close();
  });

  it('names files token-usage-{timeframe}-{date} with hour, day, week or month, as the reference dashboard', () => {
    const now = Date.parse('2026-03-04T10:00:00Z');
    const name = (range: RangeChoice, format: 'csv' | 'json' = 'csv') =>
      exportFileName(rangeTimeframe(range, resolveRange(range, 'UTC', now).label), format, now, 'UTC');
    assert.equal(name({ kind: 'quick', quick: 'day' }), 'token-usage-day-2026-03-04.csv');
    assert.equal(name({ kind: 'quick', quick: 'week' }, 'json'), 'token-usage-week-2026-03-04.json');
    assert.equal(name({ kind: 'quick', quick: 'month' }), 'token-usage-month-2026-03-04.csv');
    assert.equal(name({ kind: 'quick', quick: 'hour' }), 'token-usage-hour-2026-03-04.csv');
    assert.equal(name({ kind: 'preset', preset: 'today' }), 'token-usage-day-2026-03-04.csv');
    assert.equal(name({ kind: 'preset', preset: 'thisMonth' }), 'token-usage-month-2026-03-04.csv');
    assert.equal(name({ kind: 'preset', preset: 'last7' }), 'token-usage-last-7-days-2026-03-04.csv');
    assert.equal(name({ kind: 'custom', from: '2026-02-01', until: '2026-02-28' }), 'token-usage-2026-02-01_2026-02-28-2026-03-04.csv');
  });
});
