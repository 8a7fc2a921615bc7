import { promises as fs } from 'node:fs';

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
  const list = Array.isArray(markers) ? (markers as readonly Buffer[]) : [markers as Buffer];
  const has = (b: Buffer) => list.some((m) => b.indexOf(m) !== -1);
  const longest = Math.max(...list.map((m) => m.length));
  const fh = await fs.open(path, 'r');
  let cur = takeBuffer();
  let next = takeBuffer();
  let reading: Promise<{ bytesRead: number }> | undefined;
  try {
    let pos = start;
    let lineStart = start;
    let lines = 0;
    let oversized = 0;
    // Pieces of the current (unterminated) line, kept only while it may still need parsing.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let pendingMarked = false;
    // The tail of the previous chunk, to find a marker that straddles a chunk boundary.
    let overlap = Buffer.alloc(0);

    reading = fh.read(cur, 0, CHUNK, pos);
    for (;;) {
      const { bytesRead }: { bytesRead: number } = await reading;
      reading = undefined;
      if (bytesRead === 0) break;
      // A short read of a regular file is its end (for now): no last read that returns nothing.
      if (bytesRead === CHUNK) reading = fh.read(next, 0, CHUNK, pos + bytesRead);
      const chunk = cur.subarray(0, bytesRead);
      let cursor = 0;
      while (cursor < chunk.length) {
        const nl = chunk.indexOf(NEWLINE, cursor);
        const segEnd = nl === -1 ? chunk.length : nl;
        const seg = chunk.subarray(cursor, segEnd);
        let marked: boolean = pendingMarked || has(seg);
        if (!marked && pendingBytes > 0 && overlap.length > 0) {
          marked = has(Buffer.concat([overlap, seg.subarray(0, longest - 1)]));
        }
        if (nl === -1) {
          // The line continues into the next chunk.
          if (pendingBytes + seg.length <= MAX_PARSED_LINE) {
            pending.push(Buffer.from(seg));
          }
          pendingBytes += seg.length;
          pendingMarked = marked;
          overlap = Buffer.from(seg.subarray(Math.max(0, seg.length - (longest - 1))));
          cursor = segEnd;
          break;
        }
        lines++;
        if (marked) {
          const total = pendingBytes + seg.length;
          if (total > MAX_PARSED_LINE) {
            oversized++;
          } else {
            const text = pendingBytes > 0 ? Buffer.concat([...pending, seg]).toString('utf8') : seg.toString('utf8');
            onLine(text, lineStart);
          }
        }
        lineStart = pos + nl + 1;
        pending = [];
        pendingBytes = 0;
        pendingMarked = false;
        overlap = Buffer.alloc(0);
        cursor = nl + 1;
      }
      pos += bytesRead;
      if (!reading) break;
      const swap = cur;
      cur = next;
      next = swap;
    }
    if (pendingBytes > 0 && pendingMarked && pendingBytes <= MAX_PARSED_LINE) {
      const text = Buffer.concat(pending).toString('utf8');
      if (isWholeJsonObject(text)) {
        lines++;
        onLine(text, lineStart);
        lineStart = pos;
      }
    }
    return { endOffset: lineStart, lines, oversized };
  } finally {
    // A read still running (onLine threw) must not land in a buffer that is reused.
    if (reading) await reading.catch(() => undefined);
    giveBuffer(cur);
    giveBuffer(next);
    await fh.close();
  }
}
