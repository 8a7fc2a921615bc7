import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import type { UsageRecord } from '../../src/core/model';
import { PriceTable } from '../../src/core/pricing/pricing';
import { UsageServer } from '../../src/core/server/server';
import { loadSqlJs } from '../../src/core/sqljs';
import { UsageStore } from '../../src/core/store';
import { tempDir } from './helpers';

// The issue's case: 400 heartbeats acknowledged, the first backup taken after 100, snapshots
// every so often after that, the last ones only in the journal. Then one kind of damage.

function rec(key: string): UsageRecord {
  return {
    dedupKey: `hb:agent:${key}`,
    timestamp: Date.parse('2026-11-20T10:00:00Z'),
    source: 'heartbeat',
    model: 'claude-sonnet-4-5-20250929',
    project: '/p',
    sessionId: key,
    inputTokens: 100,
    outputTokens: 10,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost: 0.001,
    unpriced: false,
    isSidechain: false,
  };
}

interface Phase {
  n: number;
  /** A backup is due at this phase's snapshot. */
  backup?: boolean;
  /** false: the records stay in the journal only. */
  snapshot?: boolean;
}

/** Accepts records as the server does (durable before the ack) and returns the acknowledged keys. */
async function acknowledge(dbFile: string, phases: Phase[], prefix = 'p'): Promise<string[]> {
  const acked: string[] = [];
  for (const [p, phase] of phases.entries()) {
    const store = await UsageStore.open(dbFile, { backupEveryMs: phase.backup ? 0 : 1e12 });
    for (let i = 0; i < phase.n; i++) {
      const key = `${prefix}${p}-${i}`;
      store.insert([rec(key)], { journal: true });
      await store.flush();
      acked.push(key);
    }
    if (phase.snapshot !== false) await store.snapshot();
    store.close();
  }
  return acked;
}

const ISSUE_CASE: Phase[] = [{ n: 100, backup: true }, { n: 150 }, { n: 100 }, { n: 50, snapshot: false }];

async function openLikeTheCli(dbFile: string): Promise<{ engine: UsageEngine; sessions: Set<string> }> {
  const engine = await UsageEngine.open({ dbFile, roots: () => [], prices: () => new PriceTable(), costMode: () => 'auto' });
  const sessions = new Set(engine.store.all('SELECT session FROM usage').map((r) => String(r.session)));
  return { engine, sessions };
}

async function foreignDatabase(): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('not ours')");
  const bytes = db.export();
  db.close();
  return bytes;
}

const figures: string[] = [];

describe('recovery: every acknowledged record survives a damaged database, and the person is told', function () {
  this.timeout(60_000);
  after(() => {
    if (figures.length) console.log(`      acknowledged vs recovered:\n${figures.map((f) => `        ${f}`).join('\n')}`);
  });

  const cases: [string, (dbFile: string) => void | Promise<void>, RegExp][] = [
    ['truncated to a third', (f) => truncateSync(f, Math.floor(readFileSync(f).length / 3)), /damaged|not an SQLite/],
    ['filled with random bytes', (f) => writeFileSync(f, randomBytes(readFileSync(f).length)), /not an SQLite database|damaged/],
    ['0 bytes long', (f) => truncateSync(f, 0), /empty \(0 bytes\)/],
    ['a valid SQLite file of another program', async (f) => writeFileSync(f, await foreignDatabase()), /not a Token Cost database/],
  ];
  for (const [name, damage, problem] of cases) {
    it(`database file ${name}: moved aside, rebuilt from the backup and the whole journal`, async () => {
      const dbFile = path.join(tempDir('tcd-recovery-'), 'usage.sqlite');
      const acked = await acknowledge(dbFile, ISSUE_CASE);
      await damage(dbFile);
      const { engine, sessions } = await openLikeTheCli(dbFile);
      try {
        const missing = acked.filter((k) => !sessions.has(k));
        figures.push(`${name}: ${acked.length} acknowledged, ${acked.length - missing.length} recovered`);
        assert.deepEqual(missing, [], 'acknowledged but lost');
        const r = engine.recovery;
        assert.match(r.problem ?? '', problem);
        assert.ok(r.movedAside && existsSync(r.movedAside), 'the damaged file is kept beside');
        assert.match(r.restoredFrom ?? '', /backups/);
        const msg = engine.recoveryMessage ?? '';
        assert.ok(msg.includes(r.movedAside), msg);
        assert.match(msg, /Recovered 400 record\(s\): 100 from the backup .*backups.* and 300 from the journal/);
      } finally {
        await engine.close();
      }
      // Reopened after that: the rebuilt file is sound and whole, and nothing is reported again.
      const again = await openLikeTheCli(dbFile);
      try {
        assert.equal(again.sessions.size, 400);
        assert.equal(again.engine.recoveryMessage, undefined);
      } finally {
        await again.engine.close();
      }
    });
  }

  it('database file and its newest backup both damaged: the older backup and the kept journal rebuild everything', async () => {
    const dir = tempDir('tcd-recovery-');
    const dbFile = path.join(dir, 'usage.sqlite');
    const acked = await acknowledge(dbFile, [{ n: 100, backup: true }, { n: 100, backup: true }, { n: 150 }, { n: 50, snapshot: false }]);
    const backups = readdirSync(path.join(dir, 'backups')).sort();
    assert.equal(backups.length, 2);
    writeFileSync(dbFile, randomBytes(4096));
    const newest = path.join(dir, 'backups', backups[1]);
    truncateSync(newest, 1000);
    const { engine, sessions } = await openLikeTheCli(dbFile);
    try {
      const missing = acked.filter((k) => !sessions.has(k));
      figures.push(`database and newest backup damaged: ${acked.length} acknowledged, ${acked.length - missing.length} recovered`);
      assert.deepEqual(missing, []);
      assert.equal(engine.recovery.restoredFrom, path.join(dir, 'backups', backups[0]));
      assert.match(engine.recoveryMessage ?? '', /Recovered 400 record\(s\): 100 from the backup/);
    } finally {
      await engine.close();
    }
  });

  it('database file missing while its backups are there: the backup and the journal rebuild it, written at once', async () => {
    const dbFile = path.join(tempDir('tcd-recovery-'), 'usage.sqlite');
    const acked = await acknowledge(dbFile, ISSUE_CASE);
    rmSync(dbFile);
    const { engine, sessions } = await openLikeTheCli(dbFile);
    try {
      assert.deepEqual(
        acked.filter((k) => !sessions.has(k)),
        [],
      );
      assert.match(engine.recoveryMessage ?? '', /could not be used \(the file is missing\)\. Recovered 400 record\(s\)/);
      assert.ok(existsSync(dbFile), 'the rebuilt database is on disk before anything else happens');
    } finally {
      await engine.close();
    }
  });

  it('a damaged backup keeps the journal it would have let go: three backups, the middle one damaged, then everything else too', async () => {
    const dir = tempDir('tcd-recovery-');
    const dbFile = path.join(dir, 'usage.sqlite');
    const acked = await acknowledge(dbFile, [
      { n: 100, backup: true },
      { n: 100, backup: true },
    ]);
    const [, second] = readdirSync(path.join(dir, 'backups')).sort();
    truncateSync(path.join(dir, 'backups', second), 1000);
    acked.push(
      ...(await acknowledge(
        dbFile,
        [
          { n: 100, backup: true },
          { n: 50, snapshot: false },
        ],
        'later',
      )),
    );
    // Now the database and the newest backup go too: only the first backup and the journal are left.
    const backups = readdirSync(path.join(dir, 'backups')).sort();
    truncateSync(path.join(dir, 'backups', backups[backups.length - 1]), 1000);
    writeFileSync(dbFile, randomBytes(4096));
    const { engine, sessions } = await openLikeTheCli(dbFile);
    try {
      assert.deepEqual(
        acked.filter((k) => !sessions.has(k)),
        [],
      );
      assert.equal(engine.recovery.restoredFrom, path.join(dir, 'backups', backups[0]));
      assert.equal(engine.recovery.missingEntries, 0);
    } finally {
      await engine.close();
    }
  });

  it('damaged journal bytes: only the damaged lines are skipped, reported with their place, and nothing acknowledged is lost', async () => {
    const dbFile = path.join(tempDir('tcd-recovery-'), 'usage.sqlite');
    const acked = await acknowledge(dbFile, ISSUE_CASE);
    const journal = `${dbFile}.journal`;
    const bytes = readFileSync(journal);
    const lines: number[] = [0];
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines.push(i + 1);
    // 2,000 garbage bytes written over lines the snapshot holds, and 2,000 more pushed in
    // between two of the lines only the journal holds (the last 50).
    const over = lines[20] + 5;
    randomBytes(2000).copy(bytes, over);
    const between = lines[lines.length - 25];
    const damaged = Buffer.concat([bytes.subarray(0, between), randomBytes(2000), bytes.subarray(between)]);
    writeFileSync(journal, damaged);
    const { engine, sessions } = await openLikeTheCli(dbFile);
    try {
      const missing = acked.filter((k) => !sessions.has(k));
      figures.push(`journal with 4,000 damaged bytes: ${acked.length} acknowledged, ${acked.length - missing.length} recovered`);
      assert.deepEqual(missing, []);
      const r = engine.recovery;
      assert.ok(r.unreadableJournalLines > 0);
      assert.ok(r.damagedLines.every((d) => d.file === journal));
      assert.ok(
        r.damagedLines.some((d) => d.offset <= over && over < d.offset + d.length),
        'the overwritten place is named',
      );
      assert.match(
        engine.recoveryMessage ?? '',
        new RegExp(`Skipped ${r.unreadableJournalLines} damaged journal line\\(s\\).*${path.basename(journal)} at byte \\d+`),
      );
    } finally {
      await engine.close();
    }
  });

  it('a line torn by a crash does not swallow the entry appended after it', async () => {
    const dbFile = path.join(tempDir('tcd-recovery-'), 'usage.sqlite');
    const acked = await acknowledge(dbFile, [{ n: 3, snapshot: false }]);
    writeFileSync(
      `${dbFile}.journal`,
      Buffer.concat([readFileSync(`${dbFile}.journal`), Buffer.from('{"q":4,"r":{"dedupKey":"hb:agent:torn","ti')]),
    );
    acked.push(...(await acknowledge(dbFile, [{ n: 2, snapshot: false }], 'after')));
    const { engine, sessions } = await openLikeTheCli(dbFile);
    try {
      assert.deepEqual(
        acked.filter((k) => !sessions.has(k)),
        [],
      );
    } finally {
      await engine.close();
    }
  });

  it('removes temporary files a killed snapshot left behind, and keeps those of a process still writing', async () => {
    const dir = tempDir('tcd-recovery-');
    const dbFile = path.join(dir, 'usage.sqlite');
    await acknowledge(dbFile, [{ n: 3, backup: true }]);
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    const dead = [
      `${dbFile}.4194305.1764590000000.tmp`,
      path.join(dir, 'backups', 'usage-x.sqlite.4194305.1764590000000.tmp'),
      `${dbFile}.journal.4194305.tmp`,
    ];
    const live = `${dbFile}.${process.ppid}.${Date.now()}.tmp`;
    for (const f of [...dead, live]) writeFileSync(f, 'partial');
    const store = await UsageStore.open(dbFile);
    store.close();
    assert.deepEqual(
      dead.filter((f) => existsSync(f)),
      [],
      'left by a dead process: removed',
    );
    assert.ok(existsSync(live), 'a live process may still be writing it');
  });

  it('tells the person: on the CLI stderr and in /api/health, with the numbers and the place of the damaged file', async () => {
    const dir = tempDir('tcd-recovery-');
    const dbFile = path.join(dir, 'usage.sqlite');
    await acknowledge(dbFile, ISSUE_CASE);
    truncateSync(dbFile, 0);
    const cli = spawnSync(
      process.execPath,
      [
        path.join(__dirname, '..', '..', 'src', 'cli.js'),
        'report',
        'daily',
        '--json',
        '--data-dir',
        dir,
        '--since',
        '2026-11-20',
        '--until',
        '2026-11-20',
        '--tz',
        'UTC',
      ],
      {
        env: { ...process.env, HOME: dir, CLAUDE_CONFIG_DIR: path.join(dir, 'none'), CODEX_HOME: path.join(dir, 'none') },
        encoding: 'utf8',
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(
      cli.stderr,
      /token-cost: The usage database could not be used \(the file is empty \(0 bytes\)\); it was moved to .*usage\.sqlite\.unreadable-.*Recovered 400 record\(s\)/,
    );
    assert.equal(JSON.parse(cli.stdout).totals.inputTokens, 400 * 100);

    // Another damage, seen by a server.
    writeFileSync(dbFile, randomBytes(2048));
    const engine = await UsageEngine.open({ dbFile, roots: () => [], prices: () => new PriceTable(), costMode: () => 'auto' });
    const server = await UsageServer.start({
      engine,
      apiKey: 'k'.repeat(40),
      port: 0,
      prices: () => new PriceTable(),
      timeZone: () => 'UTC',
    });
    try {
      const health = await new Promise<{ status: string; recovery?: Record<string, unknown> }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: server.port, path: '/api/health' }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve(JSON.parse(text)));
          })
          .on('error', reject);
      });
      assert.equal(health.status, 'ok');
      assert.equal(health.recovery?.recovered, 400);
      assert.match(String(health.recovery?.movedAside), /usage\.sqlite\.unreadable-/);
      assert.match(String(health.recovery?.message), /Recovered 400 record\(s\)/);
    } finally {
      await server.close();
      await engine.close();
    }
  });
});
