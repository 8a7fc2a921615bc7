// The CLI's report cache (src/cli/reportCache.ts) as a user sees it: a report run again with
// nothing changed prints exactly the same bytes without opening the database or loading sql.js;
// any change to what it reads (a transcript line, the database, a flag, the time zone) gives a
// fresh report; a damaged cache file is ignored.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { assistantLine, tempDir, writeLines } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');

/** A preload that lists every file the CLI opens (to tell a cache hit from a run that loads the database). */
function openedFilesHook(dir: string): string {
  const hook = path.join(dir, 'opened-files.js');
  writeFileSync(
    hook,
    `
const fs = require('node:fs');
const log = process.env.OPENED_LOG;
const openSync = fs.openSync;
const readFileSync = fs.readFileSync;
const note = (p) => { if (typeof p === 'string') fs.appendFileSync(log, p + '\\n'); };
fs.openSync = function (p, ...rest) { note(p); return openSync.call(this, p, ...rest); };
fs.readFileSync = function (p, ...rest) { note(p); return readFileSync.call(this, p, ...rest); };
`,
  );
  return hook;
}

describe('report cache (token-cost reports with nothing changed)', function () {
  this.timeout(120_000);
  const home = tempDir('tcd-cache-home-');
  const dataDir = tempDir('tcd-cache-data-');
  const work = tempDir('tcd-cache-work-');
  const transcript = path.join(home, '.claude', 'projects', '-home-me-app', 'session-1.jsonl');
  const hook = openedFilesHook(work);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', TZ: 'UTC' };
  for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME', 'TOKEN_COST_API_KEY']) delete env[k];
  let runs = 0;

  /** One CLI run; `opened` lists the files it opened or read. */
  function run(args: string[]): { stdout: string; stderr: string; opened: string[] } {
    const log = path.join(work, `opened-${runs++}.log`);
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, ['--require', hook, cli, ...args, '--data-dir', dataDir], {
      env: { ...env, OPENED_LOG: log },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    assert.equal(r.status, 0, `token-cost ${args.join(' ')}: ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr, opened: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  }
  // sql.js's wasm is read with readFileSync; opening the database starts with its lock file.
  const loadedDatabase = (opened: string[]) =>
    opened.some((p) => p.endsWith('sql-wasm.wasm')) && opened.some((p) => p.startsWith(path.join(dataDir, 'usage.sqlite')));
  const readNothing = (opened: string[]) =>
    !opened.some((p) => p.endsWith('sql-wasm.wasm') || p.startsWith(dataDir + path.sep + 'usage.sqlite'));
  const total = (stdout: string) => (JSON.parse(stdout) as { totals: { outputTokens: number } }).totals.outputTokens;

  before(() => {
    writeLines(transcript, [
      assistantLine({ id: 'msg_1', requestId: 'req_1', output: 100, timestamp: '2026-11-20T10:00:00.000Z' }),
      // 23:30 UTC is the next day in Berlin: the time zone changes the report.
      assistantLine({ id: 'msg_2', requestId: 'req_2', output: 200, timestamp: '2026-11-20T23:30:00.000Z' }),
    ]);
  });

  it('prints byte-identical output without loading sql.js or the database when nothing changed', () => {
    const cold = run(['daily', '--json']);
    assert.ok(loadedDatabase(cold.opened), 'the first run builds the database');
    assert.equal(total(cold.stdout), 300);
    assert.ok(existsSync(path.join(dataDir, 'report-cache.json')));
    const warm = run(['daily', '--json']);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(warm.stderr, cold.stderr);
    assert.ok(
      readNothing(warm.opened),
      `a cache hit opened: ${warm.opened.filter((p) => p.includes('usage.sqlite') || p.endsWith('.wasm')).join(', ')}`,
    );
    // Tables are cached as well as JSON, each under its own flags.
    const table = run(['daily']);
    assert.ok(loadedDatabase(table.opened));
    const again = run(['daily']);
    assert.equal(again.stdout, table.stdout);
    assert.ok(readNothing(again.opened));
  });

  it('misses when a transcript gains a line', () => {
    writeLines(transcript, [assistantLine({ id: 'msg_3', requestId: 'req_3', output: 50, timestamp: '2026-11-21T10:00:00.000Z' })], true);
    const r = run(['daily', '--json']);
    assert.ok(loadedDatabase(r.opened));
    assert.equal(total(r.stdout), 350);
    assert.ok(readNothing(run(['daily', '--json']).opened), 'and hits again once the new state is cached');
  });

  it('misses when the database changes (a logged record; a touched file)', () => {
    const logged = spawnSync(process.execPath, [cli, 'log', 'proj', 'task', '1000', '--data-dir', dataDir], { env, encoding: 'utf8' });
    assert.equal(logged.status, 0, logged.stderr);
    const r = run(['daily', '--json']);
    assert.ok(loadedDatabase(r.opened));
    assert.equal((JSON.parse(r.stdout) as { totals: { inputTokens: number } }).totals.inputTokens, 10 * 3 + 1000);
    assert.ok(readNothing(run(['daily', '--json']).opened));
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(dataDir, 'usage.sqlite'), later, later);
    const touched = run(['daily', '--json']);
    assert.ok(loadedDatabase(touched.opened));
    assert.equal(touched.stdout, r.stdout);
  });

  it('misses when a flag or the time zone changes', () => {
    const utc = run(['daily', '--json']);
    const berlin = run(['daily', '--json', '--tz', 'Europe/Berlin']);
    assert.ok(loadedDatabase(berlin.opened));
    const days = (s: string) => (JSON.parse(s) as { daily: { period: string }[] }).daily.map((d) => d.period);
    const nov20 = (s: string) =>
      (JSON.parse(s) as { daily: { period: string; outputTokens: number }[] }).daily.find((d) => d.period === '2026-11-20')?.outputTokens;
    assert.equal(nov20(utc.stdout), 300);
    assert.equal(nov20(berlin.stdout), 100);
    const desc = run(['daily', '--json', '--order', 'desc']);
    assert.ok(loadedDatabase(desc.opened));
    assert.deepEqual(days(desc.stdout), [...days(utc.stdout)].reverse());
    const rules = run(['daily', '--json', '--cost-rules', 'api']);
    assert.ok(loadedDatabase(rules.opened));
    // Each query keeps its own entry: back to UTC is a hit.
    const back = run(['daily', '--json']);
    assert.equal(back.stdout, utc.stdout);
    assert.ok(readNothing(back.opened));
  });

  it('answers every report form from the cache as the full run printed it', () => {
    for (const args of [
      ['--json'],
      ['claude', 'daily', '--json'],
      ['report', 'monthly', '--json'],
      ['codex', 'daily'],
      ['weekly', '--breakdown'],
      ['session', '--json', '-z', 'Asia/Tokyo'],
    ]) {
      const first = run(args);
      const again = run(args);
      assert.equal(again.stdout, first.stdout, args.join(' '));
      assert.equal(again.stderr, first.stderr, args.join(' '));
      assert.ok(readNothing(again.opened), `${args.join(' ')} loaded the database on a cache hit`);
    }
    // Help, --version and usage errors are never answered from the cache.
    assert.match(run(['daily', '--help']).stdout, /Usage:/);
  });

  it('does not cache blocks (they depend on the time of the run)', () => {
    run(['blocks', '--json']);
    assert.ok(loadedDatabase(run(['blocks', '--json']).opened));
  });

  it('ignores a damaged cache file and writes a good one', () => {
    const good = run(['daily', '--json']).stdout;
    for (const junk of ['{"format":1,"state":', '\u0000\u0001 not json', '{"format":1,"state":"x","entries":[null,{"query":1}]}', '[]']) {
      writeFileSync(path.join(dataDir, 'report-cache.json'), junk);
      const r = run(['daily', '--json']);
      assert.equal(r.stdout, good);
      assert.equal(r.stderr, '');
      assert.ok(loadedDatabase(r.opened));
      assert.ok(readNothing(run(['daily', '--json']).opened), 'the damaged file was replaced');
    }
  });
});
