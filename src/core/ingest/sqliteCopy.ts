import * as fs from 'node:fs';

/**
 * The bytes a committed reader of a SQLite database would see, taken without opening the file
 * through SQLite: the main file read into memory, then every committed transaction of its `-wal`
 * file (write-ahead log) applied on the copy. Nothing is written to the agent's files and no lock
 * is taken, so the agent writing at the same moment is never blocked; a transaction still being
 * written (no commit frame yet, or a frame whose checksum does not follow) is left out, as SQLite
 * leaves it out. The copy is marked as a rollback-journal database so that sql.js, which has no
 * WAL of its own, opens it as a plain file.
 */
export function committedDatabaseBytes(file: string): { bytes: Uint8Array; walFrames: number } {
  const main = fs.readFileSync(file);
  let wal: Buffer | undefined;
  try {
    wal = fs.readFileSync(`${file}-wal`);
  } catch {
    wal = undefined;
  }
  let bytes: Buffer = main;
  let walFrames = 0;
  if (wal && wal.length >= 32) {
    const applied = applyWal(main, wal);
    bytes = applied.bytes;
    walFrames = applied.frames;
  }
  if (bytes.length >= 100 && bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000') {
    if (bytes === main) bytes = Buffer.from(main);
    // File format versions: 2 = WAL; 1 = legacy. The in-memory copy has no WAL beside it.
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return { bytes, walFrames };
}

function checksum(buf: Buffer, start: number, end: number, s: [number, number], big: boolean): [number, number] {
  let [s0, s1] = s;
  for (let i = start; i + 8 <= end; i += 8) {
    const x0 = big ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = big ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/** Applies the committed frames of `wal` to a copy of `main` (SQLite's WAL file format). */
export function applyWal(main: Buffer, wal: Buffer): { bytes: Buffer; frames: number } {
  const magic = wal.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return { bytes: main, frames: 0 };
  const big = magic === 0x377f0683;
  const pageSize = wal.readUInt32BE(8) === 1 ? 65536 : wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let sum = checksum(wal, 0, 24, [0, 0], big);
  if (sum[0] !== wal.readUInt32BE(24) || sum[1] !== wal.readUInt32BE(28)) return { bytes: main, frames: 0 };
  const frameSize = 24 + pageSize;
  const pending = new Map<number, Buffer>();
  const committed = new Map<number, Buffer>();
  let dbPages = 0;
  let frames = 0;
  for (let off = 32; off + frameSize <= wal.length; off += frameSize) {
    if (wal.readUInt32BE(off + 8) !== salt1 || wal.readUInt32BE(off + 12) !== salt2) break;
    sum = checksum(wal, off, off + 8, sum, big);
    sum = checksum(wal, off + 24, off + frameSize, sum, big);
    if (sum[0] !== wal.readUInt32BE(off + 16) || sum[1] !== wal.readUInt32BE(off + 20)) break;
    pending.set(wal.readUInt32BE(off), wal.subarray(off + 24, off + frameSize));
    const commitSize = wal.readUInt32BE(off + 4);
    if (commitSize > 0) {
      for (const [pg, data] of pending) committed.set(pg, data);
      frames += pending.size;
      pending.clear();
      dbPages = commitSize;
    }
  }
  if (committed.size === 0) return { bytes: main, frames: 0 };
  const out = Buffer.alloc(dbPages * pageSize);
  main.copy(out, 0, 0, Math.min(main.length, out.length));
  for (const [pg, data] of committed) if (pg >= 1 && pg <= dbPages) data.copy(out, (pg - 1) * pageSize);
  return { bytes: out, frames };
}
