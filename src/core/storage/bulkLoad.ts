/**
 * A first scan's bulk load (UsageStore.setBulk): the best copy of each request is kept in memory
 * across all files, under exactly the store's rules and in the same order, and written once at
 * the end, sorted by key (the store's flushPending), into the empty `requests` table.
 */
import { totalTokens, type UsageRecord } from '../model';
import type { FileCursor } from './cursors';
import { requestKey } from './keys';

/** The `flags` bit of a stored request that has a message id (the sidechain rule reads its key range). */
export const HAS_MESSAGE = 4;

/** A stored request's `flags`: 1 unpriced, 2 sidechain, HAS_MESSAGE. */
export const rowFlags = (r: UsageRecord): number => (r.unpriced ? 1 : 0) | (r.isSidechain ? 2 : 0) | (r.messageId ? HAS_MESSAGE : 0);

/** What the "more complete copy" rule compares. */
export interface Rank { sidechain: number; total: number; cost: number }

/** What the store's rules compare of a record. */
export const rankOf = (r: UsageRecord): Rank => ({ sidechain: r.isSidechain ? 1 : 0, total: totalTokens(r), cost: r.cost });

/** The store's "more complete copy" rule: a non-sidechain copy beats a sidechain one, then the larger total, then the higher cost. */
export const better = (a: Rank, b: Rank): boolean =>
  a.sidechain < b.sidechain || (a.sidechain === b.sidechain && (a.total > b.total || (a.total === b.total && a.cost > b.cost)));

/** The same rule for two copies of one request read together (a file's streamed lines). */
export const betterCopy = (a: UsageRecord, b: UsageRecord): boolean => better(rankOf(a), rankOf(b));

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
