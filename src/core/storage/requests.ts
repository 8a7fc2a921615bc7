import type { Database } from 'sql.js';
import { betterCopySql, better, rankOf, storedApiCost, type Rank } from '../copyRule';
import type { Source, UsageRecord } from '../model';
import { messageKeyRange, requestKey } from './keys';
import { HAS_MESSAGE, SIDECHAIN, UNPRICED } from './schema';
import { all, bigKeys, get, type BigStatement } from './sql';

/** Sources whose records are final once stored (reported, not read from a file that can be read again). */
const REPORTED_SOURCES = "('heartbeat', 'manual', 'otel')";

/**
 * A later copy replaces the stored one only when the copy rule (copyRule.ts) says it is more
 * complete; the WHERE condition is generated from that rule.
 */
export const UPSERT = `
INSERT INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write,
  cache_write_1h, cache_read, reported_cost, cost, flags, api_cost)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET
  ts = excluded.ts, source_id = excluded.source_id, model_id = excluded.model_id, project_id = excluded.project_id,
  session_id = excluded.session_id, input = excluded.input, output = excluded.output,
  cache_write = excluded.cache_write, cache_write_1h = excluded.cache_write_1h, cache_read = excluded.cache_read,
  reported_cost = excluded.reported_cost, cost = excluded.cost, flags = excluded.flags, api_cost = excluded.api_cost
WHERE ${betterCopySql('excluded', 'requests')}
  -- A reported record (heartbeat, gateway event, manual log, OTLP event) is final once stored: a retry
  -- with the same id never rewrites it, whatever it carries (the server answers 409 to a different body).
  AND requests.source_id NOT IN (SELECT id FROM sources WHERE name IN ${REPORTED_SOURCES})
`;

/**
 * How far apart a transcript line's time and an OTLP event's time for the same request may be:
 * the transcript stamps the message, the event its completion, a long streamed reply later.
 */
const OTEL_MATCH_MS = 10 * 60_000;

const DIMENSIONS = { source: 'sources', model: 'models', project: 'projects', session: 'sessions' } as const;
type Dimension = keyof typeof DIMENSIONS;

export interface InsertStatements {
  upsert: BigStatement;
  sameMessage: BigStatement;
  drop: BigStatement;
  setCredits: BigStatement;
  clearCredits: BigStatement;
  setCursor: BigStatement;
  dims: Partial<Record<Dimension, BigStatement>>;
}

/** What a reported record is compared by when its id arrives again. */
export type StoredReport = Pick<
  UsageRecord,
  | 'timestamp'
  | 'source'
  | 'model'
  | 'project'
  | 'sessionId'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheWriteTokens'
  | 'cacheReadTokens'
  | 'reportedCost'
>;

export interface InsertOptions {
  /** Called for each row added or replaced (to journal it). */
  added?: (r: UsageRecord) => void;
  /** false skips the sidechain-rival lookup (records resolved against each other into an empty table). */
  rivals: boolean;
  /** The records' keys, when the caller computed them already. */
  keys?: readonly bigint[];
  /** Keys a rebuild has not read again yet: the first copy read replaces the stored one. */
  stale?: Set<bigint>;
}

/**
 * The `requests` table's write side: the upsert and its rules, the sidechain rivals, the OTLP
 * copies, and the name <-> id caches of the dimension tables. Statements are prepared once per
 * open database; `reset()` frees them when the database is exported, replaced or closed.
 */
export class RequestTable {
  private dims = new Map<Dimension, Map<string, number>>();
  private dimNext = new Map<Dimension, number>();
  private stmts: InsertStatements | undefined;
  /** Whether `request_credits` may hold rows (undefined: not looked at since the database changed). */
  private anyCredits: boolean | undefined;

  constructor(
    private readonly db: () => Database,
    /** Called whenever a change reaches the table. */
    private readonly changed: () => void,
  ) {}

  /** Forgets the names (their ids may be gone with a rolled-back transaction or a replaced database). */
  forgetNames(): void {
    this.dims.clear();
    this.dimNext.clear();
    this.anyCredits = undefined;
  }

  /**
   * Whether a stored copy may have credits to clear: a store that never saw any (every agent but
   * Amp and Codebuff) skips the delete, so the bulk load's and the upsert's cost stay as they were.
   */
  private mayHoldCredits(): boolean {
    this.anyCredits ??= get(this.db(), 'SELECT 1 AS x FROM request_credits LIMIT 1') !== undefined;
    return this.anyCredits;
  }

  statements(): InsertStatements {
    if (!this.stmts) {
      const db = this.db();
      this.stmts = {
        upsert: db.prepare(UPSERT) as BigStatement,
        sameMessage: db.prepare(
          `SELECT key, flags, input + output + cache_write + cache_read AS total, cost, api_cost FROM requests
            WHERE key BETWEEN ? AND ? AND key <> ? AND flags & ${HAS_MESSAGE} AND model_id = ?`,
        ) as BigStatement,
        drop: db.prepare('DELETE FROM requests WHERE key = ?') as BigStatement,
        setCredits: db.prepare('INSERT OR REPLACE INTO request_credits (key, credits) VALUES (?, ?)') as BigStatement,
        clearCredits: db.prepare('DELETE FROM request_credits WHERE key = ?') as BigStatement,
        setCursor: db.prepare(
          'INSERT OR REPLACE INTO files (path, size, mtime, ino, offset, state) VALUES (?, ?, ?, ?, ?, ?)',
        ) as BigStatement,
        dims: {},
      };
    }
    return this.stmts;
  }

  /** Frees the cached statements (before the database is exported, replaced or closed). */
  freeStatements(): void {
    if (!this.stmts) return;
    const { dims, ...rest } = this.stmts;
    for (const st of [...Object.values(rest), ...Object.values(dims)]) st.free();
    this.stmts = undefined;
  }

  /** The whole table of one dimension, name -> id, read once. */
  names(kind: Dimension): Map<string, number> {
    let cache = this.dims.get(kind);
    if (!cache) {
      cache = new Map();
      for (const r of all(this.db(), `SELECT id, name FROM ${DIMENSIONS[kind]}`)) cache.set(String(r.name), Number(r.id));
      this.dims.set(kind, cache);
    }
    return cache;
  }

  private dimId(kind: Dimension, name: string): number {
    const cache = this.names(kind);
    let id = cache.get(name);
    if (id === undefined) {
      // The cache holds the whole table, so a new name takes the next id (no look-up query).
      let next = this.dimNext.get(kind);
      if (next === undefined) {
        next = 1;
        for (const v of cache.values()) if (v >= next) next = v + 1;
      }
      const db = this.db();
      const stmts = this.statements();
      const insert = (stmts.dims[kind] ??= db.prepare(
        `INSERT OR IGNORE INTO ${DIMENSIONS[kind]} (id, name) VALUES (?, ?)`,
      ) as BigStatement);
      insert.run([next, name]);
      id = db.getRowsModified() > 0 ? next : Number(get(db, `SELECT id FROM ${DIMENSIONS[kind]} WHERE name = ?`, [name])?.id);
      cache.set(name, id);
      this.dimNext.set(kind, Math.max(next, id) + 1);
    }
    return id;
  }

  /** One UPSERT per record, inside the caller's transaction; returns how many rows were added or replaced. */
  insertRows(records: readonly UsageRecord[], opts: InsertOptions): number {
    const { upsert, sameMessage, drop, setCredits, clearCredits } = this.statements();
    const db = this.db();
    let changed = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const key = opts.keys ? opts.keys[i] : requestKey(r.dedupKey, r.messageId);
      if (opts.stale?.delete(key)) drop.run([key]);
      if (opts.rivals && r.messageId && !this.keepOverSidechainCopies(r, key, messageKeyRange(r.messageId), sameMessage, drop)) continue;
      const flags = (r.unpriced ? UNPRICED : 0) | (r.isSidechain ? SIDECHAIN : 0) | (r.messageId ? HAS_MESSAGE : 0);
      upsert.run([
        key,
        r.timestamp,
        this.dimId('source', r.source),
        this.dimId('model', r.model),
        this.dimId('project', r.project),
        this.dimId('session', r.sessionId),
        r.inputTokens,
        r.outputTokens,
        r.cacheWriteTokens,
        r.cacheWrite1hTokens,
        r.cacheReadTokens,
        r.reportedCost,
        r.cost,
        flags,
        storedApiCost(r),
      ]);
      const n = db.getRowsModified();
      changed += n;
      if (n > 0) {
        // The stored copy's credits are the winning copy's (none when it has none).
        if (r.credits !== undefined) {
          setCredits.run([key, r.credits]);
          this.anyCredits = true;
        } else if (this.mayHoldCredits()) clearCredits.run([key]);
        opts.added?.(r);
      }
    }
    if (changed > 0) changed -= this.dropOtelCopies(records);
    if (changed > 0) this.changed();
    return changed;
  }

  /**
   * A request counted once when an agent reports it over OTLP and writes it to a transcript this
   * store reads: the transcript's copy wins (it has the 1-hour cache-write split, the project and
   * the message id that tells subagent replays apart, and a rebuild can read it again). The OTLP
   * copy is the same request when it has the transcript's session, model and four token counts
   * and lies within OTEL_MATCH_MS of it. Runs after every insert that could pair the two, in
   * either order of arrival; returns how many of `records`' own OTLP rows it dropped.
   */
  private dropOtelCopies(records: readonly UsageRecord[]): number {
    let lo = Infinity;
    let hi = -Infinity;
    const otelKeys = new Set<bigint>();
    for (const r of records) {
      if (r.source !== 'otel' && r.source !== 'claude-code' && r.source !== 'claude-code-subagent') continue;
      if (r.timestamp < lo) lo = r.timestamp;
      if (r.timestamp > hi) hi = r.timestamp;
      if (r.source === 'otel') otelKeys.add(requestKey(r.dedupKey, r.messageId));
    }
    if (lo > hi) return 0;
    const sources = this.names('source');
    const otel = sources.get('otel');
    if (otel === undefined) return 0;
    const claude = ['claude-code', 'claude-code-subagent'].flatMap((n) => sources.get(n) ?? []);
    if (claude.length === 0) return 0;
    const copies = bigKeys(
      this.db(),
      `SELECT o.key FROM requests o WHERE o.ts BETWEEN ? AND ? AND o.source_id = ? AND EXISTS (
         SELECT 1 FROM requests t WHERE t.ts BETWEEN o.ts - ${OTEL_MATCH_MS} AND o.ts + ${OTEL_MATCH_MS}
           AND t.source_id IN (${claude.join(', ')}) AND t.session_id = o.session_id AND t.model_id = o.model_id
           AND t.input = o.input AND t.output = o.output AND t.cache_read = o.cache_read AND t.cache_write = o.cache_write)`,
      [lo - OTEL_MATCH_MS, hi + OTEL_MATCH_MS, otel],
    );
    if (copies.length === 0) return 0;
    const { drop } = this.statements();
    for (const key of copies) drop.run([key]);
    this.changed();
    return copies.filter((k) => otelKeys.has(k)).length;
  }

  /**
   * The same message id under another requestId is one message when either copy is a sidechain
   * (a subagent replay): only the better copy stays. Returns false when `r` must not be stored.
   * Copies are found by their key range (44 bits of the message's hash) and the same model: a
   * replay is the same response, so two messages are mistaken for one only if both match.
   */
  private keepOverSidechainCopies(
    r: UsageRecord,
    key: bigint,
    range: [bigint, bigint],
    sameMessage: BigStatement,
    drop: BigStatement,
  ): boolean {
    const rivals: (Rank & { key: bigint })[] = [];
    sameMessage.bind([range[0], range[1], key, this.dimId('model', r.model)]);
    while (sameMessage.step()) {
      const row = sameMessage.getAsObject(undefined, { useBigInt: true });
      const sidechain = Number(row.flags) & SIDECHAIN ? 1 : 0;
      if (r.isSidechain || sidechain === 1) {
        const apiCost = row.api_cost == null ? null : Number(row.api_cost);
        rivals.push({ key: row.key as bigint, sidechain, total: Number(row.total), cost: Number(row.cost), apiCost });
      }
    }
    sameMessage.reset();
    const mine = rankOf(r);
    for (const rival of rivals) {
      if (!better(mine, rival)) return false;
    }
    for (const rival of rivals) drop.run([rival.key]);
    return true;
  }

  /** Keys of every request a rebuild reads again (all but the reported ones). */
  rebuildableKeys(): bigint[] {
    return bigKeys(this.db(), `SELECT key FROM requests WHERE source_id NOT IN (SELECT id FROM sources WHERE name IN ${REPORTED_SOURCES})`);
  }

  /**
   * The stored form of records by dedup key (for keys without a message id: reported records),
   * to tell a retry (same fields) from a conflicting reuse of an id.
   */
  storedReports(dedupKeys: readonly string[]): Map<string, StoredReport> {
    const found = new Map<string, StoredReport>();
    const stmt = this.db().prepare(
      'SELECT ts, source, model, project, session, input, output, cache_write, cache_read, reported_cost FROM usage WHERE id = ?',
    ) as BigStatement;
    try {
      for (const k of new Set(dedupKeys)) {
        stmt.bind([requestKey(k)]);
        if (stmt.step()) {
          const r = stmt.getAsObject();
          found.set(k, {
            timestamp: Number(r.ts),
            source: String(r.source) as Source,
            model: String(r.model),
            project: String(r.project),
            sessionId: String(r.session),
            inputTokens: Number(r.input),
            outputTokens: Number(r.output),
            cacheWriteTokens: Number(r.cache_write),
            cacheReadTokens: Number(r.cache_read),
            reportedCost: r.reported_cost == null ? null : Number(r.reported_cost),
          });
        }
        stmt.reset();
      }
    } finally {
      stmt.free();
    }
    return found;
  }
}
