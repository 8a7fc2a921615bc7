import * as assert from 'node:assert/strict';
import { betterCopy, betterCopySql } from '../../src/core/copyRule';
import type { UsageRecord } from '../../src/core/model';
import { UPSERT } from '../../src/core/storage/requests';
import { UsageStore } from '../../src/core/store';

function rec(o: Partial<UsageRecord>): UsageRecord {
  return {
    dedupKey: 'm:msg:req',
    messageId: 'msg',
    timestamp: Date.parse('2026-11-20T10:00:00Z'),
    source: 'claude-code',
    model: 'claude-sonnet-4-5',
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

/** mulberry32, so that a failing sequence can be replayed from its seed. */
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

/** The copy the rule keeps of copies read in this order: each later copy replaces the kept one when it is better. */
const ruleWinner = (copies: UsageRecord[]) => copies.reduce((kept, c) => (betterCopy(c, kept) ? c : kept));

/** Which copy the store holds (each copy carries its own project), with the figures the rule compares. */
function stored(s: UsageStore) {
  const rows = s.all('SELECT project, sidechain, input + output + cache_write + cache_read AS total, cost, api_cost FROM usage');
  assert.equal(rows.length, 1, 'one row per request');
  return rows[0];
}

const expected = (r: UsageRecord) => ({
  project: r.project,
  sidechain: r.isSidechain ? 1 : 0,
  total: r.inputTokens + r.outputTokens + r.cacheWriteTokens + r.cacheReadTokens,
  cost: r.cost,
  api_cost: r.apiCost ?? r.cost,
});

describe('copy rule: which copy of a request wins', function () {
  // 300 sequences through three stores each: a second alone, several on a loaded machine.
  this.timeout(60_000);

  it('keeps the main-chain copy over a larger sidechain one, then the larger total, then the higher cost, then a new api cost', () => {
    const main = rec({ project: 'main', outputTokens: 100 });
    assert.equal(betterCopy(main, rec({ isSidechain: true, outputTokens: 900 })), true, 'a subagent replay loses to the request itself');
    assert.equal(betterCopy(rec({ isSidechain: true, outputTokens: 900 }), main), false);
    assert.equal(betterCopy(rec({ outputTokens: 101 }), main), true, 'a streamed reply: the later, larger copy is complete');
    assert.equal(betterCopy(rec({ outputTokens: 99, cacheReadTokens: 5 }), main), true, 'every token kind counts in the total');
    assert.equal(betterCopy(rec({ cost: 0.006 }), main), true, 'a fast-mode copy of the same tokens costs more');
    assert.equal(betterCopy(rec({ apiCost: 0.004 }), main), true, 'the same copy read again with what the API would bill');
    assert.equal(betterCopy(rec({ apiCost: 0.001 }), main), false, 'an api cost equal to the cost is no new figure');
    assert.equal(betterCopy(rec({ project: 'other' }), main), false, 'a full tie keeps the copy read first');
  });

  it('is the condition of the SQL upsert', () => {
    assert.ok(UPSERT.includes(`WHERE ${betterCopySql('excluded', 'requests')}`), UPSERT);
  });

  it('decides what the SQL upsert and the bulk load store, for 300 random sequences of copies', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = rng(seed);
      const int = (n: number) => Math.floor(next() * n);
      const copies: UsageRecord[] = [];
      const withMessage = next() < 0.7;
      for (let i = 0, n = 2 + int(5); i < n; i++) {
        // Few values per field, so that ties (and so every later criterion) come up often.
        const cost = [0.001, 0.002, 0.006][int(3)];
        const api = int(3);
        copies.push(
          rec({
            dedupKey: withMessage ? 'm:msg:req' : 'l:/f:1',
            messageId: withMessage ? 'msg' : undefined,
            project: `copy${i}`,
            isSidechain: next() < 0.3,
            inputTokens: int(2),
            outputTokens: 100 * int(3),
            cacheReadTokens: int(2) * 50,
            cost,
            apiCost: api === 0 ? undefined : api === 1 ? cost : [0.003, 0.004][int(2)],
          }),
        );
      }
      const want = expected(ruleWinner(copies));

      const oneByOne = await UsageStore.open(null);
      for (const c of copies) oneByOne.insert([c]);
      assert.deepEqual(stored(oneByOne), want, `seed ${seed}: the upsert, one copy per insert`);

      const together = await UsageStore.open(null);
      together.insert(copies);
      assert.deepEqual(stored(together), want, `seed ${seed}: the upsert, all copies in one insert`);

      const bulk = await UsageStore.open(null);
      bulk.setBulk(true);
      for (const c of copies) bulk.insert([c]);
      bulk.setBulk(false);
      assert.deepEqual(stored(bulk), want, `seed ${seed}: the bulk load`);
      for (const s of [oneByOne, together, bulk]) s.close();
    }
  });
});
