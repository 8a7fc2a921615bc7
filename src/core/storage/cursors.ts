/**
 * The read position of one transcript file. Its own module because both the store (the
 * `cursors` table) and the journal (cursor entries) hold cursors, and neither may import the other.
 */
/** How far a transcript file has been read. */
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
