import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  codexRateLimits,
  dueLimitAlerts,
  type LimitsReport,
  limitsReport,
  limitsShort,
  parseStatusLine,
  windowPace,
  type LimitSnapshot,
} from '../../src/core/limits';
import {
  appendLimitSnapshot,
  codexLimitSnapshots,
  limitsFile,
  LimitsLogFollower,
  readLimitsLog,
  REPEAT_EVERY_MS,
  writeTodayCache,
} from '../../src/core/limitsLog';
import { statusLineText } from '../../src/cli/statusline';
import { NotifiedMarks } from '../../src/core/budgetAlerts';
import { planStatusLineSetup, planStatusLineUndo } from '../../src/core/statusLineSetup';
import { tempDir } from './helpers';

// The real Codex rollouts CI has beside the clone (../shared/corpora/real).
const realCodex = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'corpora', 'real', 'home', '.codex');

const NOW = Date.parse('2026-12-01T12:00:00Z');
const sec = (ms: number) => Math.round(ms / 1000);
const H = 3_600_000;

/** A status-line JSON as Claude Code 2.1.80+ sends it to a Max subscriber. */
function statusJson(over: Record<string, unknown> = {}, now = NOW): string {
  return JSON.stringify({
    session_id: 'abc-123',
    version: '2.1.200',
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    cost: { total_cost_usd: 0.8123, total_duration_ms: 1000 },
    context_window: { total_input_tokens: 1000, context_window_size: 200000, current_usage: null },
    rate_limits: {
      five_hour: { used_percentage: 42, resets_at: sec(now + 2 * H) },
      seven_day: { used_percentage: 18, resets_at: sec(now + 76 * H) },
    },
    ...over,
  });
}
const statusJsonAt = (now: number) => statusJson({}, now);

describe('status-line JSON', () => {
  it('reads both windows, the session and its cost', () => {
    const p = parseStatusLine(statusJson(), NOW);
    assert.equal(p.sessionId, 'abc-123');
    assert.equal(p.sessionCost, 0.8123);
    assert.equal(p.model, 'Opus 4.6');
    assert.deepEqual(p.snapshot?.windows, [
      { minutes: 300, usedPct: 42, resetsAt: NOW + 2 * H },
      { minutes: 10080, usedPct: 18, resetsAt: NOW + 76 * H },
    ]);
    assert.equal(p.snapshot?.at, NOW);
  });

  it('keeps the one window present when the other is missing', () => {
    const only7d = parseStatusLine(statusJson({ rate_limits: { seven_day: { used_percentage: 18, resets_at: sec(NOW + H) } } }), NOW);
    assert.deepEqual(
      only7d.snapshot?.windows.map((w) => w.minutes),
      [10080],
    );
    const only5h = parseStatusLine(
      statusJson({ rate_limits: { five_hour: { used_percentage: 5, resets_at: sec(NOW + H) }, seven_day: null } }),
      NOW,
    );
    assert.deepEqual(
      only5h.snapshot?.windows.map((w) => w.minutes),
      [300],
    );
  });

  it('has no snapshot before the first reply, for API-key users and before 2.1.80 (no rate_limits)', () => {
    const before = parseStatusLine(statusJson({ rate_limits: undefined, cost: { total_cost_usd: 0 } }), NOW);
    assert.equal(before.snapshot, undefined);
    assert.equal(before.sessionCost, 0);
    const old = parseStatusLine(
      JSON.stringify({ session_id: 'x', model: { id: 'claude-sonnet-4-5' }, cost: { total_cost_usd: 1.5 } }),
      NOW,
    );
    assert.equal(old.snapshot, undefined);
    assert.equal(old.model, 'claude-sonnet-4-5');
    assert.equal(parseStatusLine(statusJson({ rate_limits: {} }), NOW).snapshot, undefined);
  });

  it('skips a window with no percentage or no reset rather than inventing one', () => {
    const p = parseStatusLine(
      statusJson({ rate_limits: { five_hour: { used_percentage: 10 }, seven_day: { resets_at: sec(NOW + H) } } }),
      NOW,
    );
    assert.equal(p.snapshot, undefined);
  });

  it('says what is wrong with input that is not a JSON object', () => {
    assert.throws(() => parseStatusLine('not json', NOW), /status-line input on stdin is not JSON/);
    assert.throws(() => parseStatusLine('[1]', NOW), /not a JSON object/);
  });
});

describe('Codex rate_limits', () => {
  const line = (rl: unknown, info: unknown = null) => ({
    timestamp: '2026-06-17T22:47:57.240Z',
    type: 'event_msg',
    payload: { type: 'token_count', info, rate_limits: rl },
  });

  it('reads primary as the 300-minute window and secondary as the 10080-minute one, with the plan', () => {
    const s = codexRateLimits(
      line({
        primary: { used_percent: 100, window_minutes: 300, resets_at: 1781749796 },
        secondary: { used_percent: 16, window_minutes: 10080, resets_at: 1782336596 },
        plan_type: 'team',
      }),
      'r1',
    );
    assert.deepEqual(s, {
      source: 'codex',
      at: Date.parse('2026-06-17T22:47:57.240Z'),
      planType: 'team',
      sessionId: 'r1',
      windows: [
        { minutes: 300, usedPct: 100, resetsAt: 1781749796000 },
        { minutes: 10080, usedPct: 16, resetsAt: 1782336596000 },
      ],
    });
  });

  it('finds the newest token_count with limits in each real rollout of the corpus', () => {
    const root = path.join(realCodex, 'sessions');
    const snaps = codexLimitSnapshots([root]);
    assert.ok(snaps.length > 0, 'the real corpus carries rate_limits');
    const one = path.join(realCodex, 'sessions/2026/06/17/rollout-2026-06-17T22-44-39-019ed7c2-0e29-7b52-b92a-ff8e6f9573a0.jsonl');
    const lastLine = readFileSync(one, 'utf8')
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.includes('"rate_limits"') && l.includes('"token_count"'))!;
    const expected = codexRateLimits(JSON.parse(lastLine), '019ed7c2-0e29-7b52-b92a-ff8e6f9573a0');
    assert.deepEqual(
      snaps.find((s) => s.sessionId === '019ed7c2-0e29-7b52-b92a-ff8e6f9573a0'),
      expected,
    );
  });
});

describe('Codex rollouts read again only when they change', () => {
  it('a line appended to a rollout is seen on the next pass; an unchanged one comes from the cache', () => {
    const root = tempDir('tcd-codex-limits-');
    const src = path.join(realCodex, 'sessions/2026/06/17/rollout-2026-06-17T22-44-39-019ed7c2-0e29-7b52-b92a-ff8e6f9573a0.jsonl');
    const file = path.join(root, path.basename(src));
    writeFileSync(file, readFileSync(src));
    const cache = new Map();
    const first = codexLimitSnapshots([root], 60, cache);
    assert.equal(first.length, 1);
    assert.deepEqual(codexLimitSnapshots([root], 60, cache), first);
    const rl = {
      primary: { used_percent: 7, window_minutes: 300, resets_at: 1781800000 },
      secondary: { used_percent: 17, window_minutes: 10080, resets_at: 1782336596 },
      plan_type: 'team',
    };
    // The corpus file has no final newline; Codex adds one before its next line.
    appendFileSync(
      file,
      `\n${JSON.stringify({ timestamp: '2026-06-18T01:00:00.000Z', type: 'event_msg', payload: { type: 'token_count', info: null, rate_limits: rl } })}\n`,
    );
    assert.deepEqual(
      codexLimitSnapshots([root], 60, cache)[0].windows.map((w) => w.usedPct),
      [7, 17],
    );
  });
});

describe('pace', () => {
  const snap = (usedPct: number, resetsAt: number, at: number, minutes = 300): LimitSnapshot => ({
    source: 'claude',
    at,
    windows: [{ minutes, usedPct, resetsAt }],
  });

  it('projects the use at reset and the time of the limit from the rate so far in the window', () => {
    // 5-hour window started at 10:00, 2 h in at 40 %: 20 %/h, 100 % at 15:00 = the reset, so 100 % projected and no earlier limit.
    const resetsAt = NOW + 3 * H;
    const p = windowPace(snap(40, resetsAt, NOW), { minutes: 300, usedPct: 40, resetsAt }, NOW);
    assert.equal(p.windowStart, NOW - 2 * H);
    assert.equal(p.projectedPctAtReset, 100);
    assert.equal(p.limitAt, undefined);
    // 60 % after 2 h: 30 %/h, full after 3 h 20 min, before the reset at 5 h.
    const q = windowPace(snap(60, resetsAt, NOW), { minutes: 300, usedPct: 60, resetsAt }, NOW);
    assert.equal(q.projectedPctAtReset, 150);
    assert.equal(q.limitAt, NOW - 2 * H + (10 / 3) * H);
  });

  it('gives no projection at the very start of a window, and a full window its limit time', () => {
    const resetsAt = NOW + 5 * H - 60_000; // one minute in
    const early = windowPace(snap(3, resetsAt, NOW), { minutes: 300, usedPct: 3, resetsAt }, NOW);
    assert.equal(early.state, 'current');
    assert.equal(early.projectedPctAtReset, undefined);
    const full = windowPace(snap(100, NOW + H, NOW - 60_000), { minutes: 300, usedPct: 100, resetsAt: NOW + H }, NOW);
    assert.equal(full.projectedPctAtReset, 100);
    assert.equal(full.limitAt, NOW - 60_000);
  });

  it('one millisecond before the reset the window is current; at the reset it has reset and shows no projection', () => {
    const resetsAt = NOW;
    const s = snap(80, resetsAt, NOW - H);
    assert.equal(windowPace(s, s.windows[0], NOW - 1).state, 'current');
    const after = windowPace(s, s.windows[0], NOW);
    assert.equal(after.state, 'reset');
    assert.equal(after.projectedPctAtReset, undefined);
    assert.equal(after.limitAt, undefined);
  });

  it('across a reset the new window starts a fresh pace and history marks the reset', () => {
    const firstReset = NOW - H;
    const snaps = [snap(90, firstReset, NOW - 2 * H), snap(4, firstReset + 5 * H, NOW - 10 * 60_000)];
    // The second reading: 4 % 50 min after the reset at 11:00 → 24 % at this pace, not 90 % + anything.
    const r = limitsReport(snaps, NOW);
    const w = r.windows[0];
    assert.equal(w.usedPct, 4);
    assert.equal(w.windowStart, firstReset);
    assert.equal(w.projectedPctAtReset, 24);
    assert.deepEqual(
      r.history[0].points.map((p) => p.usedPct),
      [90, 4],
    );
    assert.deepEqual(r.history[0].resets, [firstReset, firstReset + 5 * H]);
  });

  it('says nothing is reported when no agent sent limits, and names the nearest limit otherwise', () => {
    assert.equal(limitsReport([], NOW).reported, false);
    const r = limitsReport(
      [snap(42, NOW + 2 * H, NOW), { source: 'claude', at: NOW, windows: [{ minutes: 10080, usedPct: 18, resetsAt: NOW + 76 * H }] }],
      NOW,
    );
    assert.equal(r.nearest?.label, '5h');
    assert.equal(limitsShort(r, NOW, { space: true }), '5h 42 % · 7d 18 %');
    assert.equal(limitsShort(r, NOW, { withReset: true }), '5h 42% (2h 00m) · 7d 18% (3d 4h)');
  });

  it('alerts once per window and threshold: the key names the window by its reset', () => {
    const resetsAt = NOW + 3 * H;
    const r = limitsReport([snap(55, resetsAt, NOW)], NOW); // 27.5 %/h → 137.5 % at reset
    const due = dueLimitAlerts(r, 90, (ms) => new Date(ms).toISOString());
    assert.equal(due.length, 1);
    assert.equal(due[0].key, `limit:claude:300:${resetsAt}:pace90`);
    assert.match(due[0].text, /at this pace 138 % by its reset/);
    const nextWindow = limitsReport([snap(55, resetsAt + 5 * H, NOW + 5 * H)], NOW + 5 * H);
    assert.notEqual(dueLimitAlerts(nextWindow, 90, String)[0].key, due[0].key);
    const full = dueLimitAlerts(limitsReport([snap(100, resetsAt, NOW)], NOW), 90, String);
    assert.equal(full[0].key, `limit:claude:300:${resetsAt}:100`);
    assert.equal(dueLimitAlerts(limitsReport([snap(20, resetsAt, NOW)], NOW), 90, String).length, 0);
  });
});

describe('pace alerts across windows (editors) and restarts', () => {
  it("the budget alerts' markers let exactly one claimant show each window's alert, once", () => {
    const dir = tempDir('tcd-limit-marks-');
    const resetsAt = NOW + 3 * H;
    const reading: LimitSnapshot = { source: 'codex', at: NOW, windows: [{ minutes: 300, usedPct: 55, resetsAt }] };
    const due = dueLimitAlerts(limitsReport([reading], NOW), 90, String);
    const windowA = new NotifiedMarks(dir);
    const windowB = new NotifiedMarks(dir);
    assert.deepEqual(
      due.map((d) => [windowA.claim(d.key), windowB.claim(d.key)]),
      [[true, false]],
    );
    // After a restart, the same reading a minute later is still the same window and threshold.
    const later = dueLimitAlerts(
      limitsReport([{ ...reading, at: NOW + 60_000, windows: [{ minutes: 300, usedPct: 56, resetsAt }] }], NOW + 60_000),
      90,
      String,
    );
    assert.equal(new NotifiedMarks(dir).claim(later[0].key), false);
    // Reaching 100 % is its own alert.
    const full = dueLimitAlerts(limitsReport([{ ...reading, windows: [{ minutes: 300, usedPct: 100, resetsAt }] }], NOW), 90, String);
    assert.equal(new NotifiedMarks(dir).claim(full[0].key), true);
  });
});

describe('limits.jsonl', () => {
  const s = (at: number, used = 42): LimitSnapshot => ({
    source: 'claude',
    at,
    windows: [{ minutes: 300, usedPct: used, resetsAt: NOW + H }],
    sessionId: 'a',
    sessionCost: 1,
  });

  it('appends changes, writes a repeat only every 10 minutes, and survives a torn last line', () => {
    const dir = tempDir('tcd-limits-');
    assert.equal(appendLimitSnapshot(dir, s(NOW)), true);
    assert.equal(appendLimitSnapshot(dir, s(NOW + 1000)), false);
    assert.equal(appendLimitSnapshot(dir, s(NOW + 2000, 43)), true);
    assert.equal(appendLimitSnapshot(dir, s(NOW + 2000 + REPEAT_EVERY_MS, 43)), true);
    appendFileSync(limitsFile(dir), '{"v":1,"source":"cla'); // a crash mid-write
    assert.equal(appendLimitSnapshot(dir, s(NOW + 3 * REPEAT_EVERY_MS, 50)), true);
    assert.deepEqual(
      readLimitsLog(dir).map((x) => x.windows[0].usedPct),
      [42, 43, 43, 50],
    );
  });

  it('is followed incrementally, as the extension does', () => {
    const dir = tempDir('tcd-limits-');
    const f = new LimitsLogFollower(limitsFile(dir));
    assert.deepEqual(f.read(), []);
    appendLimitSnapshot(dir, s(NOW));
    assert.equal(f.read().length, 1);
    assert.equal(f.read().length, 0);
    appendLimitSnapshot(dir, s(NOW + 5, 60));
    assert.deepEqual(
      f.read().map((x) => x.windows[0].usedPct),
      [60],
    );
  });
});

describe('token-cost statusline', () => {
  it('records the reading and prints today, the session and the windows', () => {
    const dir = tempDir('tcd-statusline-');
    writeTodayCache(dir, {
      day: '2026-12-01',
      timeZone: 'UTC',
      start: Date.parse('2026-12-01T00:00:00Z'),
      end: Date.parse('2026-12-02T00:00:00Z'),
      cost: 3.4212,
      at: NOW,
    });
    assert.equal(statusLineText(statusJson(), dir, NOW), '$3.42 today · $0.81 session · 5h 42% (2h 00m) · 7d 18% (3d 4h)');
    assert.equal(readLimitsLog(dir).length, 1);
    // Yesterday's cache is not today's cost.
    assert.equal(statusLineText(statusJson({ rate_limits: undefined }), dir, NOW + 24 * H), '$0.81 session');
  });

  it('runs from the built CLI with a chained command, printing both lines', function () {
    this.timeout(30_000);
    const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    assert.ok(existsSync(cli), `${cli} is missing: build first (node scripts/build.mjs)`);
    const dir = tempDir('tcd-statusline-');
    writeFileSync(path.join(dir, 'chain.sh'), 'read x; echo "theirs:${#x}"\n');
    const r = spawnSync(process.execPath, [cli, 'statusline', '--data-dir', dir, '--chain', `sh ${path.join(dir, 'chain.sh')}`], {
      input: statusJsonAt(Date.now()),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\$0\.81 session · 5h 42% \(\d+h \d\dm\) · 7d 18% \(\d+d \d+h\) {2}theirs:\d+\n$/);
    assert.equal(readLimitsLog(dir)[0].windows.length, 2);
  });
});

describe('Set Up Claude Code Status Line (settings.json edit)', () => {
  const ours = "node '/home/u/.local/share/token-cost-dashboard/statusline.js'";
  const file = '/home/u/.claude/settings.json';

  it('adds the status line to settings with none, keeping every other setting', () => {
    const plan = planStatusLineSetup('{"model":"opus","permissions":{"allow":["Bash(ls)"]}}', file, ours)!;
    assert.deepEqual(JSON.parse(plan.text), {
      model: 'opus',
      permissions: { allow: ['Bash(ls)'] },
      statusLine: { type: 'command', command: ours },
    });
    assert.equal(plan.before, undefined);
    assert.equal(planStatusLineSetup(undefined, file, ours)!.after.command, ours);
  });

  it('chains a status line the user already had, quoted for the shell, and keeps its padding', () => {
    const plan = planStatusLineSetup(
      JSON.stringify({ statusLine: { type: 'command', command: 'bash -c \'echo it\'"s"', padding: 2 } }),
      file,
      ours,
    )!;
    assert.equal(plan.chained, 'bash -c \'echo it\'"s"');
    assert.equal(plan.after.command, `${ours} --chain 'bash -c '\\''echo it'\\''"s"'`);
    assert.equal(plan.after.padding, 2);
    // What sh makes of the quoted word is the previous command, unchanged.
    const r = spawnSync('sh', ['-c', `printf %s ${plan.after.command.slice(`${ours} --chain `.length)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, plan.chained);
  });

  it('does nothing when the status line is already ours, and refuses a file that is not JSON', () => {
    assert.equal(planStatusLineSetup(JSON.stringify({ statusLine: { type: 'command', command: ours } }), file, ours), undefined);
    assert.throws(() => planStatusLineSetup('{"model": ', file, ours), /settings\.json is not valid JSON .*nothing was changed/);
  });

  it('undo puts the previous status line back and leaves later changes alone', () => {
    const previous = { type: 'command', command: 'my-line' };
    const plan = planStatusLineSetup(JSON.stringify({ statusLine: previous }), file, ours)!;
    const edited = JSON.stringify({ ...JSON.parse(plan.text), model: 'sonnet' });
    assert.deepEqual(JSON.parse(planStatusLineUndo(edited, file, previous)!), { statusLine: previous, model: 'sonnet' });
    assert.deepEqual(JSON.parse(planStatusLineUndo(planStatusLineSetup('{}', file, ours)!.text, file, undefined)!), {});
    assert.equal(planStatusLineUndo(JSON.stringify({ statusLine: previous }), file, previous), undefined);
  });
});

describe('token-cost limits and GET /api/limits', () => {
  it('give the same figures, from a status-line reading and the Codex corpus', async function () {
    this.timeout(60_000); // three CLI processes and a server start on a shared machine
    const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    assert.ok(existsSync(cli), `${cli} is missing: build first (node scripts/build.mjs)`);
    const home = tempDir('tcd-limits-home-');
    const xdg = tempDir('tcd-limits-xdg-');
    const env = {
      ...process.env,
      HOME: home,
      XDG_DATA_HOME: xdg,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      CODEX_HOME: realCodex,
      CLAUDE_CONFIG_DIR: '',
      TOKEN_COST_API_KEY: '',
    };
    const dataDir = path.join(xdg, 'token-cost-dashboard');
    const piped = spawnSync(process.execPath, [cli, 'statusline'], { input: statusJsonAt(Date.now()), encoding: 'utf8', env });
    assert.equal(piped.status, 0, piped.stderr);
    const fromCli = JSON.parse(spawnSync(process.execPath, [cli, 'limits', '--json'], { encoding: 'utf8', env }).stdout) as LimitsReport;
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { env, stdio: 'ignore' });
    try {
      for (let i = 0; i < 400 && !existsSync(path.join(dataDir, 'server.json')); i++) await new Promise((r) => setTimeout(r, 50));
      const { url } = JSON.parse(readFileSync(path.join(dataDir, 'server.json'), 'utf8')) as { url: string };
      const key = readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
      const fromApi = (await (await fetch(`${url}/api/limits`, { headers: { 'x-api-key': key } })).json()) as LimitsReport;
      const strip = (r: LimitsReport) => ({ ...r, generatedAt: 0 });
      assert.deepEqual(strip(fromApi), strip(fromCli));
      assert.equal(fromCli.nearest?.source, 'claude');
      assert.equal(fromCli.nearest?.usedPct, 42);
      // The corpus's newest Codex reading: its windows reset months ago, so they say so rather than show a stale figure.
      const codex = fromCli.windows.filter((w) => w.source === 'codex');
      assert.deepEqual(
        codex.map((w) => [w.minutes, w.state, w.planType]),
        [
          [300, 'reset', 'team'],
          [10080, 'reset', 'team'],
        ],
      );
    } finally {
      child.kill('SIGTERM');
    }
  });
});
