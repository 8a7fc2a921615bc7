// Each agent ccusage 20.0.24 reads, on the real (and, for OpenClaw, synthetic) samples in
// ../shared/corpora/agents/<agent> (each a HOME): `ccusage <agent> daily --json --offline`
// against `token-cost <agent> daily --json`, per day and model: tokens to the unit, cost within
// 1e-6 relative. Where we count differently on purpose, the difference is computed from the
// sample and asserted (README "Sources", counting rules):
// - ccusage names pi and OpenClaw models `[pi] <model>` / `[openclaw] <model>`; we keep the
//   model's name (the source already says which agent).
// - Gemini `thoughts`: ccusage bills them as output but leaves them out of outputTokens (only its
//   totalTokens has them); we count them as output, so our outputTokens is larger by exactly the
//   thoughts and totalTokens is equal.
// - OpenCode `tokens.reasoning` is already inside `output` on these samples (total = input +
//   output + cache); ccusage adds it to totalTokens again; our totalTokens is smaller by exactly
//   the day's reasoning tokens.
// - A Gemini session kept in both forms (.json migrated to .jsonl) and OpenClaw compaction
//   checkpoints: ccusage counts them twice, we once.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PriceTable } from '../../src/core/pricing/pricing';
import { fixtureHome } from './agentFixtures';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const ccusageBin = path.join(root, 'node_modules', '.bin', 'ccusage');
const samples = path.resolve(root, '..', 'shared', 'corpora', 'agents');
const KINDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'] as const;
type Row = Record<(typeof KINDS)[number], number> & { cost: number };
interface Day {
  rows: Map<string, Row>;
  totalTokens: number;
  totalCost: number;
}
type ByDay = Map<string, Day>;

function env(home: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
  for (const k of [
    'CLAUDE_CONFIG_DIR',
    'CODEX_HOME',
    'XDG_CONFIG_HOME',
    'XDG_DATA_HOME',
    'GEMINI_DATA_DIR',
    'COPILOT_HOME',
    'COPILOT_CONFIG_DIR',
    'OPENCODE_DATA_DIR',
    'PI_AGENT_DIR',
    'OPENCLAW_DIR',
    'DROID_SESSIONS_DIR',
    'FACTORY_DIR',
    'AMP_DATA_DIR',
    'GOOSE_PATH_ROOT',
    'KILO_DATA_DIR',
    'QWEN_DATA_DIR',
    'KIMI_DATA_DIR',
    'KIMI_SHARE_DIR',
    'CODEBUFF_DATA_DIR',
    'HERMES_HOME',
    'COWORK_CONFIG_DIR',
    'COPILOT_OTEL_FILE_EXPORTER_PATH',
  ])
    delete e[k];
  return e;
}

function byDay(out: { daily: Record<string, unknown>[] }): ByDay {
  const days: ByDay = new Map();
  for (const d of out.daily) {
    const rows = new Map<string, Row>();
    for (const b of d.modelBreakdowns as (Row & { modelName: string })[]) rows.set(b.modelName.replace(/^\[[a-z]+\] /, ''), b);
    days.set(String(d.date), { rows, totalTokens: Number(d.totalTokens), totalCost: Number(d.totalCost) });
  }
  return days;
}

function ccusage(agent: string, home: string): ByDay {
  return byDay(
    JSON.parse(
      execFileSync(ccusageBin, [agent, 'daily', '--offline', '--json', '-z', 'UTC'], {
        env: env(home),
        maxBuffer: 1 << 26,
        encoding: 'utf8',
      }),
    ),
  );
}

function ours(agent: string, home: string): ByDay {
  const data = tempDir('tcd-agentparity-');
  return byDay(
    JSON.parse(
      execFileSync(process.execPath, [cli, agent, 'daily', '--json', '--tz', 'UTC', '--data-dir', data], {
        env: env(home),
        maxBuffer: 1 << 26,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ),
  );
}

/** A writable copy of a sample HOME (the corpus is read-only). */
function copyOf(agent: string): string {
  const home = path.join(tempDir('tcd-agenthome-'), agent);
  cpSync(path.join(samples, agent), home, { recursive: true });
  const walk = (p: string) => {
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(home);
  return home;
}

const closeCost = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(b), 1e-9);

/**
 * Same days, same models, each token kind equal and cost within 1e-6, except the kinds `differ`
 * lets through (checked by the caller).
 */
function assertParity(o: ByDay, c: ByDay, what: string, differ: readonly string[] = []): void {
  assert.deepEqual([...o.keys()].sort(), [...c.keys()].sort(), `${what}: the same days`);
  for (const [day, cd] of c) {
    const od = o.get(day)!;
    assert.deepEqual([...od.rows.keys()].sort(), [...cd.rows.keys()].sort(), `${what} ${day}: the same models`);
    for (const [model, cr] of cd.rows) {
      const or = od.rows.get(model)!;
      for (const k of KINDS) if (!differ.includes(k)) assert.equal(or[k], cr[k], `${what} ${day} ${model}: ${k}`);
      assert.ok(closeCost(or.cost, cr.cost), `${what} ${day} ${model}: cost ${or.cost} (ours) vs ${cr.cost} (ccusage)`);
    }
    if (!differ.includes('totalTokens')) assert.equal(od.totalTokens, cd.totalTokens, `${what} ${day}: totalTokens`);
    assert.ok(closeCost(od.totalCost, cd.totalCost), `${what} ${day}: totalCost`);
  }
}

const sumOf = (d: Day, k: (typeof KINDS)[number]) => [...d.rows.values()].reduce((s, r) => s + r[k], 0);

describe('parity with ccusage 20.0.24 on the agent samples', function () {
  this.timeout(120_000);

  before(() => {
    assert.ok(existsSync(ccusageBin), 'ccusage is missing: npm install');
    assert.ok(existsSync(samples), `the agent samples are missing: ${samples}`);
    assert.ok(existsSync(cli), 'dist/cli.js is missing: npm run build');
  });

  it('Copilot CLI: session.shutdown snapshots, cache taken out of input', () => {
    const home = copyOf('copilot');
    const c = ccusage('copilot', home);
    assert.equal(c.size, 2, 'two sessions shut down on two days (the third never shut down)');
    assertParity(ours('copilot', home), c, 'copilot');
  });

  it('pi-agent: pi-ai usage with its own cost.total', () => {
    const home = copyOf('pi');
    assertParity(ours('pi', home), ccusage('pi', home), 'pi');
  });

  it('OpenClaw: a session read from JSONL and from the SQLite store counts once; a checkpoint is never counted (ccusage counts it again)', () => {
    const home = copyOf('openclaw');
    const c = ccusage('openclaw', home);
    const o = ours('openclaw', home);
    assertParity(o, c, 'openclaw');
    // A reset archive of the session and a compaction checkpoint repeating its usage line.
    const sessions = path.join(home, '.openclaw', 'agents', 'main', 'sessions');
    const live = path.join(sessions, 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d.jsonl');
    const text = readFileSync(live, 'utf8');
    writeFileSync(`${live}.reset.2026-07-25T00-00-00.000Z`, text);
    const usageLine = text.split('\n').find((l) => l.includes('"usage"'))!;
    appendFileSync(
      path.join(sessions, 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d.checkpoint.11111111-2222-4333-8444-555555555555.jsonl'),
      `${usageLine}\n`,
    );
    const c2 = ccusage('openclaw', home);
    const o2 = ours('openclaw', home);
    assertParity(o2, o, 'openclaw with archive and checkpoint, ours unchanged');
    const day = [...c.keys()][0];
    assert.equal(
      sumOf(c2.get(day)!, 'outputTokens'),
      2 * sumOf(c.get(day)!, 'outputTokens'),
      'ccusage counts the checkpoint line a second time',
    );
  });

  it('Gemini CLI: equal cost, input and cache; thoughts in our output, so output differs by exactly the thoughts and totals are equal', () => {
    const home = copyOf('gemini');
    const c = ccusage('gemini', home);
    const o = ours('gemini', home);
    assertParity(o, c, 'gemini', ['outputTokens']);
    for (const [day, cd] of c) {
      const od = o.get(day)!;
      const thoughts = cd.totalTokens - KINDS.reduce((s, k) => s + sumOf(cd, k), 0);
      assert.equal(
        sumOf(od, 'outputTokens') - sumOf(cd, 'outputTokens'),
        thoughts,
        `gemini ${day}: our output = ccusage output + thoughts`,
      );
    }
    assert.ok(
      [...c.values()].some((d) => d.totalTokens > KINDS.reduce((s, k) => s + sumOf(d, k), 0)),
      'the samples have thoughts',
    );
  });

  it('Gemini CLI: a session kept as .json and migrated .jsonl counts once (ccusage counts it twice)', () => {
    const home = copyOf('gemini');
    const before = ours('gemini', home);
    const chats = path.join(home, '.gemini', 'tmp', 'c0f4b0739a6f116ce6608010f1bd0cb124376903bd3dffc915478109f989ed72', 'chats');
    const legacy = path.join(
      chats,
      readdirSync(chats).find((f) => f.endsWith('.json'))!,
    );
    const doc = JSON.parse(readFileSync(legacy, 'utf8')) as { messages: unknown[] } & Record<string, unknown>;
    const { messages, ...meta } = doc;
    writeFileSync(legacy.replace(/\.json$/, '.jsonl'), [meta, ...messages].map((m) => `${JSON.stringify(m)}\n`).join(''));
    const c = ccusage('gemini', home);
    const o = ours('gemini', home);
    assertParity(o, before, 'gemini with a migrated copy, ours unchanged');
    const day = '2026-03-30';
    assert.equal(sumOf(c.get(day)!, 'inputTokens'), 2 * sumOf(before.get(day)!, 'inputTokens'), 'ccusage counts the migrated copy again');
  });

  it('OpenCode (legacy JSON files): equal tokens and stored cost; totalTokens smaller by exactly the reasoning ccusage adds again', () => {
    const home = copyOf('opencode');
    const c = ccusage('opencode', home);
    const o = ours('opencode', home);
    assertParity(o, c, 'opencode', ['totalTokens']);
    const reasoning = new Map<string, number>();
    const msgs = path.join(home, '.local', 'share', 'opencode', 'storage', 'message');
    for (const s of readdirSync(msgs)) {
      for (const f of readdirSync(path.join(msgs, s))) {
        const m = JSON.parse(readFileSync(path.join(msgs, s, f), 'utf8'));
        if (m.role !== 'assistant' || !m.tokens) continue;
        if (m.tokens.total !== undefined)
          assert.equal(
            m.tokens.total,
            m.tokens.input + m.tokens.output + m.tokens.cache.read + m.tokens.cache.write,
            `${f}: reasoning is inside output`,
          );
        const day = new Date(m.time.created).toISOString().slice(0, 10);
        reasoning.set(day, (reasoning.get(day) ?? 0) + (m.tokens.reasoning ?? 0));
      }
    }
    for (const [day, cd] of c)
      assert.equal(cd.totalTokens - o.get(day)!.totalTokens, reasoning.get(day), `opencode ${day}: the difference is the reasoning`);
  });

  it('Droid: transcripts without .settings.json have no tokens, for both', () => {
    const home = copyOf('droid');
    const c = ccusage('droid', home);
    assert.equal(c.size, 0);
    assertParity(ours('droid', home), c, 'droid');
  });

  it('Droid: a .settings.json session total is one request on its day, thinking priced as output, as ccusage', () => {
    const home = copyOf('droid');
    const dir = path.join(home, '.factory', 'sessions', '-Users-ninawork-entire-test-repos-test-repo-test-droid');
    writeFileSync(
      path.join(dir, '992853e5-a958-4070-bc5c-19fc451dfc2c.settings.json'),
      JSON.stringify({
        model: 'custom:claude-sonnet-4-5-20250929',
        providerLockTimestamp: '2026-04-02T10:00:00.000Z',
        tokenUsage: {
          inputTokens: 1200,
          outputTokens: 300,
          cacheCreationTokens: 4000,
          cacheReadTokens: 20000,
          thinkingTokens: 50,
          totalTokens: 25550,
        },
      }),
    );
    const c = ccusage('droid', home);
    const o = ours('droid', home);
    assert.equal(c.size, 1);
    assertParity(o, c, 'droid with settings', ['outputTokens', 'totalTokens']);
    const cd = [...c.values()][0];
    const od = [...o.values()][0];
    assert.equal(od.totalTokens, 25550, 'our total holds the thinking tokens, as output');
    assert.equal(sumOf(od, 'outputTokens'), 350);
    assert.ok(cd.totalTokens >= 25500, 'ccusage has the session too');
  });
});

/** What ccusage leaves out of its per-kind counts but has in totalTokens (reasoning, thoughts). */
const beyondKinds = (d: Day) => d.totalTokens - KINDS.reduce((s, k) => s + sumOf(d, k), 0);

// The agents without public samples, on fixtures written from the documented formats
// (test/fixtures/agents): the same comparison, and the same kinds of asserted difference.
describe('parity with ccusage 20.0.24 on the fixtures of the agents without samples', function () {
  this.timeout(120_000);

  it('Copilot CLI OpenTelemetry export: chat spans, cache reads out of input, the invoke_agent span not counted again', async () => {
    const home = await fixtureHome(['copilot-otel']);
    const c = ccusage('copilot', home);
    assert.equal(c.size, 2, 'two days of chat spans');
    assertParity(ours('copilot', home), c, 'copilot otel');
  });

  it('Copilot CLI: a session in both the OpenTelemetry export and session-state counts once, from its snapshot (as ccusage)', async () => {
    const spansOnly = ours('copilot', await fixtureHome(['copilot-otel']));
    const stateOnly = ours('copilot', copyOf('copilot'));
    const home = await fixtureHome(['copilot-otel'], copyOf('copilot'));
    const c = ccusage('copilot', home);
    const o = ours('copilot', home);
    // Session 31b0eadb… shut down on 2026-03-30 and its two calls are in the export too; the
    // export's other session (2026-05-01) has no session-state folder and is counted from its span.
    assertParity(o, c, 'copilot, both forms');
    assertParity(new Map([...o].filter(([d]) => d !== '2026-05-01')), stateOnly, 'session-state counted as without the export');
    assertParity(
      new Map([['2026-05-01', o.get('2026-05-01')!]]),
      new Map([['2026-05-01', spansOnly.get('2026-05-01')!]]),
      'the export-only session from its span',
    );
    assert.equal(sumOf(o.get('2026-03-30')!, 'outputTokens'), 187, 'the session once');
  });

  it('Amp: ledger events with the cache split of their messages, and a thread without a ledger', async () => {
    const home = await fixtureHome(['amp']);
    const c = ccusage('amp', home);
    assert.equal(c.size, 2);
    assertParity(ours('amp', home), c, 'amp');
  });

  it('Kimi CLI: one request per StatusUpdate step, kimi-for-coding priced as K2.5 then K2.6', async () => {
    const home = await fixtureHome(['kimi']);
    const c = ccusage('kimi', home);
    assert.deepEqual([...c.keys()].sort(), ['2026-03-13', '2026-04-24'], 'one day before the K2.6 switch, one after');
    assertParity(ours('kimi', home), c, 'kimi');
  });

  it('Codebuff: metadata.usage and metadata.codebuff.usage', async () => {
    const home = await fixtureHome(['codebuff']);
    const c = ccusage('codebuff', home);
    assert.equal([...c.values()][0].rows.size, 2);
    assertParity(ours('codebuff', home), c, 'codebuff');
  });

  for (const agent of ['goose', 'kilo', 'hermes'] as const) {
    it(`${agent}: equal input, cache and cost; the reasoning ccusage prices as output but leaves out of outputTokens is in ours`, async () => {
      const home = await fixtureHome([agent]);
      const c = ccusage(agent, home);
      const o = ours(agent, home);
      assertParity(o, c, agent, ['outputTokens']);
      let reasoning = 0;
      for (const [day, cd] of c) {
        assert.equal(
          sumOf(o.get(day)!, 'outputTokens') - sumOf(cd, 'outputTokens'),
          beyondKinds(cd),
          `${agent} ${day}: our output = ccusage output + reasoning`,
        );
        reasoning += beyondKinds(cd);
      }
      assert.ok(reasoning > 0, 'the fixture has reasoning tokens');
    });
  }

  it('Qwen Code: cached tokens are inside promptTokenCount; ccusage counts them as input and again as cache read, we once', async () => {
    const home = await fixtureHome(['qwen']);
    const c = ccusage('qwen', home);
    const o = ours('qwen', home);
    const prices = new PriceTable();
    assert.deepEqual([...o.keys()].sort(), [...c.keys()].sort());
    let cachedSeen = 0;
    for (const [day, cd] of c) {
      const od = o.get(day)!;
      for (const [model, cr] of cd.rows) {
        const or = od.rows.get(model)!;
        assert.equal(or.cacheReadTokens, cr.cacheReadTokens, `${day} ${model}: cache read`);
        assert.equal(
          or.inputTokens,
          cr.inputTokens - cr.cacheReadTokens,
          `${day} ${model}: our input is the prompt without its cached part`,
        );
        const inputPrice = prices.lookup(model)!.input_cost_per_token;
        assert.ok(
          closeCost(or.cost, cr.cost - cr.cacheReadTokens * inputPrice),
          `${day} ${model}: ccusage charges the cached tokens once more at the input price (${or.cost} vs ${cr.cost})`,
        );
        cachedSeen += cr.cacheReadTokens;
      }
      assert.equal(sumOf(od, 'outputTokens') - sumOf(cd, 'outputTokens'), beyondKinds(cd), `${day}: thoughts are in our output`);
      assert.equal(od.totalTokens, cd.totalTokens - sumOf(cd, 'cacheReadTokens'), `${day}: our total counts the cached tokens once`);
    }
    assert.ok(cachedSeen > 0, 'the fixture has cached tokens');
  });
});
