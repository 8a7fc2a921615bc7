import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildDashboard, type DashboardContext } from '../../src/core/dashboard';
import type { UsageRecord } from '../../src/core/model';
import { totals } from '../../src/core/query';
import { UsageStore } from '../../src/core/store';
import { tempDir } from './helpers';

const H = 3_600_000;
const NOW = Date.parse('2026-11-23T15:07:31.250Z');

function rec(key: string, ts: number, o: Partial<UsageRecord> = {}): UsageRecord {
  return {
    dedupKey: key,
    timestamp: ts,
    source: 'claude-code',
    model: 'claude-sonnet-4-5',
    project: '/work/app',
    sessionId: 's1',
    inputTokens: 1000,
    outputTokens: 100,
    cacheWriteTokens: 10,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 5000,
    reportedCost: null,
    cost: 0.25,
    unpriced: false,
    isSidechain: false,
    ...o,
  };
}

/** The rollup as it must be: a GROUP BY of what `requests` holds now. */
function expected(s: UsageStore) {
  return s.all(`SELECT CAST(ts / ${H} AS INTEGER) AS hour, source_id, model_id, project_id, session_id, count(*) AS requests, sum(input) AS input,
                       sum(output) AS output, sum(cache_write) AS cache_write, sum(cache_read) AS cache_read, round(sum(cost), 9) AS cost,
                       round(sum(coalesce(api_cost, cost)), 9) AS api_cost, sum(flags & 1) AS unpriced,
                       min(ts) AS first_ts, max(ts) AS last_ts
                  FROM requests GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`);
}
const actual = (s: UsageStore) =>
  s.all(`SELECT hour, source_id, model_id, project_id, session_id, requests, input, output, cache_write, cache_read, round(cost, 9) AS cost,
                round(api_cost, 9) AS api_cost, unpriced, first_ts, last_ts
           FROM rollup ORDER BY 1, 2, 3, 4, 5`);

function mixed(): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (let i = 0; i < 400; i++) {
    out.push(
      rec(`r${i}`, NOW - i * 731_000, {
        model: ['claude-sonnet-4-5', 'claude-opus-4-5', 'gpt-5'][i % 3],
        sessionId: `s${i % 7}`,
        project: `/p${i % 4}`,
        source: i % 11 === 0 ? 'heartbeat' : 'claude-code',
        unpriced: i % 13 === 0,
        cost: (i % 17) / 8,
        inputTokens: 10 + i,
        ...(i % 3 === 0 ? { apiCost: (i % 17) / 4 } : {}),
        messageId: i % 5 === 0 ? `m${i}` : undefined,
      }),
    );
  }
  return out;
}

describe('rollup: hourly sums kept in step with requests', () => {
  it('matches a GROUP BY of requests after inserts, better copies, sidechain replays, pruning and a rebuild', async () => {
    const s = await UsageStore.open(null);
    s.insert(mixed());
    assert.deepEqual(actual(s), expected(s));
    // A more complete copy replaces the stored one (the upsert's UPDATE), in another hour and session.
    s.insert([rec('r3', NOW - 50 * H, { inputTokens: 99_999, sessionId: 'moved', cost: 7 })]);
    // ...or the same request at the same time with more tokens (a streamed reply): only sums change.
    s.insert([{ ...mixed()[4], inputTokens: 88_888, cost: 9, unpriced: true }]);
    // A sidechain copy under another requestId loses to the main copy; a main copy replaces a sidechain one.
    s.insert([rec('side', NOW - 2 * H, { messageId: 'm5', isSidechain: true, inputTokens: 1 })]);
    s.insert([rec('sc', NOW - 3 * H, { messageId: 'mx', isSidechain: true }), rec('main', NOW - 3 * H, { messageId: 'mx' })]);
    assert.deepEqual(actual(s), expected(s));
    s.prune(NOW - 40 * H);
    assert.deepEqual(actual(s), expected(s));
    s.beginRebuild();
    s.insert(
      mixed()
        .slice(0, 50)
        .map((r) => ({ ...r, cost: r.cost * 2 })),
    );
    s.endRebuild();
    assert.deepEqual(actual(s), expected(s));
    assert.equal(Number(s.get('SELECT total(requests) AS n FROM rollup')?.n), s.recordCount());
  });

  it('is added to a database written before it existed', async () => {
    const s = await UsageStore.open(null);
    s.insert(mixed());
    s.all('DROP TRIGGER rollup_insert');
    s.all('DROP TRIGGER rollup_delete');
    s.all('DROP TRIGGER rollup_update');
    s.all('DROP TRIGGER rollup_replace');
    s.all('DROP TABLE rollup');
    const file = path.join(tempDir(), 'usage.sqlite');
    writeFileSync(file, (s as unknown as { db: { export(): Uint8Array } }).db.export());
    const again = await UsageStore.open(file);
    assert.deepEqual(actual(again), expected(again));
    again.insert([rec('new', NOW, { sessionId: 'later' })]);
    assert.deepEqual(actual(again), expected(again));
    again.close();
  });

  it('gives the same figures as the requests themselves in a half-hour zone, for ranges that cut hours', async () => {
    const s = await UsageStore.open(null);
    s.insert(mixed());
    const ctx: DashboardContext = {
      timeZone: 'Asia/Kolkata',
      now: NOW,
      scanned: true,
      storageRole: 'memory',
      budget: {},
      thresholds: [80, 100],
      costThreshold: 100,
      burnRatePerHour: 20,
      workspaceFolders: [],
      gettingStarted: { transcriptRoots: [] },
    };
    for (const range of [
      { kind: 'quick', quick: 'hour' },
      { kind: 'preset', preset: 'today' },
      { kind: 'quick', quick: 'week' },
      { kind: 'preset', preset: 'all' },
    ] as const) {
      const d = buildDashboard(s, { range }, ctx);
      const ref = totals(s, { start: d.range.start ?? undefined, end: d.range.end ?? undefined });
      assert.equal(d.kpis.requests, ref.requests, range.kind);
      assert.ok(Math.abs(d.kpis.cost - ref.cost) < 1e-9);
      assert.equal(d.kpis.totalTokens, ref.totalTokens);
      assert.deepEqual(d.kpis.unpricedModels, ref.unpricedModels);
      assert.equal(
        d.trend.reduce((a, p) => a + p.requests, 0),
        ref.requests,
        'every request falls in one chart bucket',
      );
      for (const row of d.sessions) {
        const r = s.get(
          `SELECT min(ts) AS lo, max(ts) AS hi FROM usage WHERE session = ? AND source = ?${d.range.start !== null ? ' AND ts >= ? AND ts < ?' : ''}`,
          [row.session, row.source, ...(d.range.start !== null ? [d.range.start, d.range.end!] : [])],
        );
        assert.deepEqual([row.firstActivity, row.lastActivity], [Number(r?.lo), Number(r?.hi)], 'exact to the millisecond');
      }
      if (d.recent.length)
        assert.equal(d.recent[0].timestamp, Number(s.get('SELECT max(ts) AS t FROM usage WHERE ts < ?', [d.range.end ?? Infinity])?.t));
    }
  });
});
