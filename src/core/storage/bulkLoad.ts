/**
 * A first scan's bulk load (UsageStore.setBulk): the best copy of each request is kept in memory
 * across files, under exactly the store's rules (the copy rule, copyRule.ts) and in the same
 * order, and written sorted by key (the store's flushPending): once at the end of a CLI's first
 * scan, into the empty `requests` table; in the extension also at each slice of a long first
 * scan and when a stopped load goes on, into a table that has rows (which then take the SQL path).
 */
import { better, rankOf } from '../copyRule';
import type { UsageRecord } from '../model';
import type { FileCursor } from './cursors';
import { requestKey } from './keys';

/** The rows a bulk load kept, and the cursors to write with them. */
export class BulkLoad {
  private readonly rows = new Map<string, UsageRecord>();
  /** One copy of each model and project name for all rows. */
  private readonly names = new Map<string, string>();
  /** Keys of the kept rows per message id (only for rows with one). */
  private readonly byMessage = new Map<string, string[]>();
  readonly cursors = new Map<string, FileCursor>();

  get isEmpty(): boolean {
    return this.rows.size === 0 && this.cursors.size === 0;
  }

  /**
   * Applies the rules of the store's SQL path (same key: the more complete copy; same message
   * under another key with a sidechain on either side: only the better copy), in the same order;
   * returns what the SQL path would have counted as changed.
   */
  fold(records: readonly UsageRecord[]): number {
    const { rows, byMessage, names } = this;
    let changed = 0;
    for (const r of records) {
      const key = r.dedupKey;
      const message = r.messageId ? r.messageId : null;
      const mine = rankOf(r);
      if (message !== null) {
        const keys = byMessage.get(message);
        if (keys && (keys.length > 1 || keys[0] !== key)) {
          let beaten = true;
          let anyRival = false;
          for (const k of keys) {
            if (k === key) continue;
            const rival = rows.get(k)!;
            if (rival.model !== r.model || (mine.sidechain === 0 && !rival.isSidechain)) continue;
            anyRival = true;
            if (!better(mine, rankOf(rival))) {
              beaten = false;
              break;
            }
          }
          if (!beaten) continue;
          if (anyRival) {
            const kept = keys.filter((k) => {
              if (k === key) return true;
              const rival = rows.get(k)!;
              if (rival.model !== r.model || (mine.sidechain === 0 && !rival.isSidechain)) return true;
              rows.delete(k);
              return false;
            });
            byMessage.set(message, kept);
          }
        }
      }
      const stored = rows.get(key);
      if (stored !== undefined && !better(mine, rankOf(stored))) continue;
      const model = names.get(r.model) ?? (names.set(r.model, r.model), r.model);
      const project = names.get(r.project) ?? (names.set(r.project, r.project), r.project);
      rows.set(key, model === r.model && project === r.project ? r : { ...r, model, project });
      const before = stored === undefined ? undefined : stored.messageId ? stored.messageId : null;
      if (stored === undefined) {
        if (message !== null) this.indexMessage(message, key);
      } else if (before !== message) {
        if (before !== null && before !== undefined) this.unindexMessage(before, key);
        if (message !== null) this.indexMessage(message, key);
      }
      changed++;
    }
    return changed;
  }

  private indexMessage(message: string, key: string): void {
    const keys = this.byMessage.get(message);
    if (keys === undefined) this.byMessage.set(message, [key]);
    else if (!keys.includes(key)) keys.push(key);
  }

  private unindexMessage(message: string, key: string): void {
    const keys = this.byMessage.get(message)?.filter((k) => k !== key);
    if (!keys || keys.length === 0) this.byMessage.delete(message);
    else this.byMessage.set(message, keys);
  }

  /** The kept rows in ascending key order (ascending keys append to the B-tree); empties the load's rows. */
  takeSorted(): { rows: UsageRecord[]; keys: bigint[] } {
    const keyed = [...this.rows.values()].map((r) => ({ key: requestKey(r.dedupKey, r.messageId), r }));
    this.rows.clear();
    this.byMessage.clear();
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { rows: keyed.map((x) => x.r), keys: keyed.map((x) => x.key) };
  }
}
