import type { Database } from 'sql.js';
import { bestFirstSql } from '../copyRule';
import type { Source, UsageRecord } from '../model';
import { REQUEST_KEY_MASK } from './keys';
import {
  HAS_MESSAGE,
  MIGRATE_V1_TO_V2,
  MIGRATE_V4_TO_V5,
  MIGRATE_V5_TO_V6,
  ROLLUP_HOUR_MS,
  ROLLUP_SCHEMA,
  ROLLUP_SUMS,
  SCHEMA_V4,
  SCHEMA_VERSION,
} from './schema';
import { all, each, get, transaction } from './sql';

/** A database written by a newer build: never moved aside, the user updates instead. */
export class NewerSchemaError extends Error {}

export const DROP_ROLLUP_TRIGGERS =
  'DROP TRIGGER IF EXISTS rollup_insert; DROP TRIGGER IF EXISTS rollup_delete; DROP TRIGGER IF EXISTS rollup_update; DROP TRIGGER IF EXISTS rollup_replace;';

/**
 * Brings an opened database to the current schema (an empty one gets it whole) and checks it is
 * ours. `insert` stores records without journaling them (the version 2 upgrade re-keys every
 * row through the normal insert). Returns whether it changed anything a snapshot must save.
 * Throws NewerSchemaError for a file of a newer build, another Error for a foreign database.
 */
export function migrate(db: Database, insert: (records: UsageRecord[]) => void): boolean {
  const changed = migrateSchema(db, insert);
  // What journal entries a snapshot holds (additive: builds that do not know it ignore it).
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)');
  const tables = ['sources', 'models', 'projects', 'sessions', 'requests', 'files'];
  const present = all(
    db,
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${tables.map(() => '?').join(', ')})`,
    tables,
  ).map((r) => r.name);
  if (present.length !== tables.length) throw new Error(`no table ${tables.filter((t) => !present.includes(t)).join(', ')}`);
  return changed;
}

function migrateSchema(db: Database, insert: (records: UsageRecord[]) => void): boolean {
  // Durability comes from our journal and snapshots; SQLite's own rollback journal would be a
  // file created and deleted in sql.js's in-memory file system on every transaction.
  db.exec('PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY');
  let version = Number(db.exec('PRAGMA user_version')[0]?.values[0][0] ?? 0);
  if (version > SCHEMA_VERSION) {
    throw new NewerSchemaError(
      `The usage database was written by a newer version of Token Cost Dashboard (schema ${version}); update the extension.`,
    );
  }
  let changed = false;
  if (version === 0) {
    const hasTables = Number(db.exec("SELECT count(*) FROM sqlite_master WHERE type = 'table'")[0]?.values[0][0] ?? 0) > 0;
    if (!hasTables) {
      db.exec(SCHEMA_V4);
      db.exec(MIGRATE_V4_TO_V5);
      db.exec(MIGRATE_V5_TO_V6);
      db.exec(ROLLUP_SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      return false;
    }
    version = 1;
  }
  if (version === 1) {
    db.exec(MIGRATE_V1_TO_V2);
    version = 2;
  }
  if (version === 2) {
    migrateV2ToV5(db, insert);
    version = 5;
    changed = true;
  }
  if (version === 3) {
    migrateV3ToV4(db);
    version = 4;
    changed = true;
  }
  if (version === 4) {
    // The rollup is dropped here and rebuilt, with api_cost, by ensureRollup below.
    db.exec(MIGRATE_V4_TO_V5);
    version = 5;
    changed = true;
  }
  if (version === 5) {
    db.exec(MIGRATE_V5_TO_V6);
    version = 6;
    changed = true;
  }
  db.exec(`PRAGMA user_version = ${version}`);
  return ensureRollup(db) || changed;
}

/** Adds the hourly rollup (and its triggers) to a file written before it existed; true when it did. */
export function ensureRollup(db: Database): boolean {
  if (get(db, "SELECT 1 AS x FROM sqlite_master WHERE type = 'trigger' AND name = 'rollup_replace'")) return false;
  transaction(
    db,
    () => {
      db.exec(`${DROP_ROLLUP_TRIGGERS} DROP TABLE IF EXISTS rollup`);
      db.exec(ROLLUP_SCHEMA);
      db.exec(`INSERT INTO rollup (hour, source_id, model_id, project_id, session_id, ${ROLLUP_SUMS})
      SELECT CAST(ts / ${ROLLUP_HOUR_MS} AS INTEGER) AS h, source_id, model_id, project_id, session_id, count(*), sum(input), sum(output),
             sum(cache_write), sum(cache_read), sum(cost), sum(coalesce(api_cost, cost)), sum(flags & 1), min(ts), max(ts)
        FROM requests GROUP BY h, source_id, model_id, project_id, session_id`);
    },
    () => undefined,
  );
  return true;
}

/**
 * Version 4 drops the message column and its index: a request's key now carries its message's
 * hash in its high bits (see requestKey). Rows are copied with their new keys; where two copies
 * of one message would meet on one key, the better copy (the copy rule, copyRule.ts) stays.
 */
function migrateV3ToV4(db: Database): void {
  const mask = Number(REQUEST_KEY_MASK);
  transaction(
    db,
    () => {
      db.exec(`DROP VIEW IF EXISTS usage; ${DROP_ROLLUP_TRIGGERS}
      ALTER TABLE requests RENAME TO requests_v3; DROP INDEX IF EXISTS requests_ts; DROP INDEX IF EXISTS requests_message;`);
      db.exec(SCHEMA_V4);
      db.exec(`INSERT OR IGNORE INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write,
        cache_write_1h, cache_read, reported_cost, cost, flags)
      SELECT CASE WHEN message IS NULL THEN key ELSE ((message & ~${mask}) | (key & ${mask})) END, ts, source_id, model_id, project_id,
             session_id, input, output, cache_write, cache_write_1h, cache_read, reported_cost, cost,
             flags | CASE WHEN message IS NULL THEN 0 ELSE ${HAS_MESSAGE} END
        FROM requests_v3 ORDER BY ${bestFirstSql('requests_v3')};
      DROP TABLE requests_v3;`);
    },
    () => undefined,
  );
}

/** Text columns to dimension tables and hashed identities; rows go through the normal insert. */
function migrateV2ToV5(db: Database, insert: (records: UsageRecord[]) => void): void {
  db.exec(
    'ALTER TABLE usage RENAME TO usage_v2; ALTER TABLE files RENAME TO files_v2; DROP INDEX IF EXISTS usage_ts; DROP INDEX IF EXISTS usage_message;',
  );
  db.exec(SCHEMA_V4);
  db.exec(MIGRATE_V4_TO_V5);
  db.exec(MIGRATE_V5_TO_V6);
  db.exec(ROLLUP_SCHEMA);
  const batch: UsageRecord[] = [];
  each(db, 'SELECT * FROM usage_v2 ORDER BY id', [], (r) => {
    batch.push({
      dedupKey: String(r.dedup_key),
      messageId: r.message_id == null ? undefined : String(r.message_id),
      timestamp: Number(r.ts),
      source: String(r.source) as Source,
      model: String(r.model),
      project: String(r.project),
      sessionId: String(r.session),
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      cacheWriteTokens: Number(r.cache_write),
      cacheWrite1hTokens: Number(r.cache_write_1h),
      cacheReadTokens: Number(r.cache_read),
      reportedCost: r.reported_cost == null ? null : Number(r.reported_cost),
      cost: Number(r.cost),
      unpriced: Number(r.unpriced) === 1,
      isSidechain: Number(r.sidechain) === 1,
    });
  });
  insert(batch);
  db.exec(`INSERT INTO files (path, size, mtime, ino, offset, state) SELECT path, size, mtime, ino, offset, state FROM files_v2;
    DROP TABLE usage_v2; DROP TABLE files_v2;`);
}
