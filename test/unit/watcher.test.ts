import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { TranscriptWatcher } from '../../src/core/ingest/watcher';
import { assistantLine, tempDir, writeLines } from './helpers';

function nextChange(): { promise: Promise<string[]>; onChange: (p: string[]) => void } {
  let resolve!: (p: string[]) => void;
  const promise = new Promise<string[]>((r) => (resolve = r));
  return { promise, onChange: (p) => resolve(p) };
}

describe('watcher: transcripts written by an agent', () => {
  it('reports an appended transcript once per burst of writes', async () => {
    const root = tempDir();
    const file = path.join(root, '-home-me-app', 's1.jsonl');
    writeLines(file, [assistantLine({ id: 'a', requestId: 'r' })]);
    const calls: string[][] = [];
    let notify: (() => void) | undefined;
    const w = new TranscriptWatcher({
      roots: () => [root],
      minIntervalMs: 100,
      onChange: (p) => {
        calls.push(p);
        notify?.();
      },
    });
    w.refreshRoots();
    await w.ready();
    const done = new Promise<void>((r) => (notify = r));
    for (let i = 0; i < 5; i++) writeLines(file, [assistantLine({ id: `b${i}`, requestId: 'r' })], true);
    await done;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(calls.length, 1, `one notification for a burst, got ${calls.length}`);
    assert.deepEqual(calls[0], [file]);
    await w.close();
  });

  it('reports while an agent keeps streaming, not only once it stops', async () => {
    const root = tempDir();
    const file = path.join(root, '-home-me-app', 's1.jsonl');
    writeLines(file, [assistantLine({ id: 'a', requestId: 'r' })]);
    const calls: string[][] = [];
    const w = new TranscriptWatcher({ roots: () => [root], minIntervalMs: 150, onChange: (p) => calls.push(p) });
    w.refreshRoots();
    await w.ready();
    // A line every 40 ms for 1.2 s: a debounce of 150 ms would never see a quiet spell.
    for (let i = 0; i < 30; i++) {
      writeLines(file, [assistantLine({ id: `s${i}`, requestId: 'r' })], true);
      await new Promise((r) => setTimeout(r, 40));
    }
    const duringStream = calls.length;
    await new Promise((r) => setTimeout(r, 400));
    await w.close();
    assert.ok(duringStream >= 2, `reported ${duringStream} time(s) while the agent streamed`);
    // Far fewer reports than writes.
    assert.ok(calls.length < 30, `${calls.length} reports for 30 writes`);
    assert.deepEqual([...new Set(calls.flat())], [file]);
  });

  it('follows a project folder created after it started, and ignores non-transcripts', async () => {
    const root = tempDir();
    const c = nextChange();
    const w = new TranscriptWatcher({ roots: () => [root], minIntervalMs: 50, onChange: c.onChange });
    w.refreshRoots();
    await w.ready();
    mkdirSync(path.join(root, '-new-project'));
    writeLines(path.join(root, '-new-project', 'notes.txt'), ['not a transcript']);
    await new Promise((r) => setTimeout(r, 200));
    const file = path.join(root, '-new-project', 's2.jsonl');
    writeLines(file, [assistantLine({ id: 'c', requestId: 'r' })]);
    assert.deepEqual(await c.promise, [file]);
    await w.close();
  });

  it('starts watching a root that did not exist at first once asked again', async () => {
    const parent = tempDir();
    const root = path.join(parent, 'projects');
    const c = nextChange();
    const w = new TranscriptWatcher({ roots: () => [root], minIntervalMs: 50, onChange: c.onChange });
    w.refreshRoots();
    mkdirSync(root);
    w.refreshRoots();
    await w.ready();
    const file = path.join(root, 'p', 's.jsonl');
    writeLines(file, [assistantLine({ id: 'd', requestId: 'r' })]);
    assert.deepEqual(await c.promise, [file]);
    await w.close();
  });
});
