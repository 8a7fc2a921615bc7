// Parse workers (src/core/ingest/parsePool.ts) change where files are read, not what is stored:
// a first scan with workers and one without give the same rows, figures and cursors, on the
// bench corpus with every edge case (Claude Code and Codex), and the incremental scans after it
// (appended lines, read in the main thread) go on from the workers' cursors. Reading in the main
// thread with blocking calls (the CLI's blockingReads) gives the same store as well.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import { claudeProjectRoots } from '../../src/core/ingest/claude';
import { codexSessionRoots } from '../../src/core/ingest/codex';
import type { ScanRoot } from '../../src/core/ingest/scanner';
import { PriceTable } from '../../src/core/pricing/pricing';
import { dailyReport } from '../../src/core/query';
import { assistantLine, tempDir, writeLines } from './helpers';

const root = path.resolve(__dirname, '../../..');

describe('parse workers: the same store as reading in the main thread', function () {
  this.timeout(120_000);
  const home = tempDir('tcd-pool-home-');
  let roots: ScanRoot[];

  before(() => {
    execFileSync(process.execPath, [path.join(root, 'bench', 'corpus.mjs'), '--out', home, '--size-mb', '3', '--seed', '5', '--codex'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const env = { HOME: home };
    roots = [
      ...claudeProjectRoots({ env, home }).map((p): ScanRoot => ({ path: p, kind: 'claude' })),
      ...codexSessionRoots({ env, home }).map((p): ScanRoot => ({ path: p, kind: 'codex' })),
    ];
  });

  async function engine(workers: number | undefined, blockingReads = false) {
    const prices = new PriceTable();
    return UsageEngine.open({
      dbFile: null,
      roots: () => roots,
      prices: () => prices,
      costMode: () => 'auto',
      ...(workers ? { parseWorkers: { count: workers, minBytes: 0 } } : {}),
      ...(blockingReads ? { blockingReads } : {}),
    });
  }

  /** Everything a user sees of the store: every stored request and every cursor. */
  function contents(e: UsageEngine) {
    return {
      rows: e.store.all('SELECT * FROM usage ORDER BY id'),
      cursors: e.store.all('SELECT path, size, mtime, ino, offset, state FROM files ORDER BY path'),
      daily: dailyReport(e.store, 'UTC'),
    };
  }

  it('stores the same rows, figures and cursors with 2 workers as without, and after appends', async () => {
    const plain = await engine(undefined);
    const pooled = await engine(2);
    try {
      const a = await plain.scan();
      const b = await pooled.scan();
      assert.ok(a.records > 100, `the corpus has usage (${a.records} lines)`);
      const { filesParsedInWorkers, ...rest } = b;
      assert.equal(filesParsedInWorkers, a.filesRead, 'every file was read by a worker');
      assert.deepEqual({ ...rest, durationMs: 0 }, { ...a, durationMs: 0 });
      const before = contents(plain);
      assert.ok(before.rows.length > 50 && before.cursors.length > 10, `${before.rows.length} rows, ${before.cursors.length} files`);
      assert.deepEqual(contents(pooled), before);

      const file = String(before.cursors.find((c) => String(c.path).includes(`${path.sep}projects${path.sep}`))!.path);
      writeLines(file, [assistantLine({ id: 'msg_pool_1', requestId: 'req_pool_1', output: 4321 })], true);
      await plain.scan();
      await pooled.scan();
      const after = contents(plain);
      assert.equal(after.rows.length, before.rows.length + 1);
      assert.deepEqual(contents(pooled), after);
    } finally {
      await plain.close();
      await pooled.close();
    }
  });

  it('stores the same rows, figures and cursors with blocking reads in this thread (the CLI) as with thread-pool reads', async () => {
    const plain = await engine(undefined);
    const blocking = await engine(undefined, true);
    try {
      const a = await plain.scan();
      const b = await blocking.scan();
      assert.ok(a.records > 100, `the corpus has usage (${a.records} lines)`);
      assert.deepEqual({ ...b, durationMs: 0 }, { ...a, durationMs: 0 });
      const before = contents(plain);
      assert.ok(before.rows.length > 50 && before.cursors.length > 10, `${before.rows.length} rows, ${before.cursors.length} files`);
      assert.deepEqual(contents(blocking), before);

      const file = String(before.cursors.find((c) => String(c.path).includes(`${path.sep}projects${path.sep}`))!.path);
      writeLines(file, [assistantLine({ id: 'msg_blocking_1', requestId: 'req_blocking_1', output: 1234 })], true);
      await plain.scan();
      await blocking.scan();
      const after = contents(plain);
      assert.equal(after.rows.length, before.rows.length + 1);
      assert.deepEqual(contents(blocking), after);
    } finally {
      await plain.close();
      await blocking.close();
    }
  });

  it('reads a line appended to a file after the workers read it ahead (its cursor keeps what was read)', async () => {
    const pooled = await engine(1);
    try {
      const files = new Set<string>();
      let appended = 0;
      await pooled.scan({
        onProgress: (p) => {
          if (p.files !== 1) return;
          // The first file is stored; the next ones are already read ahead by the worker.
          for (const c of pooled.store.all('SELECT path FROM files')) files.add(String(c.path));
          for (const r of roots.filter((x) => x.kind === 'claude')) {
            for (const f of execFileSync('find', [r.path, '-name', '*.jsonl'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
              if (files.has(f)) continue;
              writeLines(f, [assistantLine({ id: `msg_ahead_${appended}`, requestId: `req_ahead_${appended}`, output: 777 })], true);
              appended++;
            }
          }
        },
      });
      assert.ok(appended > 3, `lines were appended to files read ahead (${appended})`);
      await pooled.scan();
      const fresh = await engine(undefined);
      try {
        await fresh.scan();
        assert.deepEqual(contents(pooled).rows, contents(fresh).rows, 'every appended line is stored');
      } finally {
        await fresh.close();
      }
    } finally {
      await pooled.close();
    }
  });
});
