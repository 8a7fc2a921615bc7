import * as assert from 'node:assert/strict';
import { mkdirSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import { codexSessionRoots } from '../../src/core/ingest/codex';
import { usageRoots } from '../../src/core/ingest/roots';
import type { ScanRoot } from '../../src/core/ingest/scanner';
import { globToRegExp, listWorkspaceTranscripts } from '../../src/core/ingest/workspace';
import { PriceTable } from '../../src/core/pricing/pricing';
import { eachRequest, totals, type ExportRow } from '../../src/core/query';
import { assistantLine, tempDir, writeLines } from './helpers';

const prices = new PriceTable();

function engineFor(roots: ScanRoot[], dbFile: string | null = null) {
  return UsageEngine.open({ dbFile, roots: () => roots, prices: () => prices, costMode: () => 'auto' });
}

function rows(engine: UsageEngine): ExportRow[] {
  const out: ExportRow[] = [];
  eachRequest(engine.store, {}, (r) => out.push(r));
  return out;
}

const usage = (input: number, cached: number, output: number, reasoning = 0) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
});
const line = (o: unknown) => JSON.stringify(o);
const meta = (cwd: string, id = '0199a0b1-1111-7222-8333-944445555666') =>
  line({ timestamp: '2026-11-20T09:00:00.000Z', type: 'session_meta', payload: { id, cwd, originator: 'codex_cli_rs' } });
const turn = (model: string, at = '2026-11-20T09:00:01.000Z') =>
  line({ timestamp: at, type: 'turn_context', payload: { cwd: '/home/me/app', model } });
const tokens = (at: string, total: ReturnType<typeof usage>, last?: ReturnType<typeof usage>) =>
  line({
    timestamp: at,
    type: 'event_msg',
    payload: { type: 'token_count', info: { total_token_usage: total, ...(last ? { last_token_usage: last } : {}) } },
  });

describe('codex: CLI rollouts', () => {
  it('finds sessions and archived sessions under $CODEX_HOME, the setting, or ~/.codex', () => {
    assert.deepEqual(codexSessionRoots({ env: {}, home: '/h' }), ['/h/.codex/sessions', '/h/.codex/archived_sessions']);
    assert.deepEqual(codexSessionRoots({ env: { CODEX_HOME: '/c' }, home: '/h' }), ['/c/sessions', '/c/archived_sessions']);
    assert.deepEqual(codexSessionRoots({ codexHome: '~/x', env: { CODEX_HOME: '/c' }, home: '/h' }), [
      '/h/x/sessions',
      '/h/x/archived_sessions',
    ]);
  });

  it('counts each token_count once with the model of its turn; cached input becomes cache reads', async () => {
    const home = tempDir();
    const file = path.join(home, 'sessions', '2026', '11', '20', 'rollout-2026-11-20T09-00-00-0199a0b1-1111-7222-8333-944445555666.jsonl');
    writeLines(file, [
      meta('/home/me/app'),
      turn('gpt-5-codex'),
      tokens('2026-11-20T09:00:05.000Z', usage(1000, 400, 100, 40), usage(1000, 400, 100, 40)),
      // Rate-limit refresh: the same totals again, nothing new.
      tokens('2026-11-20T09:00:06.000Z', usage(1000, 400, 100, 40), usage(1000, 400, 100, 40)),
      line({ timestamp: '2026-11-20T09:00:06.500Z', type: 'event_msg', payload: { type: 'token_count', info: null } }),
      turn('gpt-5', '2026-11-20T09:01:00.000Z'),
      // No last_token_usage: the growth of the totals is the request.
      tokens('2026-11-20T09:01:05.000Z', usage(3000, 1400, 300, 90)),
    ]);
    const engine = await engineFor([{ path: path.join(home, 'sessions'), kind: 'codex' }]);
    await engine.scan();
    const r = rows(engine);
    assert.deepEqual(
      r.map((x) => [x.model, x.inputTokens, x.cacheReadTokens, x.outputTokens, x.source, x.project]),
      [
        ['gpt-5-codex', 600, 400, 100, 'codex', '/home/me/app'],
        ['gpt-5', 1000, 1000, 200, 'codex', '/home/me/app'],
      ],
    );
    const p = prices.lookup('gpt-5-codex')!;
    assert.ok(
      Math.abs(r[0].cost - (600 * p.input_cost_per_token + 400 * p.cache_read_input_token_cost! + 100 * p.output_cost_per_token)) < 1e-12,
    );
    assert.equal(r[0].session, '0199a0b1-1111-7222-8333-944445555666');
    await engine.close();
  });

  it('keeps the current model and totals in the file cursor, across appends and restarts', async () => {
    const home = tempDir();
    const db = path.join(tempDir(), 'usage.sqlite');
    const file = path.join(home, 'sessions', 'rollout-a.jsonl');
    writeLines(file, [meta('/w'), turn('o3'), tokens('2026-11-20T10:00:00.000Z', usage(100, 0, 10), usage(100, 0, 10))]);
    const roots: ScanRoot[] = [{ path: path.join(home, 'sessions'), kind: 'codex' }];
    let engine = await engineFor(roots, db);
    await engine.scan();
    await engine.close();
    // Appended later, without a turn_context and without last_token_usage.
    writeLines(file, [tokens('2026-11-20T10:05:00.000Z', usage(250, 50, 30))], true);
    engine = await engineFor(roots, db);
    const stats = await engine.scan();
    assert.equal(stats.records, 1, 'only the appended event is read');
    const r = rows(engine);
    assert.deepEqual(
      r.map((x) => [x.model, x.inputTokens, x.cacheReadTokens, x.outputTokens, x.project]),
      [
        ['o3', 100, 0, 10, '/w'],
        ['o3', 100, 50, 20, '/w'],
      ],
    );
    await engine.close();
  });

  it('does not count a rollout twice when Codex moves it to archived_sessions', async () => {
    const home = tempDir();
    const live = path.join(home, 'sessions', 'rollout-b.jsonl');
    writeLines(live, [meta('/w'), turn('gpt-5'), tokens('2026-11-20T10:00:00.000Z', usage(100, 0, 10), usage(100, 0, 10))]);
    const engine = await engineFor(codexSessionRoots({ env: { CODEX_HOME: home } }).map((p): ScanRoot => ({ path: p, kind: 'codex' })));
    await engine.scan();
    mkdirSync(path.join(home, 'archived_sessions'));
    renameSync(live, path.join(home, 'archived_sessions', 'rollout-b.jsonl'));
    await engine.scan();
    assert.equal(totals(engine.store).requests, 1);
    await engine.close();
  });
});

describe('workspace transcripts', () => {
  it('matches globs the usual way', () => {
    assert.ok(globToRegExp('**/*.tokens.jsonl').test('a.tokens.jsonl'));
    assert.ok(globToRegExp('**/*.tokens.jsonl').test('x/y/a.tokens.jsonl'));
    assert.ok(!globToRegExp('**/*.tokens.jsonl').test('x/a.jsonl'));
    assert.ok(globToRegExp('**/.claude/**/*.jsonl').test('.claude/projects/p/s.jsonl'));
    assert.ok(globToRegExp('logs/{a,b}/*.jsonl').test('logs/b/x.jsonl'));
    assert.ok(!globToRegExp('logs/*.jsonl').test('logs/deep/x.jsonl'));
  });

  it('finds matching files but never in node_modules, .git or natively read roots', async () => {
    const ws = tempDir();
    for (const f of [
      'a.tokens.jsonl',
      'node_modules/x/b.tokens.jsonl',
      '.git/c.tokens.jsonl',
      'sub/.token-usage/d.jsonl',
      'sub/other.jsonl',
      'native/.claude/e.jsonl',
    ]) {
      writeLines(path.join(ws, f), ['{}']);
    }
    const found = await listWorkspaceTranscripts(
      ws,
      ['**/*.tokens.jsonl', '**/.token-usage/**/*.jsonl', '**/.claude/**/*.jsonl'],
      [path.join(ws, 'native')],
    );
    assert.deepEqual(
      found.map((f) => path.relative(ws, f)),
      ['a.tokens.jsonl', path.join('sub', '.token-usage', 'd.jsonl')],
    );
  });

  it('detects each line: Claude Code, Codex, token_usage events and bare payloads; source workspace', async () => {
    const ws = tempDir();
    const file = path.join(ws, 'agent.tokens.jsonl');
    writeLines(file, [
      assistantLine({ id: 'm1', requestId: 'r1', input: 5, output: 7, cwd: '/elsewhere' }),
      meta('/codex-cwd'),
      turn('gpt-5'),
      tokens('2026-11-20T11:00:00.000Z', usage(50, 10, 5), usage(50, 10, 5)),
      line({
        type: 'event',
        event: 'token_usage',
        timestamp: '2026-11-20T12:00:00Z',
        payload: { model: 'claude-haiku-4-5', sessionId: 'job-1', inputTokens: 11, outputTokens: 13, cost: 0.5 },
      }),
      line({ model: 'my-model', sessionId: 'job-2', inputTokens: 17, outputTokens: 19, totalTokens: 36, timestamp: 1_763_640_000 }),
      '{"inputTokens": 1, broken',
    ]);
    const engine = await engineFor(usageRoots({ env: { HOME: tempDir() }, workspaces: [{ folder: ws }] }));
    const stats = await engine.scan();
    assert.equal(stats.malformedLines, 1);
    assert.deepEqual(
      stats.fileIssues.map((f) => [f.path, f.malformedLines]),
      [[file, 1]],
    );
    const r = rows(engine);
    assert.deepEqual(
      r.map((x) => [x.source, x.model, x.inputTokens, x.outputTokens, x.cacheReadTokens, x.session, x.project]),
      [
        ['workspace', 'my-model', 17, 19, 0, 'job-2', ws],
        ['workspace', 'claude-sonnet-4-5-20250929', 5, 7, 0, 'agent.tokens', '/elsewhere'],
        ['workspace', 'gpt-5', 40, 5, 10, '0199a0b1-1111-7222-8333-944445555666', '/codex-cwd'],
        ['workspace', 'claude-haiku-4-5', 11, 13, 0, 'job-1', ws],
      ],
    );
    assert.equal(r[3].cost, 0.5, 'a reported cost is used in auto mode');
    assert.deepEqual(totals(engine.store).unpricedModels, ['my-model']);
    await engine.close();
  });

  it('reads appended workspace lines incrementally, once each', async () => {
    const ws = tempDir();
    const file = path.join(ws, '.token-usage', 'log.jsonl');
    const ev = (n: number) =>
      line({
        type: 'event',
        event: 'token_usage',
        timestamp: `2026-11-20T12:00:0${n}Z`,
        payload: { model: 'gpt-5', sessionId: 's', inputTokens: n, outputTokens: 1 },
      });
    writeLines(file, [ev(1)]);
    const engine = await engineFor([{ path: ws, kind: 'workspace' }]);
    await engine.scan();
    writeLines(file, [ev(2), ev(3)], true);
    const again = await engine.scan();
    assert.equal(again.records, 2);
    await engine.scan();
    assert.equal(totals(engine.store).inputTokens, 6);
    await engine.close();
  });
});
