// The snapshot (a synchronous export of the whole database) waits for a pause in changes, so that
// an agent streaming lines is not held up behind it; the journal keeps every change durable meanwhile.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import type { UsageRecord } from '../../src/core/model';
import { PriceTable } from '../../src/core/pricing/pricing';
import { UsageStore } from '../../src/core/store';
import { tempDir } from './helpers';

const rec = (i: number): UsageRecord => ({
  dedupKey: `hb:${i}`,
  timestamp: Date.parse('2026-11-20T10:00:00Z') + i * 1000,
  source: 'heartbeat',
  model: 'claude-sonnet-4-5-20250929',
  project: '/p',
  sessionId: 's',
  inputTokens: 10,
  outputTokens: 10,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
  reportedCost: null,
  cost: 0.01,
  unpriced: false,
  isSidechain: false,
});

describe('snapshots wait for a pause in changes', () => {
  it('writes no snapshot while records keep arriving, then one once they pause; nothing is lost either way', async function () {
    this.timeout(15_000);
    const dbFile = path.join(tempDir('tcd-quiet-'), 'usage.sqlite');
    const engine = await UsageEngine.open({
      dbFile,
      roots: () => [],
      prices: () => new PriceTable(),
      costMode: () => 'auto',
      followEveryMs: 50,
      snapshotAfterMs: 400,
    });
    // A record every 40 ms for 2 s: the snapshot is due by time after 0.4 s, but changes never pause for 0.4 s.
    for (let i = 0; i < 50; i++) {
      await engine.accept([rec(i)]);
      await new Promise((r) => setTimeout(r, 40));
    }
    const duringStream = existsSync(dbFile);
    await new Promise((r) => setTimeout(r, 1200));
    const afterPause = existsSync(dbFile);
    // What a crash right now would leave: the snapshot and the journal hold all 50.
    const reopened = await UsageStore.open(dbFile, { writable: false });
    const count = reopened.recordCount();
    reopened.close();
    await engine.close();
    assert.equal(duringStream, false, 'no snapshot while records streamed in');
    assert.equal(afterPause, true, 'a snapshot once they paused');
    assert.equal(count, 50);
  });
});
