// A first scan seen from the extension: progress after each file, figures stored in slices while
// it runs, and a stop (the notification's Cancel) that keeps what was read, with cursors that let
// the next scan, in the same process or after a restart, go on to the same totals as one
// uninterrupted scan.
import * as assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import type { ScanProgress } from '../../src/core/ingest/scanner';
import { PriceTable } from '../../src/core/pricing/pricing';
import { dailyReport, sessionReport, totals } from '../../src/core/query';
import { assistantLine, tempDir, writeLines } from './helpers';

const prices = new PriceTable();
const FILES = 40;

/**
 * 40 transcripts over 4 projects and 10 days: streamed copies inside a file, a resumed session
 * that repeats its parent's last request, and a subagent replay of a main-session request.
 * `newestFirst` decides whether the files' times run with or against their names.
 */
function corpus(newestFirst: boolean): string {
  const root = path.join(tempDir('tcd-progress-'), 'projects');
  for (let f = 0; f < FILES; f++) {
    const day = String(1 + (f % 10)).padStart(2, '0');
    const session = `s${f}`;
    const file = path.join(root, `-home-me-p${f % 4}`, `${session}.jsonl`);
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      const base = {
        id: `msg_${f}_${i}`,
        requestId: `req_${f}_${i}`,
        sessionId: session,
        cwd: `/home/me/p${f % 4}`,
        timestamp: `2026-11-${day}T10:${String(i).padStart(2, '0')}:00.000Z`,
      };
      // A streamed reply: a partial copy, then the complete one.
      lines.push(
        assistantLine({ ...base, input: 100 + i, output: 5 }),
        assistantLine({ ...base, input: 100 + i, output: 50 + f, cacheRead: 1000 * i }),
      );
    }
    // A resumed session repeats the last request of the session before it, unchanged.
    if (f > 0)
      lines.push(
        assistantLine({
          id: `msg_${f - 1}_29`,
          requestId: `req_${f - 1}_29`,
          sessionId: session,
          cwd: `/home/me/p${(f - 1) % 4}`,
          timestamp: `2026-11-${String(1 + ((f - 1) % 10)).padStart(2, '0')}T10:29:00.000Z`,
          input: 129,
          output: 50 + f - 1,
          cacheRead: 29_000,
        }),
      );
    // A subagent replays a main-session request under another request id.
    if (f % 5 === 0)
      lines.push(
        assistantLine({
          id: `msg_${f}_3`,
          requestId: `req_sub_${f}`,
          sessionId: session,
          isSidechain: true,
          input: 103,
          output: 50 + f,
          cacheRead: 3000,
          timestamp: `2026-11-${day}T10:03:00.000Z`,
        }),
      );
    writeLines(file, lines);
    const t = (newestFirst ? FILES - f : f) * 3600 + 1_700_000_000;
    utimesSync(file, t, t);
  }
  return root;
}

const open = (root: string, dbFile: string | null) =>
  UsageEngine.open({ dbFile, roots: () => [root], prices: () => prices, costMode: () => 'auto', followEveryMs: 60_000 });

/** Costs to 12 significant digits: sums in another order differ in the last bit. */
const rounded = <T>(x: T): T =>
  JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)));

/** What a user compares: all-time totals, every day, every session. */
function figures(engine: UsageEngine) {
  return rounded({
    totals: totals(engine.store),
    daily: dailyReport(engine.store, 'UTC'),
    sessions: sessionReport(engine.store).sessions.map((s) => [s.sessionId, s.totalTokens, s.totalCost, s.requests]),
  });
}

describe('first scan: progress, figures while it runs, and stopping it', () => {
  let reference: ReturnType<typeof figures>;
  let root: string;

  before(async () => {
    root = corpus(false);
    const engine = await open(root, null);
    await engine.scan();
    reference = figures(engine);
    await engine.close();
    assert.equal(reference.totals.requests, FILES * 30);
  });

  it('reports every file and byte, ending at the totals it announced', async () => {
    const engine = await open(root, null);
    const seen: ScanProgress[] = [];
    const stats = await engine.scan({ onProgress: (p) => seen.push({ ...p }) });
    await engine.close();
    assert.equal(seen.length, FILES);
    assert.deepEqual(
      seen.map((p) => p.files),
      Array.from({ length: FILES }, (_, i) => i + 1),
    );
    const last = seen[seen.length - 1];
    assert.equal(last.filesTotal, FILES);
    assert.equal(last.bytes, stats.bytesRead);
    assert.equal(last.bytesTotal, stats.bytesRead);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytes >= seen[i - 1].bytes);
  });

  it('shows figures during a first scan: each slice fires a change with more requests stored', async () => {
    const engine = await open(root, null);
    const counts: number[] = [];
    engine.onDidChange(() => counts.push(engine.store.recordCount()));
    await engine.scan({ sliceMs: 0 });
    const final = figures(engine);
    await engine.close();
    // One change per file but the last (stored at the load's end), then the scan's own change.
    assert.equal(counts.length, FILES);
    assert.ok(counts[0] > 0 && counts[0] < FILES * 30, `first slice ${counts[0]}`);
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1]);
    assert.deepEqual(final, reference);
  });

  it('stopped mid-scan keeps what was read; a rescan in the same process reaches the uninterrupted totals', async () => {
    const engine = await open(root, path.join(tempDir('tcd-progress-db-'), 'usage.sqlite'));
    const stop = new AbortController();
    const stats = await engine.scan({ signal: stop.signal, sliceMs: 0, onProgress: (p) => p.files === 13 && stop.abort() });
    assert.equal(stats.cancelled, true);
    assert.equal(stats.filesSeen, 13);
    const partial = engine.store.recordCount();
    assert.ok(partial > 0 && partial < FILES * 30, `${partial} stored`);
    assert.equal(engine.store.fileCount(), 13);
    const rest = await engine.scan();
    assert.equal(rest.cancelled, undefined);
    assert.equal(rest.filesRead, FILES - 13);
    assert.deepEqual(figures(engine), reference);
    await engine.close();
  });

  it('stopped mid-scan, then closed: the next start goes on from the stored cursors to the same totals', async () => {
    const dbFile = path.join(tempDir('tcd-progress-db-'), 'usage.sqlite');
    let engine = await open(root, dbFile);
    const stop = new AbortController();
    await engine.scan({ signal: stop.signal, onProgress: (p) => p.files === 7 && stop.abort() });
    await engine.close();
    engine = await open(root, dbFile);
    assert.equal(engine.store.fileCount(), 7);
    const rest = await engine.scan();
    assert.equal(rest.filesRead, FILES - 7);
    assert.deepEqual(figures(engine), reference);
    // It went on as the first scan it is: the remaining rows went into a snapshot, not one by one
    // into the journal (which holds none of them).
    assert.ok(engine.store.journalBytes < 1000, `${engine.store.journalBytes} journal bytes`);
    await engine.close();
  });

  it('reads the most recently written files first, with the same figures whichever order the times give', async () => {
    const reversed = corpus(true);
    const engine = await open(reversed, null);
    const newest = path.join(reversed, '-home-me-p0', 's0.jsonl');
    const oldest = path.join(reversed, '-home-me-p3', `s${FILES - 1}.jsonl`);
    let firstRead: [boolean, boolean] | undefined;
    await engine.scan({
      onProgress: () => (firstRead ??= [engine.store.cursor(newest) !== undefined, engine.store.cursor(oldest) !== undefined]),
    });
    const got = figures(engine);
    await engine.close();
    assert.deepEqual(firstRead, [true, false]);
    // Copies of a request across files (a resumed session, a subagent replay) count once either
    // way, on the same day. Which session an exact copy counts for follows the order (the first
    // copy read is kept), as it did with the former name order.
    assert.deepEqual(got.totals, reference.totals);
    assert.deepEqual(got.daily, reference.daily);
    assert.equal(got.sessions.length, reference.sessions.length);
  });
});
