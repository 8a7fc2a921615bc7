import * as fs from 'node:fs';
import * as path from 'node:path';
import { isHighBurn } from './figures';
import { crossedThresholds, type StatusSummary } from './status';

/** A budget or burn-rate notification that is due. `key` names it once per period. */
export interface DueAlert {
  key: string;
  text: string;
  /** Over a budget (an error, not a warning). */
  severe: boolean;
}

/**
 * The notifications the figures call for: the highest budget threshold reached per period, and a
 * burn rate above the limit (once per local hour). Every window computes the same list from the
 * same store; `NotifiedMarks` decides which one speaks.
 */
export function dueAlerts(s: StatusSummary, thresholds: readonly number[], burnLimitPerHour: number, now = Date.now()): DueAlert[] {
  const due: DueAlert[] = [];
  for (const c of crossedThresholds(s, thresholds)) {
    const what = c.period === 'daily' ? `today's` : `this month's`;
    due.push({
      key: `${c.period}:${c.periodKey}:${c.threshold}`,
      severe: c.threshold >= 100,
      text: `Token Cost: ${c.threshold >= 100 ? 'over' : `${c.threshold} % of`} ${what} budget: $${c.spent.toFixed(2)} of $${c.budget.toFixed(2)}.`,
    });
  }
  if (isHighBurn(s.burn, burnLimitPerHour)) {
    due.push({
      key: `burn:${s.day}:${new Date(now).getHours()}`,
      severe: false,
      text: `Token Cost: high burn rate, $${s.burn.costPerHour.toFixed(2)}/hour over the last ${s.burn.windowMinutes} minutes.`,
    });
  }
  return due;
}

/**
 * "Already notified" markers in the data folder, shared by every window (extension host) and
 * process that uses it, and kept across restarts: one empty-ish file per key, created with
 * O_CREAT|O_EXCL, so exactly one claimant wins even when two windows compute the same alert in
 * the same instant.
 */
export class NotifiedMarks {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    // Keys are `daily:2026-12-01:80`, `burn:2026-12-01:14`, `snooze:2026-12-01`.
    return path.join(this.dir, `${key.replace(/[^A-Za-z0-9_.-]+/g, '-')}.mark`);
  }

  has(key: string): boolean {
    return fs.existsSync(this.file(key));
  }

  /**
   * True for the one caller that marks `key` first; false when it was already marked. Throws
   * when the folder cannot be written (the caller should then notify rather than stay silent).
   */
  claim(key: string, now = Date.now()): boolean {
    fs.mkdirSync(this.dir, { recursive: true });
    let fd: number;
    try {
      fd = fs.openSync(this.file(key), 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      fs.writeSync(fd, `${JSON.stringify({ key, pid: process.pid, at: new Date(now).toISOString() })}\n`);
    } finally {
      fs.closeSync(fd);
    }
    return true;
  }

  /** Removes markers older than `maxAgeMs` (their periods are long over). Returns how many. */
  prune(maxAgeMs: number, now = Date.now()): number {
    let removed = 0;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!name.endsWith('.mark')) continue;
      const file = path.join(this.dir, name);
      try {
        if (now - fs.statSync(file).mtimeMs > maxAgeMs) {
          fs.rmSync(file, { force: true });
          removed++;
        }
      } catch {
        /* another window pruned it */
      }
    }
    return removed;
  }
}
