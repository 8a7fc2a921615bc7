import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import { dueAlerts, NotifiedMarks } from '../../src/core/budgetAlerts';
import { UsageEngine } from '../../src/core/engine';
import type { UsageRecord } from '../../src/core/model';
import { PriceTable } from '../../src/core/pricing/pricing';
import { statusSummary } from '../../src/core/status';
import { tempDir } from './helpers';

const NOW = Date.parse('2026-11-23T15:00:00Z');
const prices = new PriceTable();

function rec(key: string, cost: number): UsageRecord {
  return {
    dedupKey: key,
    timestamp: NOW - 60 * 60_000,
    source: 'heartbeat',
    model: 'claude-sonnet-4-5-20250929',
    project: '/p',
    sessionId: 's',
    inputTokens: 100,
    outputTokens: 10,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: cost,
    cost,
    unpriced: false,
    isSidechain: false,
  };
}

const open = (dbFile: string) =>
  UsageEngine.open({ dbFile, roots: () => [], prices: () => prices, costMode: () => 'auto', followEveryMs: 60_000 });

/** What one window does on each update: compute what is due from its store, show what it wins. */
function windowShows(engine: UsageEngine, marks: NotifiedMarks, budget: { daily?: number }): string[] {
  const s = statusSummary(engine.store, 'UTC', budget, NOW);
  return dueAlerts(s, [80, 100], 0, NOW)
    .filter((d) => marks.claim(d.key, NOW))
    .map((d) => d.text);
}

describe('budget alerts across windows', () => {
  it('reach the person from a reader window, once, when a writer window is open too', async () => {
    const dir = tempDir();
    const dbFile = path.join(dir, 'usage.sqlite');
    const markDir = path.join(dir, 'notified');
    const writer = await open(dbFile);
    const reader = await open(dbFile);
    try {
      assert.equal(writer.role, 'writer');
      assert.equal(reader.role, 'reader');
      await writer.accept([rec('a', 9)]);
      await reader.scan(); // a reader follows the writer's changes
      // Each window has its own view of the shared folder, as two extension hosts do.
      const readerMarks = new NotifiedMarks(markDir);
      const writerMarks = new NotifiedMarks(markDir);
      assert.deepEqual(windowShows(reader, readerMarks, { daily: 10 }), ["Token Cost: 80 % of today's budget: $9.00 of $10.00."]);
      assert.deepEqual(windowShows(writer, writerMarks, { daily: 10 }), [], 'the writer does not repeat what the reader showed');
      assert.deepEqual(windowShows(reader, readerMarks, { daily: 10 }), [], 'nor does the reader on its next update');
      // A reload (a new extension host) remembers it.
      assert.deepEqual(windowShows(reader, new NotifiedMarks(markDir), { daily: 10 }), []);
      // Over the budget: the next threshold, again from exactly one window.
      await writer.accept([rec('b', 2)]);
      await reader.scan();
      const shown = [...windowShows(writer, writerMarks, { daily: 10 }), ...windowShows(reader, readerMarks, { daily: 10 })];
      assert.deepEqual(shown, ["Token Cost: over today's budget: $11.00 of $10.00."]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('lets exactly one of several processes claim an alert raised in the same instant', async function () {
    this.timeout(30_000);
    const markDir = path.join(tempDir(), 'notified');
    const moduleFile = path.join(__dirname, '../../src/core/budgetAlerts.js');
    const startAt = Date.now() + 1500;
    const script = `
      const { NotifiedMarks } = require(${JSON.stringify(moduleFile)});
      const marks = new NotifiedMarks(${JSON.stringify(markDir)});
      while (Date.now() < ${startAt}) {}
      process.stdout.write(String(marks.claim('daily:2026-11-23:80')));`;
    const runs = Array.from(
      { length: 6 },
      () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
        }),
    );
    const answers = await Promise.all(runs);
    assert.equal(answers.filter((a) => a === 'true').length, 1, answers.join(', '));
    assert.equal(answers.filter((a) => a === 'false').length, 5, answers.join(', '));
    assert.deepEqual(readdirSync(markDir), ['daily-2026-11-23-80.mark']);
  });

  it('names one alert per period and threshold, and per hour for the burn rate', async () => {
    const engine = await UsageEngine.open({ dbFile: null, roots: () => [], prices: () => prices, costMode: () => 'auto' });
    await engine.accept([{ ...rec('a', 30), timestamp: NOW - 60_000 }]);
    const s = statusSummary(engine.store, 'UTC', { daily: 20, monthly: 50 }, NOW);
    const due = dueAlerts(s, [50, 80, 100], 20, NOW);
    assert.deepEqual(
      due.map((d) => [d.key, d.severe]),
      [
        ['daily:2026-11-23:100', true],
        ['monthly:2026-11:50', false],
        [`burn:2026-11-23:${new Date(NOW).getHours()}`, false],
      ],
    );
    assert.equal(due[1].text, "Token Cost: 50 % of this month's budget: $30.00 of $50.00.");
    assert.equal(due[2].text, 'Token Cost: high burn rate, $120.00/hour over the last 15 minutes.');
    await engine.close();
  });

  it('forgets markers of periods long over', () => {
    const marks = new NotifiedMarks(path.join(tempDir(), 'notified'));
    assert.equal(marks.claim('daily:2026-09-01:80'), true);
    assert.equal(marks.claim('daily:2026-11-23:80'), true);
    const old = path.join(marks.dir, 'daily-2026-09-01-80.mark');
    const then = new Date(Date.now() - 70 * 86_400_000);
    utimesSync(old, then, then);
    assert.equal(marks.prune(60 * 86_400_000), 1);
    assert.equal(existsSync(old), false);
    assert.equal(marks.has('daily:2026-11-23:80'), true);
    assert.equal(marks.claim('daily:2026-11-23:80'), false);
  });
});
