import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import type { UsageRecord } from '../../src/core/model';
import { PriceTable } from '../../src/core/pricing/pricing';
import { defaultIo, type StorageIo } from '../../src/core/storage/fsio';
import { hashKey, requestKey } from '../../src/core/storage/keys';
import { SCHEMA_V1, SCHEMA_V3, SCHEMA_V4, SCHEMA_VERSION, UsageStore } from '../../src/core/store';
import { loadSqlJs } from '../../src/core/sqljs';
import { tempDir } from './helpers';

const child = path.join(__dirname, 'storageChild.js');

function run(
  dbFile: string,
  prefix: string,
  count: number,
  shared = 0,
): { proc: ChildProcess; acks: string[]; lines: string[]; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [child, dbFile, prefix, String(count), String(shared)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: string[] = [];
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      if (line.startsWith('ack ')) acks.push(line.slice(4));
    }
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      if (code) process.stderr.write(err);
      resolve(code);
    }),
  );
  return { proc, acks, lines, exited };
}

async function storedSessions(dbFile: string): Promise<string[]> {
  const store = await UsageStore.open(dbFile, { writable: false });
  try {
    return store.all('SELECT session FROM usage').map((r) => String(r.session));
  } finally {
    store.close();
  }
}

const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function rec(key: string, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    dedupKey: `hb:${key}`,
    timestamp: Date.parse('2026-11-20T10:00:00Z'),
    source: 'heartbeat',
    model: 'm',
    project: '/p',
    sessionId: key,
    inputTokens: 1,
    outputTokens: 1,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost: 0.01,
    unpriced: false,
    isSidechain: false,
    ...extra,
  };
}

const engineOpts = (dbFile: string, io?: StorageIo) => ({
  dbFile,
  io,
  roots: () => [],
  prices: () => new PriceTable(),
  costMode: () => 'auto' as const,
  snapshotAfterMs: 0,
});

describe('storage: nothing acknowledged is lost', function () {
  this.timeout(180_000);

  it('keeps every acknowledged record across SIGKILLs at random moments (25 rounds)', async () => {
    const dbFile = path.join(tempDir(), 'usage.sqlite');
    const acked: string[] = [];
    for (let round = 0; round < 25; round++) {
      const c = run(dbFile, `r${round}`, -1);
      await waitFor('a first ack', () => c.acks.length > 0);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
      c.proc.kill('SIGKILL');
      await c.exited;
      acked.push(...c.acks);
      const stored = new Set(await storedSessions(dbFile));
      const missing = acked.filter((k) => !stored.has(k));
      assert.deepEqual(missing, [], `round ${round}: acknowledged but lost`);
    }
    assert.ok(acked.length > 100, `enough records were acknowledged to mean something (${acked.length})`);
  });

  for (const processes of [2, 3]) {
    it(`loses and double-counts nothing with ${processes} processes writing at once`, async () => {
      const dbFile = path.join(tempDir(), 'usage.sqlite');
      const runs = Array.from({ length: processes }, (_, i) => run(dbFile, `p${i}`, 150, 40));
      const codes = await Promise.all(runs.map((r) => r.exited));
      assert.deepEqual(
        codes,
        runs.map(() => 0),
      );
      const roles = runs.map((r) => r.lines.find((l) => l.startsWith('role ')));
      assert.equal(roles.filter((r) => r === 'role writer').length, 1, `exactly one writer at start: ${roles.join(', ')}`);
      // The last one to close hands over nothing; whatever is left in the inbox is read on next open.
      const engine = await UsageEngine.open(engineOpts(dbFile));
      await engine.close();
      const stored = await storedSessions(dbFile);
      assert.equal(stored.length, new Set(stored).size, 'no request stored twice');
      const expected = new Set(runs.flatMap((r) => r.acks));
      assert.equal(expected.size, processes * 150 + 40);
      assert.deepEqual(
        [...expected].filter((k) => !stored.includes(k)),
        [],
      );
      assert.equal(stored.length, expected.size);
    });
  }

  it('hands the writer role to a reader when the writer is killed, losing nothing', async () => {
    const dbFile = path.join(tempDir(), 'usage.sqlite');
    const writer = run(dbFile, 'w', -1);
    await waitFor('the writer', () => writer.lines.includes('role writer') && writer.acks.length > 5);
    const reader = run(dbFile, 'r', -1);
    await waitFor('the reader', () => reader.lines.includes('role reader') && reader.acks.length > 5);
    writer.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await writer.exited;
    await waitFor('the reader to take over', () => reader.lines.includes('role writer'));
    console.log(`      took over ${Date.now() - killedAt} ms after the writer died`);
    const before = reader.acks.length;
    await waitFor('acks as the new writer', () => reader.acks.length > before + 5);
    reader.proc.kill('SIGKILL');
    await reader.exited;
    const engine = await UsageEngine.open(engineOpts(dbFile));
    await engine.close();
    const stored = new Set(await storedSessions(dbFile));
    assert.deepEqual(
      [...writer.acks, ...reader.acks].filter((k) => !stored.has(k)),
      [],
    );
  });
});

describe('storage: damaged files and failing disks', () => {
  async function seeded(): Promise<{ dir: string; dbFile: string }> {
    const dir = tempDir();
    const dbFile = path.join(dir, 'usage.sqlite');
    const store = await UsageStore.open(dbFile, { backupEveryMs: 0 });
    store.insert([rec('a'), rec('b')]);
    await store.save();
    store.insert([rec('c')]); // in the journal only
    await store.flush();
    store.close();
    return { dir, dbFile };
  }

  for (const [name, damage] of [
    ['a truncated', (f: string) => truncateSync(f, Math.floor(readFileSync(f).length / 3))],
    ['a garbage', (f: string) => writeFileSync(f, Buffer.from('this is not a database at all '.repeat(200)))],
  ] as const) {
    it(`recovers from ${name} database file: moved aside, backup and journal restored`, async () => {
      const { dir, dbFile } = await seeded();
      damage(dbFile);
      const store = await UsageStore.open(dbFile);
      assert.ok(store.recovery.movedAside && existsSync(store.recovery.movedAside), 'the bad file is kept');
      assert.ok(store.recovery.restoredFrom?.startsWith(path.join(dir, 'backups')), 'the backup was used');
      assert.deepEqual(
        store.all('SELECT session FROM usage ORDER BY session').map((r) => r.session),
        ['a', 'b', 'c'],
      );
      store.close();
    });
  }

  it('survives a full disk: nothing acknowledged while failing, everything kept once it clears', async () => {
    const dbFile = path.join(tempDir(), 'usage.sqlite');
    let failing = true;
    const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const io: StorageIo = {
      writeFileDurable: (f, b) => (failing ? Promise.reject(enospc()) : defaultIo.writeFileDurable(f, b)),
      appendDurable: (f, t) => (failing ? Promise.reject(enospc()) : defaultIo.appendDurable(f, t)),
    };
    const logs: string[] = [];
    const engine = await UsageEngine.open({ ...engineOpts(dbFile, io), log: (m) => logs.push(m) });
    await assert.rejects(engine.accept([rec('x')]), /ENOSPC/, 'not acknowledged while the disk is full');
    assert.equal(engine.store.recordCount(), 1, 'still counted in memory');
    failing = false;
    assert.equal(await engine.accept([rec('x')]), 0, 'the retry is idempotent');
    await engine.accept([rec('y')]);
    await engine.close();
    const stored = await storedSessions(dbFile);
    assert.deepEqual(stored.sort(), ['x', 'y']);
  });
});

describe('storage: schema upgrades', () => {
  it('upgrades a version-1 database (0.1.0) with every record and cursor', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec(SCHEMA_V1);
    db.run(`INSERT INTO usage (dedup_key, ts, source, model, project, session, input, output, cache_write, cache_write_1h, cache_read,
      reported_cost, cost, unpriced, sidechain) VALUES ('m:a:r', 1, 'claude-code', 'claude-opus-4-5', '/p', 's1', 1, 2, 3, 0, 4, NULL, 0.5, 0, 0),
      ('m:b:r', 2, 'claude-code-subagent', 'claude-haiku-4-5', '/q', 's2', 5, 6, 7, 1, 8, 0.25, 0.25, 0, 1)`);
    db.run(`INSERT INTO files VALUES ('/t.jsonl', 10, 20, 30, 10)`);
    const dbFile = path.join(tempDir(), 'usage.sqlite');
    writeFileSync(dbFile, db.export());
    const store = await UsageStore.open(dbFile);
    const rows = store.all(
      'SELECT source, model, project, session, input, output, cache_write, cache_write_1h, cache_read, reported_cost, cost, sidechain FROM usage ORDER BY ts',
    );
    assert.deepEqual(rows, [
      {
        source: 'claude-code',
        model: 'claude-opus-4-5',
        project: '/p',
        session: 's1',
        input: 1,
        output: 2,
        cache_write: 3,
        cache_write_1h: 0,
        cache_read: 4,
        reported_cost: null,
        cost: 0.5,
        sidechain: 0,
      },
      {
        source: 'claude-code-subagent',
        model: 'claude-haiku-4-5',
        project: '/q',
        session: 's2',
        input: 5,
        output: 6,
        cache_write: 7,
        cache_write_1h: 1,
        cache_read: 8,
        reported_cost: 0.25,
        cost: 0.25,
        sidechain: 1,
      },
    ]);
    assert.equal(store.cursor('/t.jsonl')?.offset, 10);
    // Re-inserting an upgraded record does not duplicate it: identities survived the upgrade.
    assert.equal(
      store.insert([
        { ...rec('s1'), dedupKey: 'm:a:r', sessionId: 's1', inputTokens: 1, outputTokens: 2, cacheWriteTokens: 3, cacheReadTokens: 4 },
      ]),
      0,
    );
    await store.save();
    store.close();
    const again = await UsageStore.open(dbFile);
    assert.equal(again.recordCount(), 2);
    assert.equal(Number(again.get('PRAGMA user_version')?.user_version), SCHEMA_VERSION);
    again.close();
    assert.ok(readdirSync(path.dirname(dbFile)).includes('usage.sqlite'));
  });

  it('upgrades a version-4 database: every row kept, the rollup rebuilt with what the API bills, transcripts read again', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec(SCHEMA_V4);
    // Version 4's rollup had no api_cost; its trigger must not survive the upgrade.
    db.exec(`CREATE TABLE rollup (hour INTEGER NOT NULL, source_id INTEGER NOT NULL, model_id INTEGER NOT NULL, project_id INTEGER NOT NULL,
      session_id INTEGER NOT NULL, requests INTEGER NOT NULL, input INTEGER NOT NULL, output INTEGER NOT NULL, cache_write INTEGER NOT NULL,
      cache_read INTEGER NOT NULL, cost REAL NOT NULL, unpriced INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
      PRIMARY KEY (hour, source_id, model_id, project_id, session_id)) WITHOUT ROWID;
      CREATE TRIGGER rollup_replace AFTER UPDATE ON requests BEGIN SELECT 1; END;`);
    db.exec(
      "INSERT INTO sources VALUES (1, 'claude-code'); INSERT INTO models VALUES (1, 'claude-sonnet-4-5'); INSERT INTO projects VALUES (1, '/p'); INSERT INTO sessions VALUES (1, 's1');",
    );
    db.exec(`INSERT INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write, cache_write_1h, cache_read, reported_cost, cost, flags)
      VALUES (${requestKey('m:msg_1:req_1', 'msg_1')}, 1000, 1, 1, 1, 1, 100, 10, 0, 0, 0, NULL, 1, 4), (${requestKey('m:msg_2:req_2', 'msg_2')}, 2000, 1, 1, 1, 1, 50, 10, 0, 0, 0, NULL, 0.5, 4)`);
    db.exec("INSERT INTO files (path, size, mtime, ino, offset) VALUES ('/t/s1.jsonl', 10, 1, 1, 10); PRAGMA user_version = 4;");
    const dbFile = path.join(tempDir(), 'usage.sqlite');
    writeFileSync(dbFile, db.export());

    const store = await UsageStore.open(dbFile);
    assert.equal(Number(store.get('PRAGMA user_version')?.user_version), SCHEMA_VERSION);
    assert.equal(store.recordCount(), 2);
    assert.deepEqual(
      store.get('SELECT sum(cost) AS cost, sum(api_cost) AS api FROM usage'),
      { cost: 1.5, api: 1.5 },
      'old rows: the API figure is the ccusage one',
    );
    assert.deepEqual(
      store.get('SELECT sum(cost) AS cost, sum(api_cost) AS api FROM rollup'),
      { cost: 1.5, api: 1.5 },
      'the rollup was rebuilt with api_cost',
    );
    assert.equal(store.cursor('/t/s1.jsonl'), undefined, 'transcripts are read again');
    // Read again, a request whose API figure differs gets it, without counting twice.
    const base = {
      timestamp: 1000,
      model: 'claude-sonnet-4-5',
      project: '/p',
      source: 'claude-code' as const,
      sessionId: 's1',
      outputTokens: 10,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      reportedCost: null,
      unpriced: false,
      isSidechain: false,
    };
    assert.equal(store.insert([{ ...base, dedupKey: 'm:msg_1:req_1', messageId: 'msg_1', inputTokens: 100, cost: 1, apiCost: 1.25 }]), 1);
    assert.equal(
      store.insert([{ ...base, dedupKey: 'm:msg_1:req_1', messageId: 'msg_1', inputTokens: 100, cost: 1, apiCost: 1.25 }]),
      0,
      'the same again changes nothing',
    );
    assert.equal(store.recordCount(), 2);
    assert.deepEqual(store.get('SELECT sum(cost) AS cost, sum(api_cost) AS api FROM usage'), { cost: 1.5, api: 1.75 });
    assert.deepEqual(
      store.get('SELECT sum(cost) AS cost, sum(api_cost) AS api FROM rollup'),
      { cost: 1.5, api: 1.75 },
      'the rollup follows',
    );
    store.close();
  });

  it('upgrades a version-3 database: messages move into the keys, and replays are still recognised', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec(SCHEMA_V3);
    db.exec(
      "INSERT INTO sources VALUES (1, 'claude-code'), (2, 'claude-code-subagent'), (3, 'heartbeat'); INSERT INTO models VALUES (1, 'claude-sonnet-4-5');",
    );
    db.exec("INSERT INTO projects VALUES (1, '/p'); INSERT INTO sessions VALUES (1, 's1'), (2, 'agent-7');");
    const insert =
      db.prepare(`INSERT INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write, cache_write_1h,
      cache_read, reported_cost, cost, flags, message) VALUES (?, ?, ?, 1, 1, ?, ?, 10, 0, 0, 0, NULL, ?, ?, ?)`);
    const v3 = [
      // A main-chain reply, a second requestId of the same message (both count, as in ccusage), and a heartbeat.
      { dedupKey: 'm:msg_1:req_1', messageId: 'msg_1', ts: 1000, source: 1, session: 1, input: 100, cost: 1, flags: 0 },
      { dedupKey: 'm:msg_1:req_2', messageId: 'msg_1', ts: 2000, source: 1, session: 1, input: 50, cost: 0.5, flags: 0 },
      { dedupKey: 'hb:agent-7:r1', messageId: undefined, ts: 3000, source: 3, session: 2, input: 70, cost: 0.7, flags: 0 },
    ];
    for (const r of v3) {
      (insert as unknown as { run(v: unknown[]): void }).run([
        hashKey(r.dedupKey),
        r.ts,
        r.source,
        r.session,
        r.input,
        r.cost,
        r.flags,
        r.messageId ? hashKey(r.messageId) : null,
      ]);
    }
    insert.free();
    db.exec('PRAGMA user_version = 3');
    const dbFile = path.join(tempDir(), 'usage.sqlite');
    writeFileSync(dbFile, db.export());

    const store = await UsageStore.open(dbFile);
    assert.equal(Number(store.get('PRAGMA user_version')?.user_version), SCHEMA_VERSION);
    assert.ok(!store.all('PRAGMA table_info(requests)').some((c) => c.name === 'message'), 'no message column any more');
    assert.equal(store.recordCount(), 3);
    assert.deepEqual(store.all('SELECT session, sum(input) AS input, sum(cost) AS cost FROM usage GROUP BY session ORDER BY session'), [
      { session: 'agent-7', input: 70, cost: 0.7 },
      { session: 's1', input: 150, cost: 1.5 },
    ]);
    const base = {
      timestamp: 1000,
      model: 'claude-sonnet-4-5',
      project: '/p',
      outputTokens: 10,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      reportedCost: null,
      unpriced: false,
    };
    // The same records again change nothing: identities survived the upgrade.
    assert.equal(
      store.insert([
        {
          ...base,
          dedupKey: 'm:msg_1:req_1',
          messageId: 'msg_1',
          source: 'claude-code',
          sessionId: 's1',
          inputTokens: 100,
          cost: 1,
          isSidechain: false,
        },
        { ...base, dedupKey: 'hb:agent-7:r1', source: 'heartbeat', sessionId: 'agent-7', inputTokens: 70, cost: 0.7, isSidechain: false },
      ]),
      0,
    );
    // A subagent's replay of msg_1 under a third requestId is the same message: not counted again.
    assert.equal(
      store.insert([
        {
          ...base,
          dedupKey: 'm:msg_1:req_9',
          messageId: 'msg_1',
          source: 'claude-code-subagent',
          sessionId: 's1',
          inputTokens: 100,
          cost: 1,
          isSidechain: true,
        },
      ]),
      0,
    );
    assert.equal(store.recordCount(), 3);
    const rollup = store.get('SELECT sum(requests) AS n, sum(input) AS input FROM rollup');
    assert.deepEqual(
      { n: Number(rollup?.n), input: Number(rollup?.input) },
      { n: 3, input: 220 },
      'the hourly rollup was rebuilt for the new table',
    );
    store.close();
  });
});
