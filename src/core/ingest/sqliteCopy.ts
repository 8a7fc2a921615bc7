import * as fs from 'node:fs';

/**
 * The bytes a committed reader of a SQLite database would see, taken without opening the file
 * through SQLite: the main file read into memory, then every committed transaction of its `-wal`
 * file (write-ahead log) applied on the copy. Nothing is written to the agent's files and no lock
 * is taken, so the agent writing at the same moment is never blocked; a transaction still being
 * written (no commit frame yet, or a frame whose checksum does not follow) is left out, as SQLite
 * leaves it out. A database in rollback-journal mode with a hot `-journal` (a writer inside a
 * transaction that has already written pages to the main file, or one that died there) has the
 * journal's original pages put back on the copy, as SQLite's rollback would. The copy is marked as a rollback-journal database so that sql.js, which has no
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
  let journal: Buffer | undefined;
  try {
    journal = fs.readFileSync(`${file}-journal`);
  } catch {
    journal = undefined;
  }
  if (journal && journal.length >= 28) bytes = rollBackJournal(main, journal);
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

const JOURNAL_MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

/**
 * The main file as it was before the transaction a hot rollback journal belongs to (SQLite's
 * journal format: a header per segment, padded to the sector size, then records of page number,
 * original page and checksum). A journal without the magic (zeroed or truncated at commit in
 * PERSIST/TRUNCATE mode) is no transaction and changes nothing; records past the synced count or
 * with a bad checksum are not applied, as SQLite does not apply them.
 */
export function rollBackJournal(main: Buffer, journal: Buffer): Buffer {
  let out: Buffer | undefined;
  let originalPages = -1;
  let off = 0;
  let sector = 0;
  while (off + 28 <= journal.length && journal.subarray(off, off + 8).equals(JOURNAL_MAGIC)) {
    let nRec = journal.readUInt32BE(off + 8);
    const init = journal.readUInt32BE(off + 12);
    const dbPages = journal.readUInt32BE(off + 16);
    if (sector === 0) sector = journal.readUInt32BE(off + 20) || 512;
    const pageSize = journal.readUInt32BE(off + 24) === 1 ? 65536 : journal.readUInt32BE(off + 24);
    if (pageSize < 512 || sector < 32) break;
    if (originalPages < 0) originalPages = dbPages;
    const recSize = pageSize + 8;
    let rec = off + sector;
    if (nRec === 0xffffffff) nRec = Math.floor((journal.length - rec) / recSize);
    for (let i = 0; i < nRec && rec + recSize <= journal.length; i++, rec += recSize) {
      const pg = journal.readUInt32BE(rec);
      const page = journal.subarray(rec + 4, rec + 4 + pageSize);
      let sum = init;
      for (let k = pageSize - 200; k > 0; k -= 200) sum = (sum + page[k]) >>> 0;
      if (sum !== journal.readUInt32BE(rec + 4 + pageSize)) break;
      if (pg === 0) continue;
      if (!out) out = Buffer.from(main);
      const at = (pg - 1) * pageSize;
      if (at + pageSize > out.length) {
        const grown = Buffer.alloc(at + pageSize);
        out.copy(grown);
        out = grown;
      }
      page.copy(out, at);
    }
    // The next segment's header starts at the next sector boundary.
    off = Math.ceil(rec / sector) * sector;
    if (nRec === 0) break;
  }
  if (originalPages < 0) return main;
  const base = out ?? main;
  const pageSize = journal.readUInt32BE(24) === 1 ? 65536 : journal.readUInt32BE(24);
  const size = originalPages * pageSize;
  return size > 0 && size < base.length ? base.subarray(0, size) : base;
}
