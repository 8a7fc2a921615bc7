// Credits: Amp's and Codebuff's own billing units (UsageRecord.credits), from their files to the
// store (schema 6, `request_credits`) and the CLI's reports, against ccusage 20.0.24.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildDashboard, type DashboardContext } from '../../src/core/dashboard';
import { parseAmpThread } from '../../src/core/ingest/amp';
import { decodeRecords, encodeRecords } from '../../src/core/ingest/lineFile';
import { parseCodebuffChat } from '../../src/core/ingest/codebuff';
import type { UsageRecord } from '../../src/core/model';
import { PriceTable } from '../../src/core/pricing/pricing';
import { creditsByPeriod, creditsBySession, creditsBySource } from '../../src/core/read/credits';
import { requestKey } from '../../src/core/storage/keys';
import { MIGRATE_V4_TO_V5, ROLLUP_SCHEMA, SCHEMA_V4 } from '../../src/core/storage/schema';
import { buildSidebar } from '../../src/core/sidebar';
import { SCHEMA_VERSION, UsageStore } from '../../src/core/store';
import { loadSqlJs } from '../../src/core/sqljs';
import { FIXTURES, fixtureHome } from './agentFixtures';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const ccusageBin = path.join(root, 'node_modules', '.bin', 'ccusage');

function env(home: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
  for (const k of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'AMP_DATA_DIR', 'CODEBUFF_DATA_DIR', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME']) delete e[k];
  return e;
}

type Json = Record<string, unknown> & { totals: Record<string, unknown> };
const ccusage = (agent: string, kind: string, home: string): Json =>
  JSON.parse(execFileSync(ccusageBin, [agent, kind, '--offline', '--json', '-z', 'UTC'], { env: env(home), encoding: 'utf8' }));
const ours = (agent: string, kind: string, home: string, json = true): string =>
  execFileSync(process.execPath, [cli, agent, kind, ...(json ? ['--json'] : []), '--tz', 'UTC', '--data-dir', tempDir('tcd-credits-')], {
    env: env(home),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });

const ctx = (file: string) => ({ path: file, root: path.dirname(file), mtimeMs: 0, prices: new PriceTable(), mode: 'auto' as const });
const close = (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) < 1e-9;

function rec(o: Partial<UsageRecord> = {}): UsageRecord {
  return {
    dedupKey: 'amp:T-1:e:ev-1',
    timestamp: Date.UTC(2026, 1, 26, 10),
    source: 'amp',
    model: 'claude-sonnet-4-5',
    project: '',
    sessionId: 'T-1',
    inputTokens: 100,
    outputTokens: 10,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost: 0.01,
    unpriced: false,
    isSidechain: false,
    ...o,
  };
}

const storedCredits = (s: UsageStore) => s.all('SELECT key, credits FROM request_credits ORDER BY credits').map((r) => Number(r.credits));

describe('credits (Amp, Codebuff): parsed, stored, reported as ccusage does', function () {
  this.timeout(120_000);

  it("the parsers keep each request's credits, and only where the file has them", () => {
    const ampDir = path.join(FIXTURES, 'amp', '.local', 'share', 'amp', 'threads');
    const amp = readdirSync(ampDir).flatMap(
      (f) => parseAmpThread(readFileSync(path.join(ampDir, f), 'utf8'), ctx(path.join(ampDir, f))).records,
    );
    assert.deepEqual(
      amp.map((r) => r.credits).sort(),
      [1.45, 3.1, undefined],
      'two ledger events with credits; a message without a ledger has none',
    );
    const chat = path.join(
      FIXTURES,
      'codebuff',
      '.config',
      'manicode',
      'projects',
      'app',
      'chats',
      '2026-03-14T09-30-00.000Z',
      'chat-messages.json',
    );
    const cb = parseCodebuffChat(readFileSync(chat, 'utf8'), ctx(chat)).records;
    assert.deepEqual(
      cb.map((r) => r.credits),
      [12, 4],
      'metadata.usage.credits and metadata.codebuff.usage.credits',
    );
    assert.ok(
      cb.every((r) => r.cost > 0),
      'the cost is still computed from tokens',
    );
  });

  it('records keep their credits on the way back from a parse worker (the columns of encodeRecords)', () => {
    const records = [rec({ credits: 3.1 }), rec({ dedupKey: 'x:2' }), rec({ dedupKey: 'x:3', credits: 0 })];
    assert.deepEqual(
      decodeRecords(encodeRecords(records)).map((r) => r.credits),
      [3.1, undefined, 0],
    );
  });

  for (const agent of ['amp', 'codebuff'] as const) {
    it(`${agent} daily|monthly|session --json: the same credits as ccusage per row and in the totals`, async () => {
      const home = await fixtureHome([agent]);
      for (const [kind, list, key] of [
        ['daily', 'daily', 'date'],
        ['monthly', 'monthly', 'month'],
        ['session', 'sessions', 'sessionId'],
      ] as const) {
        const c = ccusage(agent, kind, home);
        const o = JSON.parse(ours(agent, kind, home)) as Json;
        assert.ok(typeof c.totals.credits === 'number' && c.totals.credits > 0, `${agent} ${kind}: ccusage shows credits`);
        assert.ok(close(o.totals.credits, c.totals.credits), `${agent} ${kind}: total credits ${o.totals.credits} vs ${c.totals.credits}`);
        assert.ok(
          Math.abs(Number(o.totals.totalCost) - Number(c.totals.totalCost)) < 1e-6,
          `${agent} ${kind}: the cost is still the one computed from tokens`,
        );
        const rows = (j: Json) => j[list] as Record<string, unknown>[];
        // Codebuff's session ids differ (ccusage prefixes the data folder and project), so sessions compare by their figures.
        const id = (r: Record<string, unknown>) => (kind === 'session' ? `${r.totalTokens}` : String(r[key]));
        const theirs = new Map(rows(c).map((r) => [id(r), r.credits]));
        assert.equal(rows(o).length, theirs.size, `${agent} ${kind}: the same rows`);
        for (const r of rows(o)) {
          const want = theirs.get(id(r));
          if (want === undefined) assert.equal('credits' in r, false, `${agent} ${kind} ${id(r)}: no credits key where ccusage has none`);
          else assert.ok(close(r.credits, want), `${agent} ${kind} ${id(r)}: ${r.credits} vs ${want}`);
        }
      }
    });
  }

  it('the table has a Credits column only when a row has credits', async () => {
    const amp = ours('amp', 'daily', await fixtureHome(['amp']), false);
    assert.match(amp.split('\n')[0], /Cost\s+Credits$/);
    assert.match(amp, /^2026-02-26 .* 4\.55$/m);
    assert.match(amp, /^Total .* 4\.55$/m);
    const kimi = ours('kimi', 'daily', await fixtureHome(['kimi']), false);
    assert.doesNotMatch(kimi, /Credits/, 'an agent without credits has no such column');
  });

  it('stores credits through the upsert, the bulk load and the journal; a winning copy without them clears them; deleting a request deletes them', async () => {
    const dir = tempDir('tcd-credits-store-');
    const file = path.join(dir, 'usage.sqlite');
    const s = await UsageStore.open(file);
    s.setBulk(true);
    s.insert([
      rec({ credits: 3.1 }),
      rec({ dedupKey: 'amp:T-1:e:ev-2', timestamp: Date.UTC(2026, 1, 27, 9), credits: 1.45 }),
      rec({ dedupKey: 'x:1', source: 'codex', sessionId: 'c' }),
    ]);
    s.setBulk(false);
    assert.deepEqual(storedCredits(s), [1.45, 3.1], 'the bulk load wrote them; the request without credits has no row');
    await s.snapshot(); // a bulk load is not journaled: its rows reach the file with a snapshot
    s.insert([rec({ dedupKey: 'cb:1', source: 'codebuff', sessionId: 'chat', timestamp: Date.UTC(2026, 2, 14, 9), credits: 12 })]);
    await s.flush();
    assert.match(readFileSync(`${file}.journal`, 'utf8'), /"credits":12/, 'the journal carries them');
    // A crash before the next snapshot: a copy of the folder opens from the journal.
    const copy = tempDir('tcd-credits-copy-');
    cpSync(dir, copy, { recursive: true });
    s.close();
    const t = await UsageStore.open(path.join(copy, 'usage.sqlite'));
    assert.deepEqual(storedCredits(t), [1.45, 3.1, 12], 'replayed from the journal');
    assert.deepEqual(creditsBySource(t, {}), [
      { source: 'codebuff', credits: 12, requests: 1 },
      { source: 'amp', credits: 4.55, requests: 2 },
    ]);
    assert.deepEqual(
      [...creditsByPeriod(t, 'UTC', { sources: ['amp'] }, 'daily')],
      [
        ['2026-02-26', 3.1],
        ['2026-02-27', 1.45],
      ],
    );
    assert.deepEqual(
      [...creditsByPeriod(t, 'UTC', { start: Date.UTC(2026, 2, 1) }, 'monthly')],
      [['2026-03', 12]],
      'the range narrows them',
    );
    assert.deepEqual([...creditsBySession(t, { sources: ['codebuff'] })], [['chat', 12]]);
    // A more complete copy (more tokens) without credits wins under the copy rule, and takes its credits with it.
    assert.equal(t.insert([rec({ outputTokens: 20 })]), 1);
    assert.deepEqual(storedCredits(t), [1.45, 12]);
    assert.equal(t.insert([rec({ outputTokens: 30, credits: 5 })]), 1);
    assert.equal(
      t.insert([rec({ outputTokens: 30, credits: 6 })]),
      0,
      'the copy rule is unchanged: credits alone do not make a copy better',
    );
    assert.deepEqual(storedCredits(t), [1.45, 5, 12]);
    t.prune(Date.UTC(2026, 2, 1));
    assert.deepEqual(storedCredits(t), [12], 'pruned requests take their credits with them');
    t.close();
  });

  it('upgrades a version-5 database to 6: every row kept, credits stored from then on, requests laid out as before', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec(SCHEMA_V4);
    db.exec(MIGRATE_V4_TO_V5);
    db.exec(ROLLUP_SCHEMA);
    db.exec(
      "INSERT INTO sources VALUES (1, 'amp'), (2, 'claude-code'); INSERT INTO models VALUES (1, 'claude-sonnet-4-5'); INSERT INTO projects VALUES (1, ''); INSERT INTO sessions VALUES (1, 'T-1'), (2, 's1');",
    );
    const rows = [
      ['amp:T-1:e:ev-1', 1000, 1, 1],
      ['amp:T-1:e:ev-2', 2000, 1, 1],
      ['m:msg_1:req_1', 3000, 2, 2],
    ] as const;
    for (const [k, ts, src, ses] of rows) {
      db.run(
        `INSERT INTO requests (key, ts, source_id, model_id, project_id, session_id, input, output, cache_write, cache_write_1h, cache_read, reported_cost, cost, flags, api_cost)
        VALUES (?, ?, ?, 1, 1, ?, 100, 10, 0, 0, 0, NULL, 0.5, 0, NULL)`,
        [requestKey(k).toString(), ts, src, ses],
      );
    }
    db.exec("INSERT INTO files (path, size, mtime, ino, offset) VALUES ('/t/T-1.json', 10, 1, 1, 10); PRAGMA user_version = 5;");
    const before = db.exec('SELECT key, ts, input, output, cost FROM requests ORDER BY key')[0].values;
    const file = path.join(tempDir(), 'usage.sqlite');
    writeFileSync(file, db.export());
    db.close();

    const s = await UsageStore.open(file);
    assert.equal(SCHEMA_VERSION, 6);
    assert.equal(Number(s.get('PRAGMA user_version')?.user_version), 6);
    assert.deepEqual(
      s.all('SELECT key, ts, input, output, cost FROM requests ORDER BY key').map((r) => Object.values(r)),
      before,
      'every row kept as it was',
    );
    assert.deepEqual(s.get('SELECT sum(requests) AS n, sum(cost) AS cost FROM rollup'), { n: 3, cost: 1.5 }, 'the rollup still sums them');
    assert.equal(s.cursor('/t/T-1.json')?.offset, 10, 'cursors kept: nothing is read again for the upgrade');
    assert.deepEqual(
      s.all('PRAGMA table_info(requests)').map((c) => c.name),
      [
        'key',
        'ts',
        'source_id',
        'model_id',
        'project_id',
        'session_id',
        'input',
        'output',
        'cache_write',
        'cache_write_1h',
        'cache_read',
        'reported_cost',
        'cost',
        'flags',
        'api_cost',
      ],
      'requests rows are laid out as in version 5 (no column a request without credits would pay a header byte for)',
    );
    assert.equal(s.insert([rec({ dedupKey: 'amp:T-1:e:ev-3', timestamp: 4000, credits: 2 })]), 1);
    assert.deepEqual(creditsBySource(s, {}), [{ source: 'amp', credits: 2, requests: 1 }]);
    assert.equal(s.recordCount(), 4);
    s.close();
  });

  it("the dashboard and the sidebar show each agent's credits for the filter, beside its cost (never as dollars)", async () => {
    const s = await UsageStore.open(null);
    try {
      s.insert([
        rec({ dedupKey: 'amp:T-1:e:1', credits: 1.45 }),
        rec({ dedupKey: 'amp:T-1:e:2', credits: 3.1, timestamp: Date.UTC(2026, 1, 26, 11) }),
        rec({ dedupKey: 'cb:1', source: 'codebuff', sessionId: 'c-1', credits: 12 }),
        rec({ dedupKey: 'cc:1', source: 'claude-code', sessionId: 's-1' }),
      ]);
      const c: DashboardContext = {
        timeZone: 'UTC',
        now: Date.UTC(2026, 1, 27),
        scanned: true,
        storageRole: 'memory',
        budget: {},
        thresholds: [80, 100],
        costThreshold: 100,
        burnRatePerHour: 1000,
        workspaceFolders: [],
        gettingStarted: { transcriptRoots: [] },
      };
      const all = { range: { kind: 'preset' as const, preset: 'all' as const } };
      const d = buildDashboard(s, all, c);
      const credit = d.alerts.filter((a) => a.id.startsWith('credits-'));
      assert.deepEqual(
        credit.map((a) => a.title),
        ['Codebuff: 12 credits (All time)', 'Amp: 4.55 credits (All time)'],
      );
      assert.match(credit[1].detail, /2 requests here\). No published rate turns them into dollars/);
      assert.deepEqual(buildSidebar(s, all, c).alerts, d.alerts, 'the sidebar shows the same');
      const ampOnly = buildDashboard(s, { ...all, source: 'amp' }, c).alerts.filter((a) => a.id.startsWith('credits-'));
      assert.deepEqual(
        ampOnly.map((a) => a.id),
        ['credits-amp'],
        'the source filter applies',
      );
      assert.equal(buildDashboard(s, { ...all, source: 'claude-code' }, c).alerts.filter((a) => a.id.startsWith('credits-')).length, 0);
    } finally {
      s.close();
    }
  });
});
