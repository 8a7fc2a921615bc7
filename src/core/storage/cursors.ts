import type { Database } from 'sql.js';
import { each, type BigStatement } from './sql';

/**
 * How far a transcript file has been read. Its own module because both the store (the `files`
 * table) and the journal (cursor entries) hold cursors, and neither may import the other.
 */
export interface FileCursor {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Offset just past the last complete line that was read. */
  offset: number;
  /** What a stateful reader (e.g. Codex's current model) knew at `offset`, as JSON. */
  state?: string;
}

/** A copy of a cursor with exactly its own fields (no `state` key when it has none). */
export const copyCursor = (c: FileCursor): FileCursor => ({
  path: c.path,
  size: c.size,
  mtimeMs: c.mtimeMs,
  ino: c.ino,
  offset: c.offset,
  ...(c.state != null ? { state: c.state } : {}),
});

/** Writes one cursor to the `files` table through the insert path's prepared statement. */
export function writeCursor(setCursor: BigStatement, c: FileCursor): void {
  setCursor.run([c.path, c.size, c.mtimeMs, c.ino, c.offset, c.state ?? null]);
}

/**
 * Every cursor of the `files` table, read once and then kept in step by the store: a rescan asks
 * for one per file. `forget()` drops it when the table changed underneath (a rolled-back
 * transaction, a replaced database, a rebuild).
 */
export class CursorCache {
  private cache: Map<string, FileCursor> | undefined;

  constructor(private readonly db: () => Database) {}

  all(): Map<string, FileCursor> {
    if (!this.cache) {
      const cache = new Map<string, FileCursor>();
      each(this.db(), 'SELECT path, size, mtime, ino, offset, state FROM files', [], (row) => {
        const c: FileCursor = {
          path: String(row.path),
          size: Number(row.size),
          mtimeMs: Number(row.mtime),
          ino: Number(row.ino),
          offset: Number(row.offset),
          ...(row.state != null ? { state: String(row.state) } : {}),
        };
        cache.set(c.path, c);
      });
      this.cache = cache;
    }
    return this.cache;
  }

  forget(): void {
    this.cache = undefined;
  }
}
