import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import { PriceTable } from '../../src/core/pricing/pricing';
import { dailyReport, totals } from '../../src/core/query';
import { assistantLine, tempDir, writeLines } from './helpers';

async function engineFor(root: string, dbFile: string | null = null) {
  const prices = new PriceTable();
  return UsageEngine.open({ dbFile, roots: () => [root], prices: () => prices, costMode: () => 'auto' });
}

describe('scanner + store: counting each request once', () => {
  it('deduplicates streamed copies and copies in other files, keeping the most complete', async () => {
    const root = tempDir();
    writeLines(path.join(root, '-a', 's1.jsonl'), [
      assistantLine({ id: 'm1', requestId: 'r1', output: 1 }),
      assistantLine({ id: 'm1', requestId: 'r1', output: 50 }),
      assistantLine({ id: 'm1', requestId: 'r1', output: 50 }),
      assistantLine({ id: 'm2', requestId: 'r2', output: 7 }),
    ]);
    writeLines(path.join(root, '-b', 's2.jsonl'), [assistantLine({ id: 'm2', requestId: 'r2', output: 7 })]);
    const engine = await engineFor(root);
    await engine.scan();
    const t = totals(engine.store);
    assert.equal(t.requests, 2);
    assert.equal(t.outputTokens, 57);
    await engine.close();
  });

  it('counts a last line without a newline, as ccusage does, and nothing twice when the file goes on', async () => {
    const root = tempDir();
    const file = path.join(root, '-a', 's1.jsonl');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      `${assistantLine({ id: 'm1', requestId: 'r1', output: 10 })}\n${assistantLine({ id: 'm2', requestId: 'r2', output: 20 })}`,
    );
    const engine = await engineFor(root);
    await engine.scan();
    assert.deepEqual([totals(engine.store).requests, totals(engine.store).outputTokens], [2, 30]);
    writeLines(file, [assistantLine({ id: 'm3', requestId: 'r3', output: 5 })], true);
    await engine.scan();
    assert.deepEqual([totals(engine.store).requests, totals(engine.store).outputTokens], [3, 35]);
    await engine.close();
  });

  it('prefers a non-sidechain copy over a larger sidechain copy', async () => {
    const root = tempDir();
    writeLines(path.join(root, '-a', 's1.jsonl'), [
      assistantLine({ id: 'm1', requestId: 'r1', output: 90, isSidechain: true }),
      assistantLine({ id: 'm1', requestId: 'r1', output: 40, isSidechain: false }),
    ]);
    const engine = await engineFor(root);
    await engine.scan();
    assert.equal(totals(engine.store).outputTokens, 40);
    await engine.close();
  });

  it('reads only appended lines, never double counts on rescan, and re-reads a truncated file', async () => {
    const root = tempDir();
    const file = path.join(root, '-a', 's1.jsonl');
    writeLines(file, [assistantLine({ id: 'm1', requestId: 'r1', output: 10 })]);
    const engine = await engineFor(root);
    await engine.scan();
    const again = await engine.scan();
    assert.equal(again.filesRead, 0, 'an unchanged file is not read again');
    writeLines(file, [assistantLine({ id: 'm2', requestId: 'r2', output: 20 })], true);
    const appended = await engine.scan();
    assert.equal(appended.records, 1, 'only the appended line is parsed');
    assert.equal(totals(engine.store).outputTokens, 30);
    truncateSync(file, 0);
    writeLines(file, [assistantLine({ id: 'm3', requestId: 'r3', output: 5 })]);
    await engine.scan();
    assert.equal(totals(engine.store).outputTokens, 35, 'history survives the rewrite; the new line is added');
    await engine.close();
  });

  it('completes a partially written line on the next scan', async () => {
    const root = tempDir();
    const file = path.join(root, '-a', 's1.jsonl');
    const line = assistantLine({ id: 'm1', requestId: 'r1', output: 10 });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, line.slice(0, 40));
    const engine = await engineFor(root);
    await engine.scan();
    assert.equal(totals(engine.store).requests, 0);
    writeFileSync(file, `${line}\n`);
    await engine.scan();
    assert.equal(totals(engine.store).requests, 1);
    await engine.close();
  });

  it('keeps history in the database file across restarts and after the transcript is deleted', async () => {
    const root = tempDir();
    const db = path.join(tempDir(), 'usage.sqlite');
    const file = path.join(root, '-a', 's1.jsonl');
    writeLines(file, [assistantLine({ id: 'm1', requestId: 'r1', output: 10 })]);
    let engine = await engineFor(root, db);
    await engine.scan();
    await engine.close();
    rmSync(file);
    engine = await engineFor(root, db);
    await engine.scan();
    assert.equal(totals(engine.store).outputTokens, 10);
    await engine.close();
  });

  it('groups days in the requested zone', async () => {
    const root = tempDir();
    writeLines(path.join(root, '-a', 's1.jsonl'), [
      assistantLine({ id: 'm1', requestId: 'r1', timestamp: '2026-11-20T23:30:00Z', output: 1 }),
      assistantLine({ id: 'm2', requestId: 'r2', timestamp: '2026-11-21T00:30:00Z', output: 2 }),
    ]);
    const engine = await engineFor(root);
    await engine.scan();
    assert.deepEqual(
      dailyReport(engine.store, 'UTC').daily.map((d) => [d.date, d.outputTokens]),
      [
        ['2026-11-20', 1],
        ['2026-11-21', 2],
      ],
    );
    assert.deepEqual(
      dailyReport(engine.store, 'Europe/Berlin').daily.map((d) => [d.date, d.outputTokens]),
      [['2026-11-21', 3]],
    );
    await engine.close();
  });
});
