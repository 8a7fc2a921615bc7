import * as fs from 'node:fs';
import type { UsageRecord } from '../model';
import type { FileCursor } from '../store';
import type { StorageIo } from './fsio';

/** One line of the journal: a record, or how far a transcript has been read. */
export type JournalEntry = { r: UsageRecord } | { c: FileCursor };

/**
 * The write-ahead journal: every change since the last snapshot, one JSON line each, flushed to
 * disk before it is acknowledged. Concurrent callers share one flush (group commit), so a burst
 * of heartbeats costs one fsync, not one per request. Replaying an entry twice is harmless
 * (records are upserts by identity), which keeps crash recovery simple: replay all of it.
 */
export class Journal {
  private queue: string[] = [];
  private flushing: Promise<void> | undefined;
  /** Entries added so far, and how many of them are known to be on disk. */
  private added = 0;
  private durable = 0;

  constructor(
    readonly file: string,
    private readonly io: StorageIo,
  ) {}

  add(entry: JournalEntry): void {
    this.queue.push(`${JSON.stringify(entry)}\n`);
    this.added++;
  }

  get pendingEntries(): number {
    return this.queue.length;
  }

  /** Resolves once every entry added before the call is on disk; rejects if writing failed. */
  async flush(): Promise<void> {
    const target = this.added;
    while (this.durable < target) {
      this.flushing ??= this.writeBatch().finally(() => {
        this.flushing = undefined;
      });
      await this.flushing;
    }
  }

  private async writeBatch(): Promise<void> {
    // Let every caller that is ready in this turn add its entries first: one fsync for all.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.queue.length === 0) return;
    const text = this.queue.join('');
    const upTo = this.added;
    this.queue = [];
    try {
      await this.io.appendDurable(this.file, text);
      this.durable = upTo;
    } catch (err) {
      // Keep the entries for the next flush: nothing accepted is dropped.
      this.queue.unshift(text);
      throw err;
    }
  }

  /** Waits until no flush is writing (before a snapshot reads the journal's length). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
  }

  size(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /**
   * After a snapshot that holds everything up to `coveredBytes`: replace the journal with what
   * was appended since. An append still writing would land in the replaced file and be lost, so
   * this waits until none is, then swaps synchronously so that none can start meanwhile.
   */
  async compact(coveredBytes: number): Promise<void> {
    await this.idle();
    this.compactNow(coveredBytes);
  }

  private compactNow(coveredBytes: number): void {
    let tail: Buffer;
    try {
      const size = fs.statSync(this.file).size;
      if (coveredBytes <= 0) return;
      const fd = fs.openSync(this.file, 'r');
      try {
        tail = Buffer.alloc(Math.max(0, size - coveredBytes));
        if (tail.length) fs.readSync(fd, tail, 0, tail.length, coveredBytes);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return;
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      if (tail.length) fs.writeSync(fd, tail);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}

/** Reads complete entries from `offset`; a torn last line (a crash mid-append) is left alone. */
export function readJournal(file: string, offset = 0): { entries: JournalEntry[]; end: number; bad: number } {
  let buf: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      buf = Buffer.alloc(Math.max(0, size - offset));
      if (buf.length) fs.readSync(fd, buf, 0, buf.length, offset);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return { entries: [], end: offset, bad: 0 };
  }
  const entries: JournalEntry[] = [];
  let bad = 0;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    const line = buf.toString('utf8', start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (e && typeof e === 'object' && ('r' in e || 'c' in e)) entries.push(e);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { entries, end: offset + start, bad };
}
