import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { loadSqlJs } from '../sqljs';
import { statOrUndefined, type StorageIo } from './fsio';
import { rotatedJournals, type DamagedLine } from './journal';
import { processAlive } from './lock';

/**
 * The files that make the in-memory database durable besides the journal: the snapshot
 * (`<file>`), the signature of the last snapshot known to be sound (`<file>.checked`), and the
 * verified backups in `backups/`, named with the journal number each holds. The store decides
 * when to load and snapshot (store.ts); this module knows how each file is checked and kept.
 */

/** What opening the database had to repair, told to the user once. */
export interface RecoveryReport {
  /** Why the database file could not be used (empty, not a database, damaged, another program's schema). */
  problem?: string;
  /** Where the unusable database file was moved (it is never deleted). */
  movedAside?: string;
  /** The backup the data was restored from, if any. */
  restoredFrom?: string;
  /** Records in what was loaded (the snapshot or backup) before the journal was replayed. */
  fromSnapshot: number;
  /** Records the journal added over it (changes not yet in the snapshot or backup). */
  fromJournal: number;
  /** Journal entries replayed over the snapshot (records and read positions). */
  replayed: number;
  /** Journal lines that could not be read (a write torn by a crash, or damaged bytes), and where. */
  unreadableJournalLines: number;
  damagedLines: DamagedLine[];
  /** Entries missing between the restored backup and the oldest journal kept (two damaged backups). */
  missingEntries: number;
}

export const noRecovery = (): RecoveryReport => ({
  fromSnapshot: 0,
  fromJournal: 0,
  replayed: 0,
  unreadableJournalLines: 0,
  damagedLines: [],
  missingEntries: 0,
});

/**
 * The sentence telling the person what opening the database repaired, with the numbers, or
 * undefined when nothing was. One wording for every place it is shown (CLI, /api/health, VS Code).
 */
export function recoveryMessage(r: RecoveryReport): string | undefined {
  const parts: string[] = [];
  if (r.problem) {
    const where = r.movedAside ? `; it was moved to ${r.movedAside}` : '';
    const from = r.restoredFrom
      ? `${r.fromSnapshot} from the backup ${r.restoredFrom}`
      : `${r.fromSnapshot} from a backup (none was readable)`;
    parts.push(
      `The usage database could not be used (${r.problem})${where}. Recovered ${r.fromSnapshot + r.fromJournal} record(s): ` +
        `${from} and ${r.fromJournal} from the journal; transcripts are read again.`,
    );
    if (r.missingEntries > 0) parts.push(`${r.missingEntries} journal entr(ies) between the backup and the journal could not be found.`);
  }
  if (r.unreadableJournalLines > 0) {
    const at = r.damagedLines
      .slice(0, 5)
      .map((d) => `${d.file} at byte ${d.offset} (${d.length} bytes)`)
      .join(', ');
    parts.push(
      `Skipped ${r.unreadableJournalLines} damaged journal line(s) (a write torn by a crash, or damaged bytes): ${at}` +
        `${r.damagedLines.length > 5 ? `, and ${r.damagedLines.length - 5} more` : ''}; what could be read in them was kept.`,
    );
  }
  return parts.length ? parts.join(' ') : undefined;
}

/** What tells a replaced file from the one read before (a reader follows the writer's snapshots by it). */
export interface FileSignature {
  ino: number;
  size: number;
  mtimeMs: number;
}

export const sig = (st: fs.Stats | undefined): FileSignature | undefined =>
  st ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : undefined;
export const sameSig = (a?: FileSignature, b?: FileSignature) => a?.ino === b?.ino && a?.size === b?.size && a?.mtimeMs === b?.mtimeMs;
/** ctime too: it changes on every write and cannot be set back by tools that restore an mtime. */
const fullSig = (st: fs.Stats) => `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
export const sameFullSig = (a: fs.Stats, b: fs.Stats | undefined) => b !== undefined && fullSig(a) === fullSig(b);

/** The journal number a backup holds, from its name (backups before 0.5 have none). */
function backupSeq(file: string): number | undefined {
  const m = /-q(\d+)\.sqlite$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

/**
 * Temporary files of atomic writes (`<name>.<pid>.<ms>.tmp`) that a killed process left behind:
 * removed when their process is gone, or after an hour whoever wrote them.
 */
export function removeStaleTemporaryFiles(file: string): void {
  const dirs = [path.dirname(file), path.join(path.dirname(file), 'backups')];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /\.(\d+)(?:\.\d+)?\.tmp$/.exec(name);
      if (!m || !(name.startsWith(path.basename(file)) || dir.endsWith('backups'))) continue;
      const full = path.join(dir, name);
      const pid = Number(m[1]);
      const old = Date.now() - (statOrUndefined(full)?.mtimeMs ?? Date.now()) > 3600_000;
      if ((pid !== process.pid && !processAlive(pid)) || old) fs.rmSync(full, { force: true });
    }
  }
}

/**
 * Opens one candidate (the snapshot or a backup) and checks it with SQLite's quick check unless
 * `trusted`; the reason it is unusable otherwise. Whether it is our schema is for the caller.
 */
export async function openCandidate(bytes: Uint8Array | undefined, trusted: boolean): Promise<{ db: Database } | { problem: string }> {
  if (bytes === undefined) return { problem: 'unreadable' };
  if (bytes.length === 0) return { problem: 'the file is empty (0 bytes)' };
  const SQL = await loadSqlJs();
  const db = new SQL.Database(bytes);
  try {
    if (!trusted) {
      const check = db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
      if (check !== 'ok') throw new Error(`damaged: ${String(check).slice(0, 120)}`);
    }
    db.exec('SELECT count(*) FROM sqlite_master');
  } catch (err) {
    db.close();
    const m = (err as Error).message;
    return {
      problem: /not a database|malformed|damaged|disk image/i.test(m)
        ? m.startsWith('damaged')
          ? m
          : 'not an SQLite database, or damaged'
        : m,
    };
  }
  return { db };
}

/**
 * Requests arrive in hash order, which leaves B-tree pages part-empty; a VACUUM when the file
 * has grown by a quarter since the last one packs them again (about 10% less memory per
 * request). Returns the page count to compare the next time with.
 */
export function compactPages(db: Database, sizeAtVacuum: number): number {
  const pages = pageCount(db);
  if (pages > 256 && pages > sizeAtVacuum * 1.25) {
    db.exec('VACUUM');
    return pageCount(db);
  }
  return sizeAtVacuum;
}

export const pageCount = (db: Database): number => Number(db.exec('PRAGMA page_count')[0]?.values[0]?.[0] ?? 0);

export interface BackupOptions {
  io: StorageIo;
  /** How many backups to keep, at most one per `backupEveryMs`. */
  backups: number;
  backupEveryMs: number;
  /** A journal this big is rotated at the next snapshot, and a backup is due. */
  journalRotateBytes: number;
}

/** The snapshot's sidecar files: the soundness signature and the verified backups. */
export class SnapshotFiles {
  private lastBackupAt = 0;
  /** Backups this process wrote and read back as written. */
  private readonly verifiedBackups = new Set<string>();

  constructor(
    readonly file: string | null,
    private readonly opts: BackupOptions,
  ) {}

  get journalFile(): string | null {
    return this.file ? `${this.file}.journal` : null;
  }

  get backupDir(): string | null {
    return this.file ? path.join(path.dirname(this.file), 'backups') : null;
  }

  /** Where the signature of the last database file known to be sound is kept. */
  private get checkedFile(): string {
    return `${this.file}.checked`;
  }

  isCheckedFile(st: fs.Stats): boolean {
    try {
      return fs.readFileSync(this.checkedFile, 'utf8') === fullSig(st);
    } catch {
      return false;
    }
  }

  /** Notes the database file as sound (after a passed check or a snapshot of ours); best effort. */
  rememberChecked(st: fs.Stats | undefined = this.file ? statOrUndefined(this.file) : undefined): void {
    if (!this.file) return;
    try {
      if (st) fs.writeFileSync(this.checkedFile, fullSig(st), { mode: 0o600 });
      else fs.rmSync(this.checkedFile, { force: true });
    } catch {
      // Only costs a check at the next open.
    }
  }

  /** Backups, newest first. */
  listBackups(): string[] {
    const dir = this.backupDir;
    if (!dir) return [];
    try {
      return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.sqlite'))
        .sort()
        .reverse()
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  }

  backupDue(journalSize: number): boolean {
    if (!this.backupDir) return false;
    if (journalSize > this.opts.journalRotateBytes) return true;
    if (Date.now() - this.lastBackupAt < this.opts.backupEveryMs) return false;
    const newest = this.listBackups()[0];
    const newestAt = newest ? (statOrUndefined(newest)?.mtimeMs ?? 0) : 0;
    if (Date.now() - newestAt < this.opts.backupEveryMs) {
      this.lastBackupAt = newestAt;
      return false;
    }
    return true;
  }

  /**
   * Writes a backup named with the journal number it holds, reads it back to verify it, then
   * deletes the rotated journals the previous backup holds, and backups beyond the limit.
   */
  async backup(bytes: Uint8Array, seq: number): Promise<void> {
    const dir = this.backupDir!;
    const previous = this.listBackups()[0];
    await fsp.mkdir(dir, { recursive: true });
    const target = path.join(dir, `usage-${new Date().toISOString().replace(/[:.]/g, '-')}-q${seq}.sqlite`);
    await this.opts.io.writeFileDurable(target, bytes);
    const back = await fsp.readFile(target);
    if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(back)) {
      await fsp.rm(target, { force: true });
      throw new Error(`the backup ${target} did not read back as written`);
    }
    this.lastBackupAt = Date.now();
    this.verifiedBackups.add(target);
    // The journal the previous backup holds goes only if that backup is sound: if it is not,
    // the rotated files stay for the one before it.
    const previousSeq = previous ? backupSeq(previous) : undefined;
    if (previousSeq !== undefined && (this.verifiedBackups.has(previous!) || (await soundBackup(previous!)))) {
      for (const j of rotatedJournals(this.journalFile!)) if (j.seq <= previousSeq) await fsp.rm(j.file, { force: true });
    }
    for (const old of this.listBackups().slice(this.opts.backups)) await fsp.rm(old, { force: true });
  }
}

/** Whether a backup opens and passes SQLite's quick check. */
async function soundBackup(file: string): Promise<boolean> {
  const bytes = await fsp.readFile(file).catch(() => undefined);
  if (!bytes || bytes.length === 0) return false;
  const SQL = await loadSqlJs();
  const db = new SQL.Database(bytes);
  try {
    return db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] === 'ok';
  } catch {
    return false;
  } finally {
    db.close();
  }
}
