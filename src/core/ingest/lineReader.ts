import { closeSync, openSync, promises as fs, readSync } from 'node:fs';

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;
/** Lines longer than this that carry the marker are counted as skipped instead of parsed. */
const MAX_PARSED_LINE = 128 << 20;

export interface LineScanResult {
  /** Offset just past the last complete line: where the next incremental read starts. */
  endOffset: number;
  /** Complete lines seen (with or without the marker). */
  lines: number;
  /** Lines carrying the marker that were longer than can be parsed. */
  oversized: number;
}

/** A line still being written is cut inside its object, so it does not parse; a finished one does. */
function isWholeJsonObject(text: string): boolean {
  const t = text.trimEnd();
  if (!t.startsWith('{') || !t.endsWith('}')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

/** Read buffers are reused across files (a first scan reads a thousand files). */
const freeBuffers: Buffer[] = [];
const takeBuffer = (): Buffer => freeBuffers.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
const giveBuffer = (b: Buffer): void => {
  if (freeBuffers.length < 4) freeBuffers.push(b);
};

/**
 * Finds the complete lines of a file that contain one of the markers, fed the file's bytes from
 * `start` one chunk at a time (the async and the sync reader below share it).
 */
class MarkedLines {
  private readonly list: readonly Buffer[];
  private readonly longest: number;
  private pos: number;
  private lineStart: number;
  private lines = 0;
  private oversized = 0;
  // Pieces of the current (unterminated) line, kept only while it may still need parsing.
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingMarked = false;
  // The tail of the previous chunk, to find a marker that straddles a chunk boundary.
  private overlap = Buffer.alloc(0);

  constructor(
    start: number,
    markers: Buffer | readonly Buffer[],
    private readonly onLine: (line: string, offset: number) => void,
  ) {
    this.list = Array.isArray(markers) ? (markers as readonly Buffer[]) : [markers as Buffer];
    this.longest = Math.max(...this.list.map((m) => m.length));
    this.pos = start;
    this.lineStart = start;
  }

  private has(b: Buffer): boolean {
    return this.list.some((m) => b.indexOf(m) !== -1);
  }

  /**
   * The next chunk of the file (its bytes are not kept past the call). Lines go by a search for
   * the next marker in the whole chunk: the lines before it are only counted (no Buffer per line,
   * no search per line), the line around it is decoded. A line continued from the previous chunk,
   * or into the next one, takes the line-by-line path (`segment`).
   */
  push(chunk: Buffer): void {
    let cursor = 0;
    if (this.pendingBytes > 0) cursor = this.segment(chunk, 0);
    while (cursor >= 0 && cursor < chunk.length) {
      let m = -1;
      for (const marker of this.list) {
        const i = chunk.indexOf(marker, cursor);
        if (i !== -1 && (m === -1 || i < m)) m = i;
      }
      // Count the complete lines before the marker's line (or before the chunk's unfinished end).
      const limit = m === -1 ? chunk.length : m;
      for (let nl = chunk.indexOf(NEWLINE, cursor); nl !== -1 && nl < limit; nl = chunk.indexOf(NEWLINE, cursor)) {
        this.lines++;
        this.lineStart = this.pos + nl + 1;
        cursor = nl + 1;
      }
      if (m === -1) {
        if (cursor < chunk.length) this.segment(chunk, cursor);
        break;
      }
      const nl = chunk.indexOf(NEWLINE, m);
      if (nl === -1) {
        this.segment(chunk, cursor);
        break;
      }
      // A complete marked line inside the chunk (shorter than a chunk, so never oversized).
      this.lines++;
      this.onLine(chunk.toString('utf8', cursor, nl), this.lineStart);
      this.lineStart = this.pos + nl + 1;
      cursor = nl + 1;
    }
    this.pos += chunk.length;
  }

  /**
   * One line from `cursor`, line by line: returns where the next line starts, or -1 when this one
   * goes on into the next chunk (then kept in pieces while it may still need parsing).
   */
  private segment(chunk: Buffer, cursor: number): number {
    const nl = chunk.indexOf(NEWLINE, cursor);
    const segEnd = nl === -1 ? chunk.length : nl;
    const seg = chunk.subarray(cursor, segEnd);
    let marked: boolean = this.pendingMarked || this.has(seg);
    if (!marked && this.pendingBytes > 0 && this.overlap.length > 0) {
      marked = this.has(Buffer.concat([this.overlap, seg.subarray(0, this.longest - 1)]));
    }
    if (nl === -1) {
      // The line continues into the next chunk.
      if (this.pendingBytes + seg.length <= MAX_PARSED_LINE) {
        this.pending.push(Buffer.from(seg));
      }
      this.pendingBytes += seg.length;
      this.pendingMarked = marked;
      this.overlap = Buffer.from(seg.subarray(Math.max(0, seg.length - (this.longest - 1))));
      return -1;
    }
    this.lines++;
    if (marked) {
      const total = this.pendingBytes + seg.length;
      if (total > MAX_PARSED_LINE) {
        this.oversized++;
      } else {
        const text = this.pendingBytes > 0 ? Buffer.concat([...this.pending, seg]).toString('utf8') : seg.toString('utf8');
        this.onLine(text, this.lineStart);
      }
    }
    this.lineStart = this.pos + nl + 1;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingMarked = false;
    this.overlap = Buffer.alloc(0);
    return nl + 1;
  }

  /** The end of what was read: a last line without a newline counts when it is a whole JSON object. */
  finish(): LineScanResult {
    if (this.pendingBytes > 0 && this.pendingMarked && this.pendingBytes <= MAX_PARSED_LINE) {
      const text = Buffer.concat(this.pending).toString('utf8');
      if (isWholeJsonObject(text)) {
        this.lines++;
        this.onLine(text, this.lineStart);
        this.lineStart = this.pos;
      }
    }
    return { endOffset: this.lineStart, lines: this.lines, oversized: this.oversized };
  }
}

/**
 * Calls `onLine` for every complete line at or after `start` that contains one of the markers,
 * reading the file in 1 MiB chunks (the next chunk is read while this one is searched). Lines without a marker are never decoded, and a file is never
 * held in one string. A last line without a newline counts when it is a whole JSON object (as
 * ccusage counts it; the cursor then stands at the end of the file, so a newline written after it
 * later reads as an empty line); anything else there is left for the next read: it may still be
 * being written.
 */
export async function scanMarkedLines(
  path: string,
  start: number,
  markers: Buffer | readonly Buffer[],
  onLine: (line: string, offset: number) => void,
): Promise<LineScanResult> {
  const lines = new MarkedLines(start, markers, onLine);
  const fh = await fs.open(path, 'r');
  let cur = takeBuffer();
  let next = takeBuffer();
  let reading: Promise<{ bytesRead: number }> | undefined;
  try {
    let pos = start;
    reading = fh.read(cur, 0, CHUNK, pos);
    for (;;) {
      const { bytesRead }: { bytesRead: number } = await reading;
      reading = undefined;
      if (bytesRead === 0) break;
      // A short read of a regular file is its end (for now): no last read that returns nothing.
      if (bytesRead === CHUNK) reading = fh.read(next, 0, CHUNK, pos + bytesRead);
      lines.push(cur.subarray(0, bytesRead));
      pos += bytesRead;
      if (!reading) break;
      const swap = cur;
      cur = next;
      next = swap;
    }
    return lines.finish();
  } finally {
    // A read still running (onLine threw) must not land in a buffer that is reused.
    if (reading) await reading.catch(() => undefined);
    giveBuffer(cur);
    giveBuffer(next);
    await fh.close();
  }
}

/**
 * The same with synchronous reads, for a parse worker (parseWorker.ts): it has no event loop to
 * keep free, and a read from the page cache is faster than a round trip through the thread pool.
 */
export function scanMarkedLinesSync(
  path: string,
  start: number,
  markers: Buffer | readonly Buffer[],
  onLine: (line: string, offset: number) => void,
): LineScanResult {
  const lines = new MarkedLines(start, markers, onLine);
  const fd = openSync(path, 'r');
  const buf = takeBuffer();
  try {
    let pos = start;
    for (;;) {
      const bytesRead = readSync(fd, buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      lines.push(buf.subarray(0, bytesRead));
      pos += bytesRead;
      if (bytesRead < CHUNK) break;
    }
    return lines.finish();
  } finally {
    giveBuffer(buf);
    closeSync(fd);
  }
}
