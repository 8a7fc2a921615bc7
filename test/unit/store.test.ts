import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { UsageRecord } from '../../src/core/model';
import { UsageStore } from '../../src/core/store';
import { tempDir } from './helpers';

function rec(o: Partial<UsageRecord> & { dedupKey: string }): UsageRecord {
  return {
    timestamp: Date.parse('2026-11-20T10:00:00Z'),
    source: 'claude-code',
    model: 'claude-sonnet-4-5-20250929',
    project: '/p',
    sessionId: 's',
    inputTokens: 10,
    outputTokens: 100,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost: 0.001,
    unpriced: false,
    isSidechain: false,
    ...o,
  };
}

const sum = (s: UsageStore) => Number(s.get('SELECT coalesce(sum(output), 0) AS n FROM usage')?.n);

describe('store: one row per message', () => {
  it('keeps one copy of a streamed message, the most complete one', async () => {
    const s = await UsageStore.open(null);
    s.insert([rec({ dedupKey: 'm:a:r', messageId: 'a', outputTokens: 5 }), rec({ dedupKey: 'm:a:r', messageId: 'a', outputTokens: 300 })]);
    s.insert([rec({ dedupKey: 'm:a:r', messageId: 'a', outputTokens: 5 })]);
    assert.equal(s.recordCount(), 1);
    assert.equal(sum(s), 300);
  });

  it('treats a sidechain replay under another requestId as the same message, keeping the main copy', async () => {
    const s = await UsageStore.open(null);
    s.insert([rec({ dedupKey: 'm:a:r2', messageId: 'a', isSidechain: true, outputTokens: 900 })]);
    s.insert([rec({ dedupKey: 'm:a:r1', messageId: 'a', outputTokens: 100 })]);
    assert.equal(s.recordCount(), 1);
    assert.equal(sum(s), 100, 'the non-sidechain copy wins even with a smaller total');
    s.insert([rec({ dedupKey: 'm:a:r3', messageId: 'a', isSidechain: true, outputTokens: 5000 })]);
    assert.equal(s.recordCount(), 1);
    assert.equal(sum(s), 100);
  });

  it('counts the same message id under two requestIds twice when neither is a sidechain', async () => {
    const s = await UsageStore.open(null);
    s.insert([rec({ dedupKey: 'm:a:r1', messageId: 'a' }), rec({ dedupKey: 'm:a:r2', messageId: 'a' })]);
    assert.equal(s.recordCount(), 2);
  });

  it('reopens a saved database with its records and cursors', async () => {
    const file = path.join(tempDir(), 'usage.sqlite');
    const s = await UsageStore.open(file);
    s.insert([rec({ dedupKey: 'm:a:r', messageId: 'a' })]);
    s.setCursor({ path: '/x.jsonl', size: 10, mtimeMs: 5, ino: 7, offset: 10, state: '{"model":"gpt-5"}' });
    await s.save();
    s.close();
    const again = await UsageStore.open(file);
    assert.equal(again.recordCount(), 1);
    assert.deepEqual(again.cursor('/x.jsonl'), { path: '/x.jsonl', size: 10, mtimeMs: 5, ino: 7, offset: 10, state: '{"model":"gpt-5"}' });
  });
});

describe('store: rebuild', () => {
  it('recounts what is read again, keeps what only the database has', async () => {
    const s = await UsageStore.open(null);
    s.insert([
      rec({ dedupKey: 'm:a:r', messageId: 'a', cost: 1, model: 'read-again' }),
      rec({ dedupKey: 'm:gone:r', messageId: 'gone', cost: 2, model: 'transcript-gone' }),
      rec({ dedupKey: 'h:1', source: 'heartbeat', cost: 3, model: 'heartbeat' }),
    ]);
    s.setCursor({ path: '/t.jsonl', size: 1, mtimeMs: 1, ino: 1, offset: 1 });
    s.beginRebuild();
    assert.equal(s.cursor('/t.jsonl'), undefined, 'files are read again from the start');
    // New prices: the same request read again now costs 0.5, even though its total is not larger.
    s.insert([rec({ dedupKey: 'm:a:r', messageId: 'a', cost: 0.5, model: 'read-again' })]);
    // A second, smaller streamed copy read in the same rebuild does not replace the first.
    s.insert([rec({ dedupKey: 'm:a:r', messageId: 'a', cost: 0.1, outputTokens: 1, model: 'read-again' })]);
    assert.equal(s.endRebuild(), 1, 'one request whose transcript is gone was kept from the database');
    const costs = Object.fromEntries(s.all('SELECT model, cost FROM usage').map((r) => [r.model, r.cost]));
    assert.deepEqual(costs, { 'read-again': 0.5, 'transcript-gone': 2, heartbeat: 3 });
  });
});

describe('store: bulk loads', function () {
  // 200 random sequences through two stores each: about a second alone, several on a loaded machine.
  this.timeout(60_000);
  /** mulberry32, so that a failing sequence can be replayed. */
  function rng(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const dump = (s: UsageStore) =>
    JSON.stringify(s.all('SELECT * FROM usage ORDER BY id'), (_k, v) => (typeof v === 'bigint' ? String(v) : v));

  it('keeps exactly what the row-by-row path keeps (same-key and sidechain rules, 200 random sequences)', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = rng(seed);
      const int = (n: number) => Math.floor(next() * n);
      const batches: UsageRecord[][] = [];
      for (let b = 0; b < 1 + int(6); b++) {
        const batch: UsageRecord[] = [];
        for (let i = 0; i < 1 + int(12); i++) {
          const m = `msg${int(5)}`;
          const kind = int(10);
          // Mostly message + request ids, some without a request id, some without a message id.
          const dedupKey = kind < 7 ? `m:${m}:req${int(3)}` : kind < 9 ? `t:${m}:${int(2)}` : `l:/f:${int(4)}`;
          batch.push(
            rec({
              dedupKey,
              messageId: kind < 9 ? m : undefined,
              isSidechain: next() < 0.4,
              outputTokens: int(4) * 100,
              inputTokens: int(3),
              model: `model${int(3)}`,
              sessionId: `s${int(3)}`,
              cost: int(100) / 100,
            }),
          );
        }
        batches.push(batch);
      }
      const rowByRow = await UsageStore.open(null);
      let changedRowByRow = 0;
      for (const batch of batches) changedRowByRow += rowByRow.insert(batch);
      const bulk = await UsageStore.open(null);
      bulk.setBulk(true);
      let changedBulk = 0;
      for (const batch of batches) changedBulk += bulk.insert(batch);
      bulk.setCursor({ path: '/f', size: 1, mtimeMs: 1, ino: 1, offset: 1 });
      assert.equal(bulk.recordCount(), 0, 'nothing reaches SQLite before the end of the load');
      assert.equal(bulk.cursor('/f')?.offset, 1);
      bulk.setBulk(false);
      assert.equal(dump(bulk), dump(rowByRow), `seed ${seed}`);
      assert.equal(changedBulk, changedRowByRow, `seed ${seed}: changed count`);
      assert.equal(Number(bulk.get('SELECT count(*) AS n FROM files')?.n), 1);
      rowByRow.close();
      bulk.close();
    }
  });

  it('merges with records accepted during the load', async () => {
    const s = await UsageStore.open(null);
    s.setBulk(true);
    s.insert([rec({ dedupKey: 'm:a:r2', messageId: 'a', isSidechain: true, outputTokens: 900 })]);
    s.insert([rec({ dedupKey: 'm:a:r1', messageId: 'a', outputTokens: 100 })], { journal: true });
    assert.equal(s.recordCount(), 1, 'an accepted record is stored at once');
    s.setBulk(false);
    assert.equal(s.recordCount(), 1);
    assert.equal(sum(s), 100, 'the non-sidechain copy wins');
  });
});
