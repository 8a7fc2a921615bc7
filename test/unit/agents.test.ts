// The agents read through src/core/ingest/agents.ts: where each is looked for (settings, env,
// defaults), SQLite stores read as a reader (WAL included, nothing written), and bad input per
// source: a truncated database, a JSON session cut mid-write, an unknown schema version. Each
// gives a message naming the file (and the version) and loses nothing else.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { buildDashboard } from '../../src/core/dashboard';
import { UsageEngine } from '../../src/core/engine';
import type { AgentId, AgentSettings } from '../../src/core/ingest/agents';
import { CURSOR_NOTE } from '../../src/core/ingest/cursor';
import { agentRoots, usageRoots } from '../../src/core/ingest/roots';
import { PriceTable } from '../../src/core/pricing/pricing';
import { totals } from '../../src/core/query';
import { loadSqlJs } from '../../src/core/sqljs';
import { FIXTURE_AGENTS, SQLITE_FIXTURES, buildDb, fixtureHome } from './agentFixtures';
import { tempDir } from './helpers';

const repo = path.resolve(__dirname, '../../..');
const samples = path.resolve(repo, '..', 'shared', 'corpora', 'agents');
const walFixture = path.join(repo, 'test', 'fixtures', 'opencode-wal');

function writable(p: string): void {
  chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) writable(path.join(p, e));
}

/** A HOME holding copies of the given samples (one folder each in the corpus). */
function homeWith(...agents: string[]): string {
  const home = tempDir('tcd-agents-');
  for (const a of agents) cpSync(path.join(samples, a), home, { recursive: true });
  writable(home);
  return home;
}

async function engineFor(home: string, agents: Partial<Record<AgentId, AgentSettings>> = {}, env: NodeJS.ProcessEnv = {}) {
  const prices = new PriceTable();
  return UsageEngine.open({
    dbFile: null,
    roots: () => usageRoots({ home, env: { HOME: home, ...env }, agents }),
    prices: () => prices,
    costMode: () => 'auto',
  });
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('agents: where each is found', () => {
  it('reads the default folders, the env override (comma list) instead, and settings paths instead of both', () => {
    const home = '/home/me';
    const kindsOf = (roots: { path: string; kind: string }[], kind: string) => roots.filter((r) => r.kind === kind).map((r) => r.path);
    const byDefault = agentRoots({ home, env: {} });
    assert.deepEqual(kindsOf(byDefault, 'gemini'), ['/home/me/.gemini/tmp']);
    assert.deepEqual(kindsOf(byDefault, 'openclaw'), [
      '/home/me/.openclaw',
      '/home/me/.clawdbot',
      '/home/me/.moltbot',
      '/home/me/.moldbot',
    ]);
    assert.deepEqual(kindsOf(byDefault, 'opencode'), ['/home/me/.local/share/opencode']);
    assert.deepEqual(kindsOf(byDefault, 'copilot'), ['/home/me/.copilot/session-state', '/home/me/.copilot/otel']);
    const env = agentRoots({
      home,
      env: { GEMINI_DATA_DIR: '/a,~/b', OPENCLAW_DIR: '/fleet/.openclaw', XDG_DATA_HOME: '/xdg', COPILOT_HOME: '/c' },
    });
    assert.deepEqual(kindsOf(env, 'gemini'), ['/a', '/home/me/b']);
    assert.deepEqual(kindsOf(env, 'openclaw'), ['/fleet/.openclaw']);
    assert.deepEqual(kindsOf(env, 'opencode'), ['/xdg/opencode']);
    assert.deepEqual(kindsOf(env, 'copilot'), ['/c/session-state', '/c/otel']);
    assert.deepEqual(kindsOf(agentRoots({ home, env: { COPILOT_OTEL_FILE_EXPORTER_PATH: '/tmp/cp.jsonl' } }), 'copilot'), [
      '/home/me/.copilot/session-state',
      '/home/me/.copilot/otel',
      '/tmp/cp.jsonl',
    ]);
    const set = agentRoots({ home, env: { GEMINI_DATA_DIR: '/a' }, agents: { gemini: { paths: ['~/g'] }, pi: { enabled: false } } });
    assert.deepEqual(kindsOf(set, 'gemini'), ['/home/me/g']);
    assert.deepEqual(kindsOf(set, 'pi'), [], 'turned off');
  });

  it('an agent turned off in settings is not read', async () => {
    const home = homeWith('pi', 'copilot');
    const engine = await engineFor(home, { copilot: { enabled: false } });
    await engine.scan();
    assert.deepEqual(
      engine.store.all('SELECT name FROM sources').map((r) => String(r.name)),
      ['pi-agent'],
    );
    await engine.close();
  });
});

describe('agents: every sample in one HOME', () => {
  it('each agent with data is its own source in the dashboard filter; OpenClaw agents by name; Cursor is a note, not $0', async () => {
    const home = homeWith('gemini', 'copilot', 'opencode', 'pi', 'openclaw', 'droid', 'cursor');
    const engine = await engineFor(home);
    const stats = await engine.scan();
    assert.deepEqual(stats.fileProblems, []);
    assert.deepEqual(stats.notes, [CURSOR_NOTE]);
    const data = buildDashboard(
      engine.store,
      { range: { kind: 'preset', preset: 'all' } },
      {
        timeZone: 'UTC',
        scanned: true,
        storageRole: 'writer',
        budget: {},
        thresholds: [],
        costThreshold: 0,
        burnRatePerHour: 0,
        workspaceFolders: [],
        gettingStarted: { transcriptRoots: [] },
        agentNotes: stats.notes,
      },
    );
    assert.deepEqual(data.options.sources, ['copilot-cli', 'gemini-cli', 'openclaw:main', 'opencode', 'pi-agent']);
    assert.ok(data.options.agents.includes('openclaw:main'));
    const note = data.alerts.find((a) => a.id.startsWith('agent-note'));
    assert.equal(note?.title, 'Cursor usage cannot be read locally');
    assert.ok(!data.options.sources.includes('cursor'), 'no Cursor rows at $0');
    await engine.close();
  });
});

describe('agents: SQLite stores are read as a reader', () => {
  it('sees the committed rows of the -wal file, writes nothing and leaves no -shm beside the store', async () => {
    const home = tempDir('tcd-wal-');
    const dir = path.join(home, '.local', 'share', 'opencode');
    mkdirSync(dir, { recursive: true });
    for (const f of ['opencode.db', 'opencode.db-wal']) cpSync(path.join(walFixture, f), path.join(dir, f));
    chmodSync(path.join(dir, 'opencode.db'), 0o444);
    chmodSync(path.join(dir, 'opencode.db-wal'), 0o444);
    const before = [sha(path.join(dir, 'opencode.db')), sha(path.join(dir, 'opencode.db-wal'))];
    const engine = await engineFor(home);
    await engine.scan();
    const t = totals(engine.store);
    assert.equal(t.requests, 2, 'the checkpointed message and the one only in the WAL');
    assert.equal(t.inputTokens, 3000);
    assert.deepEqual([sha(path.join(dir, 'opencode.db')), sha(path.join(dir, 'opencode.db-wal'))], before);
    assert.deepEqual(readdirSync(dir).sort(), ['opencode.db', 'opencode.db-wal']);
    await engine.close();
  });

  it('without its -wal file only the checkpointed rows are there; a torn frame at the end of the WAL is left out', async () => {
    const home = tempDir('tcd-wal-');
    const dir = path.join(home, '.local', 'share', 'opencode');
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(walFixture, 'opencode.db'), path.join(dir, 'opencode.db'));
    let engine = await engineFor(home);
    await engine.scan();
    assert.equal(totals(engine.store).requests, 1);
    await engine.close();
    cpSync(path.join(walFixture, 'opencode.db-wal'), path.join(dir, 'opencode.db-wal'));
    chmodSync(path.join(dir, 'opencode.db-wal'), 0o644);
    // Half a frame being written: no commit, bad checksum.
    appendFileSync(path.join(dir, 'opencode.db-wal'), Buffer.alloc(3000, 7));
    engine = await engineFor(home);
    await engine.scan();
    assert.equal(totals(engine.store).requests, 2);
    await engine.close();
  });
});

describe('agents: bad input names the file and loses nothing else', () => {
  it("a truncated SQLite store: a message naming it; the same agent's JSONL is still counted", async () => {
    const home = homeWith('openclaw');
    const db = path.join(home, '.openclaw', 'agents', 'main', 'agent', 'openclaw-agent.sqlite');
    truncateSync(db, 3000);
    const engine = await engineFor(home);
    const stats = await engine.scan();
    assert.equal(stats.fileProblems.length, 1);
    assert.ok(stats.fileProblems[0].startsWith(db), stats.fileProblems[0]);
    assert.equal(totals(engine.store).outputTokens, 10, 'the JSONL session is counted');
    await engine.close();
  });

  it('a JSON session cut mid-write: a message naming it, nothing already counted lost, and the session read again once whole', async () => {
    const home = homeWith('gemini');
    const engine = await engineFor(home);
    await engine.scan();
    const whole = totals(engine.store);
    assert.ok(whole.requests > 0);
    const chats = path.join(home, '.gemini', 'tmp', 'c0f4b0739a6f116ce6608010f1bd0cb124376903bd3dffc915478109f989ed72', 'chats');
    const file = path.join(chats, readdirSync(chats)[0]);
    const text = readFileSync(file, 'utf8');
    // Gemini CLI rewrites the whole document; a read in the middle sees half of it.
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    let stats = await engine.scan();
    assert.equal(stats.fileProblems.length, 1);
    assert.ok(stats.fileProblems[0].includes(file) && /cut off/.test(stats.fileProblems[0]), stats.fileProblems[0]);
    assert.deepEqual(totals(engine.store), whole, 'nothing counted before is lost');
    // The finished write, with one more message.
    const doc = JSON.parse(text) as { messages: Record<string, unknown>[] };
    doc.messages.push({
      id: 'added-after',
      type: 'gemini',
      timestamp: '2026-03-30T19:00:00.000Z',
      model: 'gemini-3-flash-preview',
      tokens: { input: 100, output: 10, cached: 0, thoughts: 0, tool: 0, total: 110 },
    });
    writeFileSync(file, JSON.stringify(doc));
    stats = await engine.scan();
    assert.deepEqual(stats.fileProblems, []);
    const after = totals(engine.store);
    assert.equal(after.requests, whole.requests + 1);
    assert.equal(after.inputTokens, whole.inputTokens + 100);
    await engine.close();
  });

  it('an unknown future schema: the message names the file and the version; the other agents are read', async () => {
    const home = homeWith('pi');
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.exec('CREATE TABLE transcript_events_v3 (session_id TEXT, seq INTEGER, body BLOB); PRAGMA user_version = 99;');
    const file = path.join(home, '.openclaw', 'agents', 'ops', 'agent', 'openclaw-agent.sqlite');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, db.export());
    db.close();
    const oc = path.join(home, '.local', 'share', 'opencode');
    mkdirSync(oc, { recursive: true });
    const db2 = new SQL.Database();
    db2.exec('CREATE TABLE session_message (id TEXT); PRAGMA user_version = 7;');
    writeFileSync(path.join(oc, 'opencode.db'), db2.export());
    db2.close();
    const engine = await engineFor(home);
    const stats = await engine.scan();
    assert.equal(stats.fileProblems.length, 2);
    const a = stats.fileProblems.find((p) => p.startsWith(file)) ?? '';
    const b = stats.fileProblems.find((p) => p.startsWith(oc)) ?? '';
    assert.ok(a.startsWith(file) && /schema version 99/.test(a), a);
    assert.ok(b.startsWith(path.join(oc, 'opencode.db')) && /schema version 7/.test(b), b);
    assert.equal(totals(engine.store).outputTokens, 446, 'pi is read');
    await engine.close();
  });

  it('a session file of an unknown Gemini format names its version', async () => {
    const home = tempDir('tcd-gem-');
    const file = path.join(home, '.gemini', 'tmp', 'p', 'chats', 'session-x.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 5, turns: [] }));
    const engine = await engineFor(home);
    const stats = await engine.scan();
    assert.equal(stats.fileProblems.length, 1);
    assert.ok(stats.fileProblems[0].includes(file) && /version 5/.test(stats.fileProblems[0]));
    assert.ok(existsSync(file));
    await engine.close();
  });
});

describe('agents without public samples (fixtures from the documented formats)', () => {
  it('each is found at its default place, its env override instead, and settings paths instead of both', () => {
    const home = '/home/me';
    const kindsOf = (roots: { path: string; kind: string }[], kind: string) => roots.filter((r) => r.kind === kind).map((r) => r.path);
    const d = agentRoots({ home, env: {} });
    assert.deepEqual(kindsOf(d, 'amp'), ['/home/me/.local/share/amp/threads']);
    assert.deepEqual(kindsOf(d, 'goose'), [
      '/home/me/.local/share/goose/sessions',
      '/home/me/.local/share/Block/goose/sessions',
      '/home/me/Library/Application Support/goose/sessions',
    ]);
    assert.deepEqual(kindsOf(d, 'kilo'), ['/home/me/.local/share/kilo']);
    assert.deepEqual(kindsOf(d, 'qwen'), ['/home/me/.qwen/projects']);
    assert.deepEqual(kindsOf(d, 'kimi'), ['/home/me/.kimi/sessions']);
    assert.deepEqual(
      kindsOf(d, 'codebuff'),
      ['manicode', 'manicode-dev', 'manicode-staging'].map((m) => `/home/me/.config/${m}/projects`),
    );
    assert.deepEqual(kindsOf(d, 'hermes'), ['/home/me/.hermes']);
    assert.deepEqual(kindsOf(d, 'claude-desktop'), [
      '/home/me/Library/Application Support/Claude/local-agent-mode-sessions',
      '/home/me/.config/Claude/local-agent-mode-sessions',
    ]);
    const e = agentRoots({
      home,
      env: {
        AMP_DATA_DIR: '/amp',
        GOOSE_PATH_ROOT: '/g',
        KILO_DATA_DIR: '/k',
        QWEN_DATA_DIR: '/q',
        KIMI_SHARE_DIR: '/ks',
        CODEBUFF_DATA_DIR: '/c1,/c2',
        HERMES_HOME: '/h1,~/h2',
        COWORK_CONFIG_DIR: '/cw',
        XDG_DATA_HOME: '/xdg',
      },
    });
    assert.deepEqual(kindsOf(e, 'amp'), ['/amp/threads']);
    assert.deepEqual(kindsOf(e, 'goose'), ['/g/data/sessions']);
    assert.deepEqual(kindsOf(e, 'kilo'), ['/k']);
    assert.deepEqual(kindsOf(e, 'qwen'), ['/q/projects']);
    assert.deepEqual(kindsOf(e, 'kimi'), ['/ks/sessions']);
    assert.deepEqual(kindsOf(e, 'codebuff'), ['/c1/projects', '/c2/projects']);
    assert.deepEqual(kindsOf(e, 'hermes'), ['/h1', '/home/me/h2']);
    assert.deepEqual(kindsOf(e, 'claude-desktop'), ['/cw']);
    assert.deepEqual(kindsOf(agentRoots({ home, env: { XDG_DATA_HOME: '/xdg' } }), 'kilo'), ['/xdg/kilo']);
    const s = agentRoots({ home, env: { GOOSE_PATH_ROOT: '/g' }, agents: { goose: { paths: ['~/goose'] }, hermes: { enabled: false } } });
    assert.deepEqual(kindsOf(s, 'goose'), ['/home/me/goose']);
    assert.deepEqual(kindsOf(s, 'hermes'), []);
  });

  it("every fixture agent is its own source with the fixture's requests; one turned off is not read", async () => {
    const home = await fixtureHome(FIXTURE_AGENTS);
    let engine = await engineFor(home);
    const stats = await engine.scan();
    assert.deepEqual(stats.fileProblems, []);
    const requestsBy = (e: typeof engine) =>
      Object.fromEntries(
        e.store
          .all('SELECT s.name AS name, COUNT(*) AS n FROM requests r JOIN sources s ON s.id = r.source_id GROUP BY s.name')
          .map((r) => [String(r.name), Number(r.n)]),
      );
    // Amp: 2 ledger events + 1 message; Goose: 2 sessions with tokens; Kilo: 3 assistant messages;
    // Qwen: 3 assistant lines; Kimi: 3 steps with counts (of 5 StatusUpdates); Codebuff: 2 replies; Hermes: 3 sessions.
    assert.deepEqual(requestsBy(engine), { amp: 3, goose: 2, kilo: 3, qwen: 3, kimi: 3, codebuff: 2, hermes: 3 });
    await engine.close();
    engine = await engineFor(home, { kimi: { enabled: false } });
    await engine.scan();
    assert.equal(requestsBy(engine).kimi, undefined);
    await engine.close();
  });

  it('a Qwen line repeated (a resumed session rewriting it) counts once', async () => {
    const home = await fixtureHome(['qwen']);
    const engine = await engineFor(home);
    await engine.scan();
    const before = totals(engine.store);
    const qwenFile = path.join(home, '.qwen', 'projects', '-home-dev-app', 'chats', '5b0e2c1d-9a8f-4e7d-b6c5-a4b3c2d1e0f9.jsonl');
    const lines = readFileSync(qwenFile, 'utf8').trim().split('\n');
    appendFileSync(qwenFile, `${lines[1]}\n`);
    await engine.scan();
    assert.deepEqual(totals(engine.store), before);
    await engine.close();
  });

  it("Claude Desktop's local agent mode: its Claude Code transcripts are read, and a request also under ~/.claude counts once", async () => {
    const home = tempDir('tcd-cowork-');
    const line = (id: string, input: number) =>
      JSON.stringify({
        type: 'assistant',
        timestamp: '2026-05-02T10:00:00.000Z',
        requestId: `req_${id}`,
        sessionId: 's1',
        cwd: '/w',
        message: { id: `msg_${id}`, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: input, output_tokens: 10 } },
      });
    const cowork = path.join(
      home,
      '.config',
      'Claude',
      'local-agent-mode-sessions',
      'a1',
      'local_b2',
      '.claude',
      'projects',
      '-w',
      's1.jsonl',
    );
    mkdirSync(path.dirname(cowork), { recursive: true });
    writeFileSync(cowork, `${line('1', 100)}\n${line('2', 200)}\n`);
    const cli = path.join(home, '.claude', 'projects', '-w', 's1.jsonl');
    mkdirSync(path.dirname(cli), { recursive: true });
    writeFileSync(cli, `${line('1', 100)}\n`);
    const engine = await engineFor(home);
    await engine.scan();
    const t = totals(engine.store);
    assert.equal(t.requests, 2, 'msg_1 is in both places and counts once');
    assert.equal(t.inputTokens, 300);
    const sources = engine.store.all('SELECT name FROM sources').map((r) => String(r.name));
    assert.ok(sources.includes('claude-desktop'), sources.join());
    await engine.close();
  });
});

/** A sqlite3 CLI process (Debian's) fed statements on stdin, answering `SELECT '<mark>';` when it got there. */
const writers: { stop(): void }[] = [];

function sqliteProcess(db: string) {
  const child = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  writers.push({ stop: () => child.exitCode === null && child.kill('SIGKILL') });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return {
    async run(sql: string, mark: string): Promise<void> {
      child.stdin.write(`${sql}\nSELECT '${mark}';\n`);
      for (let i = 0; i < 600 && !out.includes(mark); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(out.includes(mark), `sqlite3 did not get to ${mark}: ${err}`);
    },
    /** Ends the process if a failed assertion left it running (mocha would wait for it). */
    stop(): void {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    async quit(): Promise<{ code: number; err: string }> {
      child.stdin.end('.quit\n');
      return { code: await exited, err };
    },
  };
}

const INSERT_300 = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
  INSERT INTO sessions (id, working_dir, created_at, input_tokens, output_tokens, total_tokens, model_config_json, description)
  SELECT 'x' || i, '/w', '2026-03-05 10:00:00', 100, 10, 110, '{"model_name":"gpt-5"}', hex(randomblob(500)) FROM n;`;

describe('agents: a database another process holds or writes while we read', function () {
  this.timeout(60_000);
  afterEach(() => writers.splice(0).forEach((w) => w.stop()));
  before(function () {
    assert.ok(existsSync('/usr/bin/sqlite3'), 'the sqlite3 Debian package is missing (npm test installs it)');
  });

  it('a write lock held mid-transaction (BEGIN EXCLUSIVE, changed pages already in the file): we see the committed rows, do not block the writer, and see its commit next time', async () => {
    const home = await fixtureHome(['goose']);
    const db = path.join(home, '.local', 'share', 'goose', 'sessions', 'sessions.db');
    const writer = sqliteProcess(db);
    await writer.run(INSERT_300, 'filled');
    const engine = await engineFor(home);
    await engine.scan();
    const before = totals(engine.store);
    assert.equal(before.requests, 302);
    const bytesBefore = sha(db);
    // A one-page cache makes the writer spill the pages it changed into the file before COMMIT;
    // their originals are in the hot -journal.
    await writer.run(
      'PRAGMA cache_size = 1; BEGIN EXCLUSIVE; UPDATE sessions SET input_tokens = input_tokens + 1000000, accumulated_input_tokens = accumulated_input_tokens + 1000000;',
      'inside',
    );
    assert.ok(existsSync(`${db}-journal`), 'a hot rollback journal');
    assert.notEqual(sha(db), bytesBefore, 'uncommitted pages are in the main file');
    const stats = await engine.scan();
    assert.deepEqual(stats.fileProblems, []);
    assert.deepEqual(totals(engine.store), before, 'only committed rows');
    await writer.run('COMMIT;', 'committed');
    const { code, err } = await writer.quit();
    assert.equal(code, 0, err);
    assert.equal(err, '', 'the writer was never told the database is locked');
    await engine.scan();
    const after = totals(engine.store);
    // The fixture's empty session has tokens now too.
    assert.equal(after.requests, 303);
    assert.equal(after.inputTokens, before.inputTokens + 303 * 1_000_000);
    await engine.close();
  });

  it('a WAL database being written while read: frames of the open transaction are left out, the commit is seen on the next scan', async () => {
    const home = await fixtureHome(['goose']);
    const db = path.join(home, '.local', 'share', 'goose', 'sessions', 'sessions.db');
    const writer = sqliteProcess(db);
    await writer.run('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;', 'wal');
    await writer.run(
      `INSERT INTO sessions (id, working_dir, created_at, input_tokens, output_tokens, total_tokens, model_config_json) VALUES ('committed', '/w', '2026-03-04 10:00:00', 7, 3, 10, '{"model_name":"gpt-5"}');`,
      'first',
    );
    await writer.run(`PRAGMA cache_size = 1; BEGIN; ${INSERT_300}`, 'inside');
    assert.ok(statSync(`${db}-wal`).size > 100_000, 'the open transaction has frames in the WAL');
    const engine = await engineFor(home);
    const stats = await engine.scan();
    assert.deepEqual(stats.fileProblems, []);
    assert.equal(totals(engine.store).requests, 3, 'the two fixture sessions and the committed one');
    await writer.run('COMMIT;', 'committed');
    await engine.scan();
    assert.equal(totals(engine.store).requests, 303);
    const { code, err } = await writer.quit();
    assert.equal(code, 0, err);
    await engine.close();
  });
});

describe('agents: bad input for each new source', () => {
  it('a truncated SQLite store (Goose, Kilo, Hermes): a message naming it, the other agents still counted', async () => {
    const home = await fixtureHome(['goose', 'kilo', 'hermes', 'qwen']);
    const engine = await engineFor(home);
    await engine.scan();
    const whole = totals(engine.store);
    await engine.close();
    for (const agent of ['goose', 'kilo', 'hermes']) {
      const h = await fixtureHome(['goose', 'kilo', 'hermes', 'qwen']);
      const db = path.join(h, SQLITE_FIXTURES[agent]);
      truncateSync(db, 5000);
      const e = await engineFor(h);
      const stats = await e.scan();
      assert.equal(stats.fileProblems.length, 1, `${agent}: ${stats.fileProblems.join('; ')}`);
      assert.ok(stats.fileProblems[0].startsWith(db), stats.fileProblems[0]);
      const sources = e.store
        .all('SELECT name FROM sources')
        .map((r) => String(r.name))
        .sort();
      assert.deepEqual(
        sources,
        ['goose', 'hermes', 'kilo', 'qwen'].filter((s) => s !== agent),
        `${agent}: the others are read`,
      );
      assert.ok(totals(e.store).requests < whole.requests);
      await e.close();
    }
  });

  it('an unknown future schema (Goose, Kilo, Hermes): the message names the file and the version', async () => {
    const home = await fixtureHome(['qwen']);
    for (const [agent, version] of [
      ['goose', 31],
      ['kilo', 9],
      ['hermes', 14],
    ] as const) {
      await buildDb(`CREATE TABLE session_v2 (id TEXT); PRAGMA user_version = ${version};`, path.join(home, SQLITE_FIXTURES[agent]));
    }
    const engine = await engineFor(home);
    const stats = await engine.scan();
    assert.equal(stats.fileProblems.length, 3, stats.fileProblems.join('; '));
    for (const [agent, version] of [
      ['goose', 31],
      ['kilo', 9],
      ['hermes', 14],
    ] as const) {
      const p = stats.fileProblems.find((m) => m.startsWith(path.join(home, SQLITE_FIXTURES[agent]))) ?? '';
      assert.match(p, new RegExp(`schema version ${version} is not known`), `${agent}: ${p}`);
    }
    assert.equal(totals(engine.store).requests, 3, 'Qwen is read');
    await engine.close();
  });

  it('a JSON document cut mid-write (Amp thread, Codebuff chat): a message naming it, nothing counted lost, read again once whole', async () => {
    const home = await fixtureHome(['amp', 'codebuff']);
    const engine = await engineFor(home);
    await engine.scan();
    const whole = totals(engine.store);
    const files = [
      path.join(home, '.local', 'share', 'amp', 'threads', 'T-7f3c1a2e-4b5d-4e6f-8a9b-0c1d2e3f4a5b.json'),
      path.join(home, '.config', 'manicode', 'projects', 'app', 'chats', '2026-03-14T09-30-00.000Z', 'chat-messages.json'),
    ];
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    files.forEach((f, i) => writeFileSync(f, texts[i].slice(0, Math.floor(texts[i].length / 2))));
    let stats = await engine.scan();
    assert.equal(stats.fileProblems.length, 2);
    for (const f of files)
      assert.ok(
        stats.fileProblems.some((p) => p.startsWith(f) && /cut off/.test(p)),
        `${f}: ${stats.fileProblems.join('; ')}`,
      );
    assert.deepEqual(totals(engine.store), whole);
    files.forEach((f, i) => writeFileSync(f, texts[i]));
    stats = await engine.scan();
    assert.deepEqual(stats.fileProblems, []);
    assert.deepEqual(totals(engine.store), whole);
    await engine.close();
  });

  it('a JSONL line cut mid-write (Qwen, Kimi) is not counted or reported until it is whole', async () => {
    const home = await fixtureHome(['qwen', 'kimi']);
    const engine = await engineFor(home);
    await engine.scan();
    const whole = totals(engine.store);
    const qwenFile = path.join(home, '.qwen', 'projects', '-home-dev-app', 'chats', '5b0e2c1d-9a8f-4e7d-b6c5-a4b3c2d1e0f9.jsonl');
    const line = JSON.stringify({
      uuid: 'u-new',
      sessionId: 's',
      timestamp: '2026-03-14T08:00:00.000Z',
      type: 'assistant',
      model: 'qwen3-max',
      usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 50, cachedContentTokenCount: 400 },
    });
    appendFileSync(qwenFile, line.slice(0, 60));
    let stats = await engine.scan();
    assert.equal(stats.malformedLines, 0);
    assert.deepEqual(totals(engine.store), whole);
    appendFileSync(qwenFile, `${line.slice(60)}\n`);
    stats = await engine.scan();
    const t = totals(engine.store);
    assert.equal(t.requests, whole.requests + 1);
    assert.equal(t.inputTokens, whole.inputTokens + 600);
    assert.equal(t.cacheReadTokens, whole.cacheReadTokens + 400);
    const kimiDir = path.join(home, '.kimi', 'sessions');
    const wire = path.join(kimiDir, readdirSync(kimiDir)[0], '3f2a1b0c-aaaa-4bbb-8ccc-123456789abc', 'wire.jsonl');
    const step = JSON.stringify({
      timestamp: 1773393000.5,
      message: {
        type: 'StatusUpdate',
        payload: { token_usage: { input_other: 70, output: 7, input_cache_read: 0, input_cache_creation: 0 }, message_id: 'chatcmpl-new' },
      },
    });
    appendFileSync(wire, step.slice(0, 50));
    stats = await engine.scan();
    assert.equal(stats.malformedLines, 0);
    assert.deepEqual(totals(engine.store), t);
    appendFileSync(wire, `${step.slice(50)}\n`);
    await engine.scan();
    assert.equal(totals(engine.store).inputTokens, t.inputTokens + 70);
    await engine.close();
  });
});
