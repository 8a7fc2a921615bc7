/**
 * The database's schema: the current tables, the `usage` view every reader uses, the hourly rollup
 * and the triggers that keep it in step, and the schemas of older versions kept to upgrade files
 * written by them (migrations.ts) and to test those upgrades.
 */

/** flags: bit 0 unpriced, bit 1 sidechain, bit 2 the request carries a message id. */
export const UNPRICED = 1;
export const SIDECHAIN = 2;
export const HAS_MESSAGE = 4;

export const SCHEMA_VERSION = 6;

/**
 * Requests keep integer references to small dimension tables and a 64-bit hash of their
 * identity instead of text: about 70-90 bytes per request with its indexes. The `usage` view
 * gives every reader the plain columns. This is version 4 (without the rollup); version 5
 * extends it (MIGRATE_V4_TO_V5).
 */
export const SCHEMA_V4 = `
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS requests (
  key INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  reported_cost REAL,
  cost REAL NOT NULL,
  flags INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  state TEXT
);
CREATE VIEW IF NOT EXISTS usage AS
  SELECT r.key AS id, r.key AS dedup_key, r.ts AS ts, so.name AS source, mo.name AS model, pr.name AS project,
         se.name AS session, r.input AS input, r.output AS output, r.cache_write AS cache_write,
         r.cache_write_1h AS cache_write_1h, r.cache_read AS cache_read, r.reported_cost AS reported_cost,
         r.cost AS cost, r.flags & 1 AS unpriced, (r.flags >> 1) & 1 AS sidechain
    FROM requests r
    JOIN sources so ON so.id = r.source_id
    JOIN models mo ON mo.id = r.model_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN sessions se ON se.id = r.session_id;
`;

/**
 * Version 5 adds what the API would bill (`api_cost`, see PriceTable.apiCost; NULL where it is the
 * same as `cost`) to requests, the `usage` view and the rollup. Rows written before have NULL;
 * the file cursors are dropped so every transcript is read again and its rows get their figure
 * (the upsert takes a copy that differs only there). Rows whose transcript is gone, and reported
 * rows (heartbeats, manual), keep ccusage's figure for both.
 */
export const MIGRATE_V4_TO_V5 = `
ALTER TABLE requests ADD COLUMN api_cost REAL;
DELETE FROM files;
DROP VIEW IF EXISTS usage;
CREATE VIEW usage AS
  SELECT r.key AS id, r.key AS dedup_key, r.ts AS ts, so.name AS source, mo.name AS model, pr.name AS project,
         se.name AS session, r.input AS input, r.output AS output, r.cache_write AS cache_write,
         r.cache_write_1h AS cache_write_1h, r.cache_read AS cache_read, r.reported_cost AS reported_cost,
         r.cost AS cost, coalesce(r.api_cost, r.cost) AS api_cost, r.flags & 1 AS unpriced, (r.flags >> 1) & 1 AS sidechain
    FROM requests r
    JOIN sources so ON so.id = r.source_id
    JOIN models mo ON mo.id = r.model_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN sessions se ON se.id = r.session_id;
DROP TRIGGER IF EXISTS rollup_insert; DROP TRIGGER IF EXISTS rollup_delete; DROP TRIGGER IF EXISTS rollup_update; DROP TRIGGER IF EXISTS rollup_replace;
DROP TABLE IF EXISTS rollup;
`;

/**
 * Version 6 adds the agent's own billing units of a request (`credits`, UsageRecord.credits: Amp's
 * and Codebuff's) in a table of their own, keyed like `requests`, holding only the requests that
 * carry them. A nullable column on `requests` would cost every row a byte of record header even
 * where it is NULL (measured with sql.js: 200,000 rows, 735 -> 784 pages of 4 KiB); here a row
 * without credits costs nothing. The trigger removes a request's credits with the request (every
 * delete: a rebuild's stale rows, pruning, sidechain and OTLP copies); the upsert writes or clears
 * them whenever a copy is stored (storage/requests.ts). Rows stored before carry none until their
 * file is read again (a rebuild).
 */
export const MIGRATE_V5_TO_V6 = `
CREATE TABLE IF NOT EXISTS request_credits (key INTEGER PRIMARY KEY, credits REAL NOT NULL);
CREATE TRIGGER IF NOT EXISTS request_credits_delete AFTER DELETE ON requests BEGIN
  DELETE FROM request_credits WHERE key = old.key;
END;
`;

/** The schema of version 3, kept to upgrade files written by it and to test that upgrade. */
export const SCHEMA_V3 = `
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS requests (
  key INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  reported_cost REAL,
  cost REAL NOT NULL,
  flags INTEGER NOT NULL,
  message INTEGER
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
CREATE INDEX IF NOT EXISTS requests_message ON requests(message) WHERE message IS NOT NULL;
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  state TEXT
);
CREATE VIEW IF NOT EXISTS usage AS
  SELECT r.key AS id, r.key AS dedup_key, r.ts AS ts, so.name AS source, mo.name AS model, pr.name AS project,
         se.name AS session, r.input AS input, r.output AS output, r.cache_write AS cache_write,
         r.cache_write_1h AS cache_write_1h, r.cache_read AS cache_read, r.reported_cost AS reported_cost,
         r.cost AS cost, r.flags & 1 AS unpriced, (r.flags >> 1) & 1 AS sidechain, r.message AS message_id
    FROM requests r
    JOIN sources so ON so.id = r.source_id
    JOIN models mo ON mo.id = r.model_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN sessions se ON se.id = r.session_id;
`;

/**
 * Hourly sums per (source, model, project, session), kept in step with `requests` by triggers so
 * every writer (the upsert, sidechain replacements, rebuilds, pruning, older builds of this
 * extension) maintains them. The dashboard reads whole hours from here and only the parts of a
 * range that do not fill an hour from `requests`. It came without a version of its own (in
 * schema 3's time): a file of any version without it gets it on open (`ensureRollup` in
 * migrations.ts), and builds that do not know it still keep it right through the triggers.
 */
export const ROLLUP_HOUR_MS = 3_600_000;
export const ROLLUP_SUMS = 'requests, input, output, cache_write, cache_read, cost, api_cost, unpriced, first_ts, last_ts';
const rollupRow = (r: 'new' | 'old') =>
  `CAST(${r}.ts / ${ROLLUP_HOUR_MS} AS INTEGER), ${r}.source_id, ${r}.model_id, ${r}.project_id, ${r}.session_id`;
const rollupAdd = `
  INSERT INTO rollup (hour, source_id, model_id, project_id, session_id, ${ROLLUP_SUMS})
  VALUES (${rollupRow('new')}, 1, new.input, new.output, new.cache_write, new.cache_read, new.cost, coalesce(new.api_cost, new.cost),
    new.flags & 1, new.ts, new.ts)
  ON CONFLICT DO UPDATE SET requests = requests + 1, input = input + excluded.input, output = output + excluded.output,
    cache_write = cache_write + excluded.cache_write, cache_read = cache_read + excluded.cache_read,
    cost = cost + excluded.cost, api_cost = api_cost + excluded.api_cost, unpriced = unpriced + excluded.unpriced,
    first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts);`;
const rollupKey = `hour = CAST(old.ts / ${ROLLUP_HOUR_MS} AS INTEGER) AND source_id = old.source_id AND model_id = old.model_id
    AND project_id = old.project_id AND session_id = old.session_id`;
// A removed first or last request is looked up again in its hour (an indexed read of one hour).
const rollupEdge = (agg: 'min' | 'max') => `coalesce((SELECT ${agg}(ts) FROM requests r WHERE r.ts >= rollup.hour * ${ROLLUP_HOUR_MS}
    AND r.ts < (rollup.hour + 1) * ${ROLLUP_HOUR_MS} AND r.source_id = old.source_id AND r.model_id = old.model_id
    AND r.project_id = old.project_id AND r.session_id = old.session_id), old.ts)`;
const rollupRemove = `
  UPDATE rollup SET requests = requests - 1, input = input - old.input, output = output - old.output,
    cache_write = cache_write - old.cache_write, cache_read = cache_read - old.cache_read, cost = cost - old.cost,
    api_cost = api_cost - coalesce(old.api_cost, old.cost), unpriced = unpriced - (old.flags & 1),
    first_ts = CASE WHEN old.ts <= first_ts THEN ${rollupEdge('min')} ELSE first_ts END,
    last_ts = CASE WHEN old.ts >= last_ts THEN ${rollupEdge('max')} ELSE last_ts END
  WHERE ${rollupKey};
  DELETE FROM rollup WHERE ${rollupKey} AND requests <= 0;`;
// A better copy of a request at the same time and in the same group (a streamed reply) only changes sums.
const sameGroup = (not: string) => `${not} (old.ts = new.ts AND old.source_id = new.source_id AND old.model_id = new.model_id
    AND old.project_id = new.project_id AND old.session_id = new.session_id)`;
export const ROLLUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS rollup (
  hour INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_write INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  cost REAL NOT NULL,
  api_cost REAL NOT NULL,
  unpriced INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  PRIMARY KEY (hour, source_id, model_id, project_id, session_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS rollup_insert AFTER INSERT ON requests BEGIN ${rollupAdd}
END;
CREATE TRIGGER IF NOT EXISTS rollup_delete AFTER DELETE ON requests BEGIN ${rollupRemove}
END;
CREATE TRIGGER IF NOT EXISTS rollup_update AFTER UPDATE ON requests WHEN ${sameGroup('NOT')} BEGIN ${rollupRemove} ${rollupAdd}
END;
CREATE TRIGGER IF NOT EXISTS rollup_replace AFTER UPDATE ON requests WHEN ${sameGroup('')} BEGIN
  UPDATE rollup SET input = input + new.input - old.input, output = output + new.output - old.output,
    cache_write = cache_write + new.cache_write - old.cache_write, cache_read = cache_read + new.cache_read - old.cache_read,
    cost = cost + new.cost - old.cost, api_cost = api_cost + coalesce(new.api_cost, new.cost) - coalesce(old.api_cost, old.cost),
    unpriced = unpriced + (new.flags & 1) - (old.flags & 1)
  WHERE ${rollupKey};
END;
`;

/** The schema of version 1 (0.1.0); kept to upgrade old files and to test that upgrade. */
export const SCHEMA_V1 = `
CREATE TABLE usage (
  id INTEGER PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, source TEXT NOT NULL,
  model TEXT NOT NULL, project TEXT NOT NULL, session TEXT NOT NULL, input INTEGER NOT NULL,
  output INTEGER NOT NULL, cache_write INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL,
  cache_read INTEGER NOT NULL, reported_cost REAL, cost REAL NOT NULL, unpriced INTEGER NOT NULL,
  sidechain INTEGER NOT NULL
);
CREATE INDEX usage_ts ON usage(ts);
CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL, ino INTEGER NOT NULL, offset INTEGER NOT NULL);
PRAGMA user_version = 1;
`;

export const MIGRATE_V1_TO_V2 = `
ALTER TABLE usage ADD COLUMN message_id TEXT;
ALTER TABLE files ADD COLUMN state TEXT;
`;
