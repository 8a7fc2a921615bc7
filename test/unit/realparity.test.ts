// Our daily figures against ccusage 20.0.24's on real transcripts nobody here wrote
// (../shared/corpora/real/home: Claude Code 2.1.81-2.1.181 and Codex CLI 0.137-0.142, laid out as
// a HOME), per day and model: tokens to the unit, cost within 1e-6 relative, for Claude Code,
// Codex and both; then again after a progress line and a fast-mode line are appended to a copy.
// CI always has that folder beside the clone; without it (a checkout elsewhere) this file fails,
// since the real corpus is the bar the issue sets.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const ccusageBin = path.join(root, 'node_modules', '.bin', 'ccusage');
const realHome = path.resolve(root, '..', 'shared', 'corpora', 'real', 'home');
const KINDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'] as const;
type Kind = (typeof KINDS)[number];
type Row = Record<Kind, number> & { cost: number };
/** day -> model -> row */
type ByDay = Map<string, Map<string, Row>>;

type Agents = 'claude' | 'codex' | 'all';

function env(home: string, agents: Agents, empty: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, TZ: 'UTC', NO_COLOR: '1', CODEX_HOME: path.join(home, '.codex') };
  for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME']) delete e[k];
  // One agent alone: point the other one at an empty folder.
  if (agents === 'claude') e.CODEX_HOME = empty;
  if (agents === 'codex') e.CLAUDE_CONFIG_DIR = empty;
  return e;
}

function ccusage(home: string, agents: Agents, empty: string): ByDay {
  const args = agents === 'all' ? ['daily'] : [agents, 'daily'];
  const out = JSON.parse(
    execFileSync(ccusageBin, [...args, '--offline', '--json', '--breakdown', '-z', 'UTC'], {
      env: env(home, agents, empty),
      maxBuffer: 1 << 28,
      encoding: 'utf8',
    }),
  );
  const days: ByDay = new Map();
  for (const d of out.daily as Record<string, unknown>[]) {
    const rows = new Map<string, Row>();
    if (agents === 'codex') {
      // ccusage's Codex report: {date, costUSD, models: {name: {inputTokens, …, costUSD?}}}; its
      // per-model cost is not always given, so cost is compared per day below.
      for (const [model, m] of Object.entries(d.models as Record<string, Record<string, number>>)) {
        rows.set(model, {
          inputTokens: m.inputTokens,
          outputTokens: m.outputTokens,
          cacheCreationTokens: m.cacheCreationTokens ?? 0,
          cacheReadTokens: m.cacheReadTokens,
          cost: NaN,
        });
      }
      rows.set('(day)', { inputTokens: NaN, outputTokens: NaN, cacheCreationTokens: NaN, cacheReadTokens: NaN, cost: Number(d.costUSD) });
    } else {
      for (const b of d.modelBreakdowns as (Row & { modelName: string })[]) rows.set(b.modelName, b);
      rows.set('(day)', { inputTokens: NaN, outputTokens: NaN, cacheCreationTokens: NaN, cacheReadTokens: NaN, cost: Number(d.totalCost) });
    }
    days.set(String(d.date ?? d.period), rows);
  }
  return days;
}

function ours(home: string, agents: Agents, empty: string, dataDir: string): ByDay {
  const out = JSON.parse(
    execFileSync(process.execPath, [cli, 'report', 'daily', '--json', '--tz', 'UTC', '--data-dir', dataDir], {
      env: env(home, agents, empty),
      maxBuffer: 1 << 28,
      encoding: 'utf8',
    }),
  );
  const days: ByDay = new Map();
  for (const d of out.daily as Record<string, unknown>[]) {
    const rows = new Map<string, Row>();
    for (const b of d.modelBreakdowns as (Row & { modelName: string })[]) rows.set(b.modelName, b);
    rows.set('(day)', { inputTokens: NaN, outputTokens: NaN, cacheCreationTokens: NaN, cacheReadTokens: NaN, cost: Number(d.totalCost) });
    days.set(String(d.date ?? d.period), rows);
  }
  return days;
}

function assertSame(o: ByDay, c: ByDay, what: string): { days: number; cost: number } {
  assert.deepEqual([...o.keys()].sort(), [...c.keys()].sort(), `${what}: the same days`);
  let cost = 0;
  for (const [day, crows] of c) {
    const orows = o.get(day)!;
    assert.deepEqual([...orows.keys()].sort(), [...crows.keys()].sort(), `${what} ${day}: the same models`);
    for (const [model, cr] of crows) {
      const or = orows.get(model)!;
      for (const k of KINDS) if (!Number.isNaN(cr[k])) assert.equal(or[k], cr[k], `${what} ${day} ${model}: ${k}`);
      if (!Number.isNaN(cr.cost)) {
        assert.ok(
          Math.abs(or.cost - cr.cost) <= 1e-6 * Math.max(Math.abs(cr.cost), 1e-9),
          `${what} ${day} ${model}: cost ${or.cost} (ours) vs ${cr.cost} (ccusage)`,
        );
      }
    }
    cost += crows.get('(day)')!.cost;
  }
  return { days: c.size, cost };
}

describe('parity with ccusage 20.0.24 on real transcripts (../shared/corpora/real)', function () {
  this.timeout(300_000);
  const empty = tempDir('tcd-real-empty-');

  before(() => {
    assert.ok(existsSync(realHome), `the real corpus is missing: ${realHome}`);
    assert.ok(existsSync(cli), `${cli} is missing: build first`);
  });

  for (const agents of ['claude', 'codex', 'all'] as const) {
    it(`${agents}: every day and model equal`, () => {
      const r = assertSame(ours(realHome, agents, empty, tempDir('tcd-real-data-')), ccusage(realHome, agents, empty), agents);
      assert.ok(r.days >= 5 && r.cost > 10, `${agents}: the corpus has usage (${r.days} days, $${r.cost})`);
    });
  }

  it('stays equal after a progress line and a fast-mode line are appended (read incrementally)', () => {
    const home = tempDir('tcd-real-copy-');
    cpSync(realHome, home, { recursive: true });
    const dataDir = tempDir('tcd-real-data-');
    assertSame(ours(home, 'all', empty, dataDir), ccusage(home, 'all', empty), 'before');
    const projects = path.join(home, '.claude', 'projects');
    const project = readdirSync(projects).find((p) => readdirSync(path.join(projects, p)).some((f) => f.endsWith('.jsonl')))!;
    const file = path.join(
      projects,
      project,
      readdirSync(path.join(projects, project)).find((f) => f.endsWith('.jsonl'))!,
    );
    const at = '2026-11-30T12:00:00.000Z';
    const usage = { input_tokens: 1200, cache_creation_input_tokens: 3400, cache_read_input_tokens: 56000, output_tokens: 789 };
    const nested = {
      type: 'assistant',
      timestamp: at,
      requestId: 'req_appended_progress',
      message: { id: 'msg_appended_progress', model: 'claude-sonnet-4-6', role: 'assistant', type: 'message', usage },
    };
    appendFileSync(
      file,
      JSON.stringify({
        type: 'progress',
        isSidechain: false,
        cwd: '/x',
        sessionId: 's',
        timestamp: at,
        data: { message: nested, type: 'agent_progress', agentId: 'a1' },
      }) + '\n',
    );
    appendFileSync(
      file,
      JSON.stringify({
        type: 'assistant',
        isSidechain: false,
        cwd: '/x',
        sessionId: 's',
        timestamp: at,
        requestId: 'req_appended_fast',
        message: {
          id: 'msg_appended_fast',
          model: 'claude-opus-4-8',
          role: 'assistant',
          type: 'message',
          usage: { ...usage, speed: 'fast' },
        },
      }) + '\n',
    );
    mkdirSync(dataDir, { recursive: true });
    const after = ours(home, 'all', empty, dataDir);
    assertSame(after, ccusage(home, 'all', empty), 'after the appends');
    const day = after.get('2026-11-30')!;
    assert.ok(day.has('claude-opus-4-8-fast') && day.has('claude-sonnet-4-6'), 'the fast row and the progress-line request');
  });
});
