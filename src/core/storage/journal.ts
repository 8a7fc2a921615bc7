import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UsageRecord } from '../model';
import type { FileCursor } from './cursors';
import type { StorageIo } from './fsio';

/**
 * One line of the journal: a record, or how far a transcript has been read. `q` numbers the
 * entries of a database (absent in journals written before 0.5): a snapshot notes the last
 * number it holds, so replaying a journal over it skips what it already has.
 */
export type JournalEntry = ({ r: UsageRecord } | { c: FileCursor }) & { q?: number };

/** Where a line of the journal could not be read. */
export interface DamagedLine {
  file: string;
  /** Byte offset of the line in the file. */
  offset: number;
  length: number;
}

/**
 * The write-ahead journal: every change, one JSON line each, flushed to disk before it is
 * acknowledged. Concurrent callers share one flush (group commit), so a burst of heartbeats costs
 * one fsync, not one per request. Replaying an entry twice is harmless (records are upserts by
 * identity), which keeps crash recovery simple.
 *
 * The journal is never cut back in place: it is rotated (renamed to `<file>.<last number>`) and
 * the store deletes a rotated file only once two verified backups hold everything in it, so that
 * any damaged snapshot, and even a damaged newest backup, can be rebuilt from an older backup
 * plus the journal.
 */
export class Journal {
  private queue: string[] = [];
  private flushing: Promise<void> | undefined;
  /** Entries added so far, and how many of them are known to be on disk. */
  private added = 0;
  private durable = 0;
  /** The number of the last entry added. */
  private lastSeq: number;
  private checkedEnd = false;

  constructor(
    readonly file: string,
    private readonly io: StorageIo,
    startSeq = 0,
  ) {
    this.lastSeq = startSeq;
  }

  /** The number of the last entry added (every entry up to it is applied to the database). */
  get seq(): number {
    return this.lastSeq;
  }

  add(entry: JournalEntry): void {
    this.queue.push(`${JSON.stringify({ q: ++this.lastSeq, ...entry })}\n`);
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
      // A line torn by a crash must not swallow the first entry appended after it.
      const lead = this.checkedEnd ? '' : endsTorn(this.file) ? '\n' : '';
      await this.io.appendDurable(this.file, lead + text);
      this.checkedEnd = true;
      this.durable = upTo;
    } catch (err) {
      // Keep the entries for the next flush: nothing accepted is dropped.
      this.queue.unshift(text);
      throw err;
    }
  }

  /** Waits until no flush is writing (before a snapshot or a rotation). */
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
   * Renames the journal to `<file>.<seq>` (seq: the last entry in it), synchronously, so that no
   * append can land in between; the next flush starts a new file. Call after idle().
   */
  rotate(): string | undefined {
    if (this.flushing || this.size() === 0) return undefined;
    const archive = `${this.file}.${this.lastSeq}`;
    fs.renameSync(this.file, archive);
    this.checkedEnd = true;
    return archive;
  }
}

function endsTorn(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size === 0) return false;
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      return last[0] !== 10;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Rotated journals beside `file` (`<file>.<seq>`), oldest first. */
export function rotatedJournals(file: string): { file: string; seq: number }[] {
  const dir = path.dirname(file);
  const base = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && /^\d+$/.test(n.slice(base.length)))
    .map((n) => ({ file: path.join(dir, n), seq: Number(n.slice(base.length)) }))
    .sort((a, b) => a.seq - b.seq);
}

const isEntry = (e: unknown): e is JournalEntry =>
  typeof e === 'object' &&
  e !== null &&
  ('r' in e || 'c' in e) &&
  typeof ((e as { r?: unknown; c?: unknown }).r ?? (e as { c?: unknown }).c) === 'object';

/**
 * The entries inside a damaged line: bytes written over or into the journal (a disk error, a
 * stray write) garble the line they hit, and one without its newline joins two lines into one.
 * Every `{"q":` / `{"r":` / `{"c":` in the line is tried as the start of an entry, ended at one
 * of the next closing braces; what parses is kept.
 */
function salvage(line: string): JournalEntry[] {
  const found: JournalEntry[] = [];
  const starts: number[] = [];
  for (const m of line.matchAll(/\{"[qrc]":/g)) starts.push(m.index);
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i];
    const until = i + 1 < starts.length ? starts[i + 1] : line.length;
    // The entry ends at a '}' before the next start; try the farthest ones first.
    for (let end = line.lastIndexOf('}', until - 1), tries = 0; end > from && tries < 64; end = line.lastIndexOf('}', end - 1), tries++) {
      try {
        const e = JSON.parse(line.slice(from, end + 1)) as unknown;
        if (isEntry(e)) {
          found.push(e);
          break;
        }
      } catch {
        // not this end
      }
    }
  }
  return found;
}

/**
 * Reads complete entries from `offset`; a torn last line (a crash mid-append) is left alone.
 * Damaged lines are reported with their place, and what can be read inside them is kept.
 */
export function readJournal(file: string, offset = 0): { entries: JournalEntry[]; end: number; bad: number; damaged: DamagedLine[] } {
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
    return { entries: [], end: offset, bad: 0, damaged: [] };
  }
  const entries: JournalEntry[] = [];
  const damaged: DamagedLine[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    const line = buf.toString('utf8', start, nl);
    const at = start;
    start = nl + 1;
    if (line.trim() === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      e = undefined;
    }
    if (isEntry(e)) {
      entries.push(e);
      continue;
    }
    damaged.push({ file, offset: offset + at, length: nl - at });
    entries.push(...salvage(line));
  }
  return { entries, end: offset + start, bad: damaged.length, damaged };
}

/**
 * The entries of one journal file from byte `from` that the database does not hold yet (numbered
 * above `appliedSeq`), with the first and last numbers among them and where reading stopped.
 */
export function readFreshEntries(
  file: string,
  from: number,
  appliedSeq: number,
): { fresh: JournalEntry[]; end: number; bad: number; damaged: DamagedLine[]; firstSeq: number; lastSeq: number } {
  const { entries, end, bad, damaged } = readJournal(file, from);
  // Entries without a number come from journals written before they had one: always replayed.
  const fresh = entries.filter((e) => e.q === undefined || e.q > appliedSeq);
  const firstSeq = fresh.find((e) => e.q !== undefined)?.q ?? 0;
  let lastSeq = appliedSeq;
  for (const e of fresh) if (e.q !== undefined && e.q > lastSeq) lastSeq = e.q;
  return { fresh, end, bad, damaged, firstSeq, lastSeq };
}
