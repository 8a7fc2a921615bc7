// The `token-cost` command as a script written for ccusage 20.0.24 and a person at a terminal
// use it: the same command forms and flags, the same JSON keys for the same command, help for
// every command, exit code 2 for every usage error, and the reference scripts' verbs.
//
// Keys ccusage prints that we do not (KNOWN_GAPS): Codex's reasoning tokens (`reasoningOutputTokens`,
// part of `outputTokens`), whether it assumed a model (`isFallback`) and a session's rollout file
// (`directory`, `sessionFile`) are not kept in the store, so they are left out rather than made up.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { assistantLine, tempDir, writeLines } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const ccusageBin = path.join(root, 'node_modules', '.bin', 'ccusage');
const REAL_HOME = path.resolve(root, '..', 'shared', 'corpora', 'real', 'home');

function envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', TZ: 'UTC', ...extra };
  for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME', 'TOKEN_COST_API_KEY'])
    if (!(k in extra)) delete env[k];
  return env;
}

function run(args: string[], env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ours(args: string[], env: NodeJS.ProcessEnv): unknown {
  const r = run(args, env);
  assert.equal(r.code, 0, `token-cost ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function theirs(args: string[], env: NodeJS.ProcessEnv): unknown {
  return JSON.parse(execFileSync(ccusageBin, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 }));
}

/** Every key path of a JSON value; array elements share their array's path (`[]`). */
function keyPaths(v: unknown, at = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const e of v) keyPaths(e, `${at}[]`, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(`${at}.${k}`);
      keyPaths(x, `${at}.${k}`, out);
    }
  }
  return out;
}

/** The reports of ccusage 20.0.24 a script may call, each as ccusage and we take it. */
const REPORTS: string[][] = [
  ['daily'],
  ['weekly'],
  ['monthly'],
  ['session'],
  ['blocks'],
  ['claude', 'daily'],
  ['claude', 'weekly'],
  ['claude', 'monthly'],
  ['claude', 'session'],
  ['claude', 'blocks'],
  ['claude', 'blocks', '--token-limit', 'max'],
  ['claude', 'blocks', '--active', '-t', '1000'],
  ['codex', 'daily'],
  ['codex', 'monthly'],
  ['codex', 'session'],
];
/** Edge cases (bench/corpus.mjs) where ccusage's blocks report disagrees with its own daily report. */
const BLOCK_DIFFERENCES = ['sidechain-replay-other-request', 'missing-requestId', 'progress-line-without-subagent-file'];
/** Per command, the last key of each path ccusage prints and we cannot fill (see the top). */
const KNOWN_GAPS: Record<string, string[]> = {
  session: ['reasoningOutputTokens'],
  'codex daily': ['reasoningOutputTokens', 'isFallback'],
  'codex monthly': ['reasoningOutputTokens', 'isFallback'],
  'codex session': ['reasoningOutputTokens', 'isFallback', 'directory', 'sessionFile'],
};

/** A Claude Code session running now, so that `blocks` has an active block with a burn rate. */
function addLiveSession(home: string): void {
  const now = Date.now();
  writeLines(path.join(home, '.claude', 'projects', '-home-me-live', 'live-1.jsonl'), [
    assistantLine({
      id: 'msg_live_1',
      requestId: 'req_live_1',
      timestamp: new Date(now - 40 * 60_000).toISOString(),
      cwd: '/home/me/live',
      sessionId: 'live-1',
    }),
    assistantLine({
      id: 'msg_live_2',
      requestId: 'req_live_2',
      timestamp: new Date(now - 10 * 60_000).toISOString(),
      output: 5000,
      cwd: '/home/me/live',
      sessionId: 'live-1',
      model: 'claude-opus-4-5-20251101',
    }),
  ]);
}

function compareKeySets(home: string, label: string): void {
  const env = envFor(home);
  const dataDir = tempDir('tcd-cli-data-');
  for (const args of REPORTS) {
    const name = args.filter((a) => !a.startsWith('-') && !/^\d+$/.test(a) && a !== 'max').join(' ');
    const c = keyPaths(theirs([...args, '--offline', '--json', '-z', 'UTC'], env));
    const o = keyPaths(ours([...args, '--offline', '--json', '-z', 'UTC', '--data-dir', dataDir], env));
    assert.ok(c.size > 0, `${label} ${name}: ccusage printed a report`);
    const extra = [...o].filter((k) => !c.has(k));
    assert.deepEqual(extra, [], `${label} ${name}: keys ccusage does not print`);
    const missing = [...c].filter((k) => !o.has(k));
    const gaps = KNOWN_GAPS[name] ?? [];
    assert.deepEqual(
      missing.filter((k) => !gaps.includes(k.split('.').at(-1)!)),
      [],
      `${label} ${name}: keys ccusage prints and we do not`,
    );
    if (name.startsWith('codex')) {
      // The gaps are real: when the store learns these figures, drop them from KNOWN_GAPS.
      for (const g of gaps)
        assert.ok(
          missing.some((k) => k.endsWith(`.${g}`)),
          `${label} ${name}: ${g} is printed now; drop it from KNOWN_GAPS`,
        );
    }
  }
}

describe('token-cost: ccusage 20.0.24 command forms and JSON keys', function () {
  this.timeout(300_000);
  let home: string;
  let corpus: { edgeCases: { name: string; days: string[] }[] };

  before(function () {
    assert.ok(existsSync(cli), `${cli} is missing: build first (node scripts/build.mjs; npm test does it)`);
    assert.ok(existsSync(ccusageBin), 'ccusage is missing: npm ci (devDependency ccusage@20.0.24)');
    home = tempDir('tcd-cli-home-');
    corpus = JSON.parse(
      execFileSync(process.execPath, [path.join(root, 'bench', 'corpus.mjs'), '--out', home, '--size-mb', '1', '--seed', '5', '--codex'], {
        encoding: 'utf8',
      }),
    );
    addLiveSession(home);
  });

  it('every report has the keys ccusage prints for the same command, at every level (generated corpus)', () => {
    compareKeySets(home, 'generated');
  });

  // The real transcripts are in CI and on the team's machines; elsewhere there is nothing to run.
  if (existsSync(REAL_HOME)) {
    it('the same keys on the real transcripts', () => {
      compareKeySets(REAL_HOME, 'real');
    });
  }

  it('blocks: the same blocks, gaps, entries, tokens, cost and burn rate as ccusage, but where ccusage disagrees with its own daily report', () => {
    const env = envFor(home);
    type Block = {
      id: string;
      isGap: boolean;
      isActive: boolean;
      entries: number;
      totalTokens: number;
      costUSD: number;
      models: string[];
      burnRate: unknown;
      projection: { remainingMinutes: number } | null;
    };
    const c = (theirs(['claude', 'blocks', '--offline', '--json'], env) as { blocks: Block[] }).blocks;
    const o = (ours(['claude', 'blocks', '--json', '--data-dir', tempDir('tcd-cli-data-')], env) as { blocks: Block[] }).blocks;
    // ccusage's blocks drop a subagent replay under another requestId and keep one line per
    // message id without requestId, as its session report does (see parity.test.ts); its daily
    // report and ours count both; and they skip usage found only in progress lines, which its
    // daily report and ours count. Those cases' days are left out here.
    const differs = new Set(corpus.edgeCases.filter((e) => BLOCK_DIFFERENCES.includes(e.name)).flatMap((e) => e.days));
    assert.equal(differs.size, BLOCK_DIFFERENCES.length);
    // A gap ends at the next block's first request, which in those cases differs too: a gap that
    // spans one of those days is left out as well.
    const spansDiffering = (list: Block[], i: number) => {
      const from = list[i].id.replace(/^gap-/, '').slice(0, 10);
      const to = list[i + 1]?.id.slice(0, 10) ?? '9999-12-31';
      return [...differs].some((d) => d >= from && d <= to);
    };
    const comparable = (list: Block[]) =>
      list.filter((b, i) => !differs.has(b.id.replace(/^gap-/, '').slice(0, 10)) && !(b.isGap && spansDiffering(list, i)));
    const strip = (b: Block) => ({
      id: b.id,
      isGap: b.isGap,
      isActive: b.isActive,
      entries: b.entries,
      totalTokens: b.totalTokens,
      cost: b.costUSD.toFixed(9),
      models: [...b.models].sort(),
      burnRate: b.burnRate,
    });
    assert.ok(c.length > 20);
    // Gaps end at the next block's first request, which in the differing cases differs too.
    assert.deepEqual(comparable(o).map(strip), comparable(c).map(strip));
    const active = o.filter((b) => b.isActive);
    assert.equal(active.length, 1, 'the live session is a running block');
    assert.ok(active[0].projection && active[0].projection.remainingMinutes > 0 && active[0].projection.remainingMinutes <= 300);
  });

  it('takes --since as YYYYMMDD or YYYY-MM-DD, -z, --order desc, --start-of-week and --breakdown', () => {
    const env = envFor(home);
    const dataDir = tempDir('tcd-cli-data-');
    const days = (args: string[]) =>
      (ours(['claude', 'daily', '--json', '--data-dir', dataDir, ...args], env) as { daily: { date: string }[] }).daily.map((d) => d.date);
    const compact = days(['--since', '20260610', '--until', '20260720']);
    assert.deepEqual(compact, days(['--since', '2026-06-10', '--until', '2026-07-20']));
    assert.ok(compact.length > 3 && compact[0] >= '2026-06-10' && compact.at(-1)! <= '2026-07-20', `${compact}`);
    assert.ok(days([]).length > compact.length);
    assert.deepEqual(days(['-s', '20260610', '-u', '20260720', '--order', 'desc']), [...compact].reverse());
    const weeks = (args: string[]) =>
      (ours(['claude', 'weekly', '--json', '--data-dir', dataDir, ...args], env) as { weekly: { week: string }[] }).weekly.map(
        (w) => w.week,
      );
    const cc = (args: string[]) =>
      (theirs(['claude', 'weekly', '--offline', '--json', '-z', 'UTC', ...args], env) as { weekly: { week: string }[] }).weekly.map(
        (w) => w.week,
      );
    assert.deepEqual(weeks(['-z', 'UTC']), cc([]), 'Sunday weeks, as ccusage claude weekly');
    assert.deepEqual(weeks(['-z', 'UTC', '--start-of-week', 'monday']), cc(['--start-of-week', 'monday']));
    assert.equal(new Date(`${weeks(['--start-of-week', 'wednesday'])[0]}T00:00:00Z`).getUTCDay(), 3);
    const table = run(['claude', 'daily', '--breakdown', '--offline', '-s', '20260601', '-u', '20260610', '--data-dir', dataDir], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /└ claude-/, 'a row per model');
  });

  it('the table names the models it cannot price; <synthetic> is never a model row', () => {
    const env = envFor(home);
    const dataDir = tempDir('tcd-cli-data-');
    const r = run(['claude', 'daily', '--breakdown', '--data-dir', dataDir], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Warning: no price for claude-mystery-9-20990101: counted as \$0\.$/m);
    assert.doesNotMatch(r.stdout, /<synthetic>/);
    for (const args of [['daily'], ['claude', 'session'], ['report', 'daily'], ['claude', 'blocks']]) {
      const text = JSON.stringify(ours([...args, '--json', '--data-dir', dataDir], env));
      assert.doesNotMatch(text, /"modelName":"<synthetic>"|"<synthetic>"/, `${args.join(' ')}`);
    }
    const json = ours(['claude', 'daily', '--json', '--data-dir', dataDir], env) as { totals: { unpricedModels?: string[] } };
    assert.deepEqual(json.totals.unpricedModels, ['claude-mystery-9-20990101']);
  });
});

describe('token-cost: help, version and usage errors', function () {
  this.timeout(120_000);
  const home = tempDir('tcd-cli-empty-');
  const env = envFor(home);

  it('--version prints the package version', () => {
    const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
    for (const args of [['--version'], ['-v'], ['daily', '--version']]) {
      const r = run(args, env);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('--help for every command shows its own flags and examples', () => {
    const commands: [string[], string[]][] = [
      [['daily'], ['--since', '--until', '--timezone', '--breakdown', '--mode', '--order', '--offline', '--cost-rules', '--json']],
      [['weekly'], ['--start-of-week']],
      [
        ['claude', 'weekly'],
        ['--start-of-week', 'Sunday'],
      ],
      [['session'], ['--id']],
      [['blocks'], ['--active', '--recent', '--token-limit']],
      [['claude', 'blocks'], ['--active']],
      [['codex', 'daily'], ['--since']],
      [['report', 'daily'], ['--since']],
      [['serve'], ['--port']],
      [['log'], ['--model', '--url', 'inbox']],
      [['today'], ['--timezone']],
      [['project'], ['--since']],
      [['cost'], ['--model']],
    ];
    for (const [words, flags] of commands) {
      for (const form of [
        [...words, '--help'],
        [...words, '-h'],
        ['help', ...words],
      ]) {
        const r = run(form, env);
        assert.equal(r.code, 0, `${form.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`Usage:\\n  token-cost ${words.join(' ')}`), form.join(' '));
        assert.match(r.stdout, /Examples:\n {2}token-cost /, form.join(' '));
        for (const f of flags) assert.ok(r.stdout.includes(f), `${form.join(' ')} mentions ${f}`);
      }
    }
    assert.doesNotMatch(run(['daily', '--help'], env).stdout, /--start-of-week/, 'only the flags daily takes');
    const claude = run(['claude', '--help'], env);
    assert.equal(claude.code, 0);
    assert.match(claude.stdout, /token-cost claude blocks/);
    assert.doesNotMatch(run(['codex', '--help'], env).stdout, /weekly|blocks/, 'codex has daily, monthly and session');
    const overview = run(['--help'], env);
    assert.equal(overview.code, 0);
    assert.match(overview.stdout, /token-cost claude daily\|weekly\|monthly\|session\|blocks/);
  });

  it('exits 2 with a message for every usage error', () => {
    const cases: [string[], RegExp][] = [
      [['daily', '--since', '20261340'], /--since "20261340" is not a date/],
      [['daily', '--since', '2026-02-30'], /not a date/],
      [['claude', 'daily', '--until', 'yesterday'], /--until "yesterday" is not a date/],
      [['daily', '--since', '20261102', '--until', '20261101'], /--since 2026-11-02 is after --until 2026-11-01/],
      [['daily', '--bogus'], /Unknown option '--bogus'/],
      [['daily', '--since'], /argument missing/],
      [['daily', '--start-of-week', 'monday'], /Unknown option '--start-of-week'/],
      [['weekly', '--start-of-week', 'someday'], /--start-of-week must be/],
      [['daily', '--mode', 'cheap'], /--mode must be auto, calculate or display/],
      [['daily', '--cost-rules', 'mine'], /--cost-rules must be ccusage or api/],
      [['daily', '--order', 'up'], /--order must be asc or desc/],
      [['daily', '-z', 'Mars/Olympus'], /Unknown time zone "Mars\/Olympus"/],
      [['codex', 'weekly'], /Unknown report "codex weekly"/],
      [['claude'], /"claude" needs a report/],
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['serve', '--port', '99999'], /--port must be a number/],
      [['log', 'p', 't'], /log needs <project> <task> <tokens>/],
      [['log', 'p', 't', 'many'], /<tokens> must be a whole number/],
      [['cost'], /cost needs <tokens>/],
      [['today', 'extra'], /Unexpected argument "extra"/],
    ];
    for (const [args, message] of cases) {
      const r = run(args, env);
      assert.equal(r.code, 2, `token-cost ${args.join(' ')} exits 2 (stderr: ${r.stderr})`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /--help/, `${args.join(' ')} points to the help`);
    }
  });

  it("accepts --cost-rules ccusage|api and ccusage's --offline/--no-offline/--color/--compact", () => {
    const dataDir = tempDir('tcd-cli-data-');
    for (const extra of [
      ['--cost-rules', 'api'],
      ['--cost-rules', 'ccusage'],
      ['-O'],
      ['--no-offline'],
      ['--no-color'],
      ['--color'],
      ['--compact'],
      ['--all'],
      ['--single-thread'],
      ['-m', 'calculate'],
      ['-j'],
    ]) {
      const r = run(['claude', 'daily', '--data-dir', dataDir, ...extra], env);
      assert.equal(r.code, 0, `${extra.join(' ')}: ${r.stderr}`);
    }
  });

  it('when no transcripts are found, names the folders it looked in', () => {
    const r = run(['daily', '--data-dir', tempDir('tcd-cli-data-')], env);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /no usage found\. Looked for transcripts in:/);
    for (const p of [path.join(home, '.claude', 'projects'), path.join(home, '.codex', 'sessions')])
      assert.ok(r.stderr.includes(p), `names ${p}: ${r.stderr}`);
  });
});

describe("token-cost: the reference scripts' verbs (seed 003)", function () {
  this.timeout(120_000);
  const home = tempDir('tcd-cli-seed-');
  const env = envFor(home);
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGTERM');
  });

  function projects(dataDir: string, e = env): { project: string; totalTokens: number; totalCost: number }[] {
    return (
      ours(['project', '--json', '--data-dir', dataDir], e) as { projects: { project: string; totalTokens: number; totalCost: number }[] }
    ).projects;
  }

  it('log works with no server running, warns without a model, and today/project count it', () => {
    const dataDir = tempDir('tcd-cli-data-');
    const first = run(['log', 'calm-ai-pm', 'Add AGENTS.md', '3500', '--data-dir', dataDir], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /warning: no --model given, so these tokens cost \$0/);
    assert.match(first.stdout, /Logged 3,500 tokens for calm-ai-pm \/ Add AGENTS\.md \(\$0: no model\)/);
    const priced = run(['log', 'qa-automation', 'Fix flaky test', '2800', '--model', 'claude-haiku-4-5', '--data-dir', dataDir], env);
    assert.equal(priced.code, 0, priced.stderr);
    assert.doesNotMatch(priced.stderr, /warning/);
    const unpriced = run(['log', 'qa-automation', 'Try a model', '10', '--model', 'no-such-model-x', '--data-dir', dataDir], env);
    assert.equal(unpriced.code, 0, unpriced.stderr);
    assert.match(unpriced.stderr, /warning: no price for model "no-such-model-x", so these tokens cost \$0/);
    const prices = JSON.parse(readFileSync(path.join(root, 'src/core/pricing/prices.json'), 'utf8'));
    const haiku = 2800 * prices['claude-haiku-4-5'].input_cost_per_token;
    const rows = projects(dataDir);
    assert.deepEqual(
      rows.map((r) => [r.project, r.totalTokens]),
      [
        ['qa-automation', 2810],
        ['calm-ai-pm', 3500],
      ],
    );
    assert.ok(Math.abs(rows[0].totalCost - haiku) < 1e-12);
    const today = ours(['today', '--json', '--data-dir', dataDir], env) as { totalTokens: number; totalCost: number; requests: number };
    assert.equal(today.totalTokens, 6310);
    assert.equal(today.requests, 3);
    assert.match(
      run(['today', '--data-dir', dataDir], env).stdout,
      /^Today \(\d{4}-\d\d-\d\d, UTC\): \$0\.00, 6,310 tokens, 3 requests\.$/m,
    );
  });

  it('cost N prices N tokens as log counts them', () => {
    const prices = JSON.parse(readFileSync(path.join(root, 'src/core/pricing/prices.json'), 'utf8'));
    const r = run(['cost', '50000'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^\\$${(50000 * prices['claude-haiku-4-5'].input_cost_per_token).toFixed(2).replace('.', '\\.')} \\(50,000 tokens of claude-haiku-4-5`,
      ),
    );
    const sonnet = ours(['cost', '50000', '--model', 'claude-sonnet-4-5', '--json'], env) as { cost: number };
    assert.ok(Math.abs(sonnet.cost - 50000 * prices['claude-sonnet-4-5'].input_cost_per_token) < 1e-12);
    const unknown = run(['cost', '50000', '--model', 'no-such-model-x'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no price for model "no-such-model-x"/);
  });

  /** Starts `token-cost serve` and waits for its server.json. */
  async function serve(dataDir: string, e: NodeJS.ProcessEnv): Promise<void> {
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir], { env: e, stdio: 'ignore' });
    children.push(child);
    for (let i = 0; i < 200 && !existsSync(path.join(dataDir, 'server.json')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(path.join(dataDir, 'server.json')), 'the server started');
  }

  it("log finds a running server without --url, and the extension's through its storage folder", async () => {
    // This CLI's own server, in the default data folder: found through server.json and its key file.
    const xdgData = tempDir('tcd-cli-xdg-');
    const withData = envFor(home, { XDG_DATA_HOME: xdgData });
    const cliDir = path.join(xdgData, 'token-cost-dashboard');
    await serve(cliDir, withData);
    const sent = run(['log', 'web', 'Fix header', '1200', '--model', 'claude-haiku-4-5'], withData);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /sent to http:\/\/127\.0\.0\.1:\d+/);

    // The VS Code extension's server: its key is in VS Code's secret storage, so without
    // $TOKEN_COST_API_KEY the entry goes through its database's inbox.
    const xdgConfig = tempDir('tcd-cli-cfg-');
    const extDir = path.join(xdgConfig, 'Code', 'User', 'globalStorage', 'tokencost.token-cost-dashboard');
    mkdirSync(extDir, { recursive: true });
    const extEnv = envFor(home, { XDG_CONFIG_HOME: xdgConfig, XDG_DATA_HOME: tempDir('tcd-cli-xdg-') });
    await serve(extDir, { ...extEnv, TOKEN_COST_API_KEY: 'extension-secret' });
    const handed = run(['log', 'api', 'Add route', '900'], extEnv);
    assert.equal(handed.code, 0, handed.stderr);
    assert.match(handed.stdout, new RegExp(`handed to the process that writes ${extDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    let rows: { project: string; totalTokens: number }[] = [];
    for (let i = 0; i < 100 && !rows.some((r) => r.project === 'api'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = projects(extDir, extEnv);
    }
    assert.deepEqual(
      rows.filter((r) => r.project === 'api').map((r) => r.totalTokens),
      [900],
      'the extension took it in',
    );
    // With the key, it is sent to the extension's server instead.
    const direct = run(['log', 'api', 'Add test', '300'], { ...extEnv, TOKEN_COST_API_KEY: 'extension-secret' });
    assert.match(direct.stdout, /sent to http:\/\/127\.0\.0\.1:\d+/);
  });
});
