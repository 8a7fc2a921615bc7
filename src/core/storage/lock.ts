import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A writer that has not touched its lock for this long is presumed dead. */
export const STALE_AFTER_MS = 3000;
export const HEARTBEAT_MS = 1000;

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  startedAt: string;
}

/** Whether a process with this id runs (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * "Only one process writes the database": a lock file in the storage folder, created
 * exclusively and touched every second by its owner. Every VS Code window has its own extension
 * host; the others read. A lock whose owner died (no heartbeat for 3 s, or its pid gone on this
 * host) is taken over, and the new owner checks a moment later that it really won the race.
 */
export class WriterLock {
  private readonly token = randomBytes(12).toString('hex');
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(
    readonly file: string,
    private readonly onLost: () => void = () => undefined,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Who holds the lock now, as its file says (to tell a stale lock and our own), if anyone. */
  owner(): LockInfo | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as LockInfo;
    } catch {
      return undefined;
    }
  }

  private isStale(): boolean {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      return true;
    }
    const info = this.owner();
    if (info && info.host === os.hostname() && info.pid !== process.pid && !processAlive(info.pid)) return true;
    return Date.now() - st.mtimeMs > STALE_AFTER_MS;
  }

  private create(): boolean {
    const info: LockInfo = { pid: process.pid, host: os.hostname(), token: this.token, startedAt: new Date().toISOString() };
    try {
      fs.writeFileSync(this.file, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  private ours(): boolean {
    return this.owner()?.token === this.token;
  }

  /** Takes the lock if it is free or stale. Resolves true when this process is the writer. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    let tookOver = false;
    if (!this.create()) {
      if (!this.isStale()) return false;
      tookOver = true;
      // Move the dead owner's lock aside (a rename is atomic; only one taker succeeds with it).
      try {
        fs.renameSync(this.file, `${this.file}.stale-${process.pid}`);
        fs.rmSync(`${this.file}.stale-${process.pid}`, { force: true });
      } catch {
        return false;
      }
      if (!this.create()) return false;
    }
    // Two takers racing over a stale lock: whoever's token is in the file a moment later won.
    // (A lock created where there was none is exclusive already: no need to wait.)
    if (tookOver) await new Promise((r) => setTimeout(r, 150));
    if (!this.ours()) return false;
    this.held = true;
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.timer.unref?.();
    return true;
  }

  /**
   * Whether this process still holds the lock, read from the file now: a writer that was paused
   * (SIGSTOP, a suspended laptop) may have been replaced meanwhile. Losing it calls onLost.
   */
  confirm(): boolean {
    if (!this.held) return false;
    if (this.ours()) return true;
    this.stop();
    this.onLost();
    return false;
  }

  private beat(): void {
    if (!this.ours()) {
      this.stop();
      this.onLost();
      return;
    }
    const now = new Date();
    try {
      fs.utimesSync(this.file, now, now);
    } catch {
      // A transient error: the next beat tries again; three misses and another window takes over.
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.held = false;
  }

  /** Gives the lock up so another window takes over at once. */
  release(): void {
    if (!this.held) return;
    const mine = this.ours();
    this.stop();
    if (mine) fs.rmSync(this.file, { force: true });
  }
}
