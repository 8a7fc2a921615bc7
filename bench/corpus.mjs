// Writes a fake HOME full of Claude Code transcripts (and, on request, Codex CLI sessions) with
// every edge case that makes usage counting go wrong, deterministically from a seed:
//   node bench/corpus.mjs --out DIR [--size-mb N] [--seed S] [--tz ZONE] [--codex | --codex-only] [--codex-fast]
// The parity test and bench/scan.mjs use it; `generateCorpus()` also returns what it wrote, so a
// test can name the edge cases it covers.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const DAY = 86_400_000;
/** The corpus spans these days (ending just after North America's 2026 DST change on Nov 1). */
const SPAN_START = Date.UTC(2026, 9, 2);
const SPAN_DAYS = 26;
/** Edge cases live on their own days from June 2026 (days since EDGE_BASE), four days apart, so that
 * a day either side of a case (another zone's view of it) never holds another case. */
const EDGE_FIRST_DAY = 0;
const EDGE_BASE = Date.UTC(2026, 5, 1);
/** 2026-11-01, North America's DST change, as days since 2026-10-01. */
const DST_DAY = 31;

/** Models as Claude Code writes them, including the pairs price matching must keep apart. */
const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-5-20251101',
  'claude-opus-4-5-20251101',
  'claude-haiku-4-5-20251001',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-20250514',
  'claude-opus-4-1-20250805',
  'claude-sonnet-4-20250514',
];
const TIERED_MODELS = ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-20250514'];
const UNKNOWN_MODEL = 'claude-mystery-9-20990101';
const SYNTHETIC = '<synthetic>';

const CWDS = ['/home/me/app', '/home/me/my app', '/work/api-server', '/home/me/src/github.com/acme/web.site', '/srv/монорепо'];

/** mulberry32: small, fast and the same on every machine. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    hex: (n) => {
      let s = '';
      while (s.length < n)
        s += Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, '0');
      return s.slice(0, n);
    },
  };
}

const uuid = (r) => {
  const h = r.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
};
/** Claude Code's folder name for a cwd: every non-alphanumeric character becomes `-`. */
export const encodeProject = (cwd) => cwd.replace(/[^a-zA-Z0-9]/g, '-');

/** Offset of `timeZone` from UTC at `ms` (east positive), via Intl. */
function zoneOffset(ms, timeZone) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(
    f
      .formatToParts(new Date(ms))
      .filter((x) => x.type !== 'literal')
      .map((x) => [x.type, Number(x.value)]),
  );
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight starts `dayIndex` days after `from` (a UTC date), in `timeZone`. */
function localMidnight(dayIndex, timeZone, from = EDGE_BASE) {
  const wall = from + dayIndex * DAY;
  let t = wall - zoneOffset(wall, timeZone);
  t = wall - zoneOffset(t, timeZone);
  return t;
}

/** Filler text for tool results and prompts: JSON-safe, no usage marker. */
const LOREM = (() => {
  const words =
    'const let function return import export from await async if else for while class interface type extends implements new this null undefined true false string number boolean'.split(
      ' ',
    );
  const r = rng(7);
  let s = '';
  while (s.length < 4 << 20) s += `${r.pick(words)}${r.chance(0.08) ? '\\n' : ' '}`;
  return s;
})();

function filler(r, bytes) {
  if (bytes <= 0) return '';
  const start = r.int(0, LOREM.length - bytes - 2);
  let s = LOREM.slice(start, start + bytes);
  // Never end inside an escape sequence.
  if (s.endsWith('\\')) s = s.slice(0, -1);
  return s;
}

/**
 * Writes the corpus. Options: out (the fake HOME), sizeMb (approximate total; the edge cases are
 * always written first), seed, tz (the zone whose midnights get lines on both sides), codex.
 * Returns { home, files, bytes, usageLines, cases, claudeConfigDir, codexHome }.
 */
export function generateCorpus({ out, sizeMb = 4, seed = 1, tz = 'America/St_Johns', codex = false, claude = true, codexFast = false }) {
  const r = rng(seed);
  const home = out;
  const roots = {
    dotClaude: join(home, '.claude', 'projects'),
    xdg: join(home, '.config', 'claude', 'projects'),
    extra: join(home, 'work-claude', 'projects'),
  };
  // What CLAUDE_CONFIG_DIR must hold to read all three roots (the extra one is only read then).
  const claudeConfigDir = `${join(home, '.claude')}, ${join(home, '.config', 'claude')} ,${join(home, 'work-claude')}`;
  const target = sizeMb * 1024 * 1024;
  const stats = {
    home,
    files: 0,
    bytes: 0,
    usageLines: 0,
    cases: {},
    claudeConfigDir,
    codexHome: codex ? join(home, '.codex') : undefined,
  };
  const note = (c, n = 1) => {
    stats.cases[c] = (stats.cases[c] ?? 0) + n;
  };

  class Writer {
    constructor(file) {
      mkdirSync(join(file, '..'), { recursive: true });
      this.fd = openSync(file, 'w');
      this.parts = [];
      this.size = 0;
      stats.files++;
    }
    line(s) {
      this.raw(`${s}\n`);
    }
    raw(s) {
      this.parts.push(s);
      this.size += s.length;
      if (this.size > 1 << 20) this.flush();
    }
    flush() {
      if (!this.parts.length) return;
      const buf = Buffer.from(this.parts.join(''), 'utf8');
      writeSync(this.fd, buf);
      stats.bytes += buf.length;
      this.parts = [];
      this.size = 0;
    }
    close() {
      this.flush();
      closeSync(this.fd);
    }
  }

  const usageOf = (o) => {
    const u = { input_tokens: o.input, cache_creation_input_tokens: o.cacheWrite, cache_read_input_tokens: o.cacheRead };
    if (o.cacheWrite1h !== undefined)
      u.cache_creation = { ephemeral_5m_input_tokens: o.cacheWrite - o.cacheWrite1h, ephemeral_1h_input_tokens: o.cacheWrite1h };
    u.output_tokens = o.output;
    u.service_tier = 'standard';
    if (o.speed) u.speed = o.speed;
    return u;
  };

  /** One assistant line; `o` holds ids, tokens, model, time, cwd, session and flags. */
  const assistant = (o) => {
    stats.usageLines++;
    const line = {
      parentUuid: uuid(r),
      isSidechain: !!o.sidechain,
      userType: 'external',
      cwd: o.cwd,
      sessionId: o.session,
      version: o.version ?? '2.0.31',
      gitBranch: 'main',
      ...(o.agentId ? { agentId: o.agentId } : {}),
      type: 'assistant',
      uuid: uuid(r),
      timestamp: new Date(o.at).toISOString(),
      ...(o.requestId ? { requestId: o.requestId } : {}),
      ...(o.costUSD !== undefined ? { costUSD: o.costUSD } : {}),
      message: {
        id: o.id,
        type: 'message',
        role: 'assistant',
        model: o.model,
        content: o.content ?? [{ type: 'text', text: filler(r, o.textBytes ?? 200) }],
        stop_reason: o.stop ?? 'end_turn',
        stop_sequence: null,
        usage: usageOf(o),
      },
    };
    if (o.id === undefined) delete line.message.id;
    return JSON.stringify(line);
  };
  /**
   * A parent transcript's `progress` line (Claude Code 2.1) carrying a running subagent's reply:
   * the whole assistant record nested in `data.message`, no top-level usage.
   */
  const progress = (o) => {
    stats.usageLines++;
    const nested = JSON.parse(assistant({ ...o, sidechain: false }));
    for (const k of ['parentUuid', 'isSidechain', 'userType', 'cwd', 'sessionId', 'version', 'gitBranch', 'agentId']) delete nested[k];
    stats.usageLines--; // counted once above, not again for the nested copy
    return JSON.stringify({
      parentUuid: uuid(r),
      isSidechain: false,
      userType: 'external',
      cwd: o.cwd,
      sessionId: o.session,
      version: '2.1.81',
      type: 'progress',
      data: { message: nested, type: 'agent_progress', prompt: '', agentId: o.agentId ?? 'a11ce' },
      toolUseID: `agent_msg_${r.hex(20)}`,
      parentToolUseID: `toolu_${r.hex(24)}`,
      uuid: uuid(r),
      timestamp: new Date(o.at).toISOString(),
    });
  };
  const userLine = (o, text) =>
    JSON.stringify({
      parentUuid: uuid(r),
      isSidechain: !!o.sidechain,
      userType: 'external',
      cwd: o.cwd,
      sessionId: o.session,
      version: '2.0.31',
      gitBranch: 'main',
      type: 'user',
      message: { role: 'user', content: text },
      uuid: uuid(r),
      timestamp: new Date(o.at).toISOString(),
    });
  const toolResult = (o, bytes) =>
    JSON.stringify({
      parentUuid: uuid(r),
      isSidechain: !!o.sidechain,
      userType: 'external',
      cwd: o.cwd,
      sessionId: o.session,
      version: '2.0.31',
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: `toolu_${r.hex(24)}`, type: 'tool_result', content: filler(r, bytes) }] },
      uuid: uuid(r),
      timestamp: new Date(o.at).toISOString(),
      toolUseResult: { stdout: '', stderr: '', interrupted: false },
    });

  const tokens = (model, big = false) => {
    const t = {
      input: r.chance(0.7) ? r.int(1, 40) : r.int(100, 30_000),
      output: r.int(1, 4000),
      cacheWrite: r.chance(0.5) ? r.int(0, 40_000) : 0,
      cacheRead: r.chance(0.85) ? r.int(1000, 150_000) : 0,
    };
    if (big) {
      // Above 200k: tiered models price each kind's tokens past 200,000 at the higher rate.
      t.input = r.int(200_001, 320_000);
      t.cacheRead = r.int(150_000, 450_000);
      t.cacheWrite = r.int(0, 260_000);
    }
    if (r.chance(0.3)) t.cacheWrite1h = r.int(0, t.cacheWrite);
    else if (r.chance(0.5)) t.cacheWrite1h = 0; // cache_creation present, only 5-minute writes
    return { ...t, model };
  };

  /** A main session transcript with its subagents; returns nothing, writes files. */
  const session = (root, opts = {}) => {
    const cwd = opts.cwd ?? r.pick(CWDS);
    const sessionId = opts.sessionId ?? uuid(r);
    const dir = join(root, encodeProject(cwd));
    const w = new Writer(join(dir, `${sessionId}.jsonl`));
    let at = opts.start ?? SPAN_START + r.int(0, SPAN_DAYS - 2) * DAY + r.int(0, DAY - 1);
    const base = { cwd, session: sessionId };
    const turns = opts.turns ?? r.int(5, 60);
    const emitted = []; // messages a subagent may replay
    for (let turn = 0; turn < turns; turn++) {
      at += r.int(2_000, 600_000);
      w.line(userLine({ ...base, at }, filler(r, r.int(20, 400))));
      const steps = r.int(1, 4);
      for (let s = 0; s < steps; s++) {
        at += r.int(1_000, 60_000);
        const model = opts.model ?? r.pick(MODELS);
        const big = TIERED_MODELS.includes(model) && r.chance(0.03);
        if (big) note('above-200k');
        const t = tokens(model, big);
        const id = `msg_01${r.hex(22)}`;
        const requestId = `req_011C${r.hex(18)}`;
        const costUSD = opts.costUSD || r.chance(0.04) ? Number((r.next() * 0.5).toFixed(6)) : undefined;
        if (costUSD !== undefined) note('costUSD');
        const copies = r.chance(0.6) ? r.int(2, 4) : 1;
        if (copies > 1) note('streamed-copies');
        for (let c = 1; c <= copies; c++) {
          // Streamed content blocks: each copy repeats the usage, output growing to the final count.
          const output = c === copies ? t.output : Math.max(1, Math.floor((t.output * c) / copies) - r.int(0, 3));
          w.line(assistant({ ...base, ...t, output, id, requestId, at: at + c * 150, costUSD, stop: c === copies ? 'tool_use' : null }));
        }
        emitted.push({ ...t, id, requestId, at: at + copies * 150, costUSD });
        if (r.chance(0.7)) {
          const bytes = r.chance(0.004) ? r.int(1 << 20, 3 << 20) : Math.floor(Math.exp(r.next() * 9) + 100);
          if (bytes > 1 << 20) note('huge-non-usage-line');
          w.line(toolResult({ ...base, at: at + 2000 }, bytes));
        }
      }
      if (stats.bytes + w.size > target && !opts.turns) break;
    }
    // Subagents: their own requests plus replays of the parent's messages.
    const agents = opts.agents ?? (r.chance(0.35) ? r.int(1, 2) : 0);
    for (let a = 0; a < agents; a++) {
      const agentId = r.hex(8);
      const sw = new Writer(join(dir, sessionId, 'subagents', `agent-${agentId}.jsonl`));
      const sb = { ...base, sidechain: true, agentId };
      let sat = at - r.int(10_000, 100_000);
      sw.line(userLine({ ...sb, at: sat }, filler(r, 300)));
      for (let k = r.int(2, 12); k > 0; k--) {
        sat += r.int(1000, 20_000);
        const t = tokens(r.pick(['claude-haiku-4-5-20251001', 'claude-sonnet-4-5-20250929']));
        const id = `msg_01${r.hex(22)}`;
        sw.line(assistant({ ...sb, ...t, id, requestId: `req_011C${r.hex(18)}`, at: sat }));
        note('subagent-request');
      }
      for (const m of emitted.filter(() => r.chance(0.15))) {
        // A sidechain replay: the same message (same or another requestId); it counts once.
        const sameRequest = r.chance(0.5);
        note(sameRequest ? 'sidechain-replay-same-request' : 'sidechain-replay-other-request');
        sw.line(assistant({ ...sb, ...m, requestId: sameRequest ? m.requestId : `req_011C${r.hex(18)}` }));
      }
      sw.close();
    }
    w.close();
    return { sessionId, cwd, dir };
  };

  // ---- The edge cases, each on its own local day(s) and in its own session files, so a
  // per-day comparison is a per-case comparison. `truth` is what must be counted, by
  // construction; `days` are the local days (in `tz`) the case's requests fall on. ----
  const cases = [];
  let caseIndex = 0;
  if (!claude) {
    if (codex) writeCodex(join(home, '.codex'), r, stats, note, codexFast);
    stats.edgeCases = cases;
    return stats;
  }
  const caseDay = () => localMidnight(EDGE_FIRST_DAY + 4 * caseIndex++, tz) + 12 * 3600_000;
  const dayOf = (ms) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
  /**
   * Declares a case: `files` maps [root, relative path] to lines; `counted` are the option
   * objects of the requests that must count once each.
   */
  const edgeCase = (name, files, counted, extra = {}) => {
    for (const [root, rel, lines] of files) {
      const w = new Writer(join(root, rel));
      for (const l of lines) {
        if (typeof l === 'object' && l.raw !== undefined) w.raw(l.raw);
        else w.line(l);
      }
      w.close();
    }
    const truth = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
    for (const c of counted) {
      truth.inputTokens += c.input;
      truth.outputTokens += c.output;
      truth.cacheCreationTokens += c.cacheWrite;
      truth.cacheReadTokens += c.cacheRead;
    }
    const days = [...new Set(counted.map((c) => dayOf(c.at)))].sort();
    cases.push({ name, days, truth, ...extra });
    note(name);
  };
  const edgeCwd = '/home/me/edge';
  const proj = encodeProject(edgeCwd);
  const req = (name, extra = {}) => {
    const o = {
      cwd: edgeCwd,
      session: name,
      input: 100,
      output: 50,
      cacheWrite: 1000,
      cacheRead: 5000,
      model: 'claude-sonnet-4-5-20250929',
      ...extra,
    };
    return o;
  };
  const A = (o) => assistant(o);
  const main = (name) => [roots.dotClaude, join(proj, `${name}.jsonl`)];
  const sub = (name, agent = 'a11ce') => [roots.dotClaude, join(proj, name, 'subagents', `agent-${agent}.jsonl`)];
  const sc = { sidechain: true, agentId: 'a11ce' };

  {
    const name = 'streamed-copies';
    const at = caseDay();
    const final = req(name, { id: 'msg_e_stream', requestId: 'req_e_stream', output: 900, at: at + 300 });
    edgeCase(
      name,
      [
        [
          ...main(name),
          [
            userLine({ ...final, at: at - 1000 }, 'go'),
            A({ ...final, output: 5, at }),
            A(final),
            A({ ...final, output: 300, at: at + 600 }),
            A(req(name, { id: 'msg_e_stream2', requestId: 'req_e_stream2', output: 7, at: at + 900 })),
            A(req(name, { id: 'msg_e_stream2', requestId: 'req_e_stream2', output: 7, at: at + 950 })),
          ],
        ],
      ],
      [final, req(name, { output: 7, at: at + 900 })],
    );
  }
  {
    const name = 'sidechain-replay-same-request';
    const at = caseDay();
    const m1 = req(name, { id: 'msg_e_scs', requestId: 'req_e_scs', at });
    const own = req(name, {
      ...sc,
      id: 'msg_e_scs_own',
      requestId: 'req_e_scs_own',
      model: 'claude-haiku-4-5-20251001',
      output: 73,
      at: at + 5000,
    });
    edgeCase(
      name,
      [
        [...main(name), [A(m1)]],
        [...sub(name), [A({ ...m1, ...sc, at: at + 4000 }), A(own)]],
      ],
      [m1, own],
    );
  }
  {
    const name = 'sidechain-replay-other-request';
    const at = caseDay();
    const m1 = req(name, { id: 'msg_e_sco', requestId: 'req_e_sco', at });
    edgeCase(
      name,
      [
        [...main(name), [A(m1)]],
        [...sub(name), [A({ ...m1, ...sc, requestId: 'req_e_sco_replay', output: 50, at: at + 4000 })]],
      ],
      [m1],
    );
  }
  {
    const name = 'sidechain-copy-larger-than-main';
    const at = caseDay();
    const m1 = req(name, { id: 'msg_e_scl', requestId: 'req_e_scl', output: 79, at });
    // The sidechain copy sorts first and is larger; the main-chain copy still wins.
    edgeCase(
      name,
      [
        [
          roots.dotClaude,
          join(proj, 'a-first', 'subagents', 'agent-big.jsonl'),
          [A({ ...m1, ...sc, session: 'a-first', output: 5000, at: at - 1000 })],
        ],
        [...main(name), [A(m1)]],
      ],
      [m1],
    );
  }
  {
    const name = 'same-id-two-requests';
    const at = caseDay();
    const a = req(name, { id: 'msg_e_two', requestId: 'req_e_two_a', output: 11, at });
    const b = req(name, { id: 'msg_e_two', requestId: 'req_e_two_b', output: 13, at: at + 1000 });
    edgeCase(name, [[...main(name), [A(a), A(b)]]], [a, b]);
  }
  {
    const name = 'missing-requestId';
    const at = caseDay();
    // Without a requestId, copies written at the same instant are one; at another instant, another.
    const a = req(name, { id: 'msg_e_noreq', output: 17, at });
    const b = req(name, { id: 'msg_e_noreq', output: 19, at: at + 1000 });
    edgeCase(name, [[...main(name), [A(a), A(a), A(b)]]], [a, b]);
  }
  {
    const name = 'missing-message-id';
    const at = caseDay();
    const a = req(name, { requestId: 'req_e_noid', output: 23, at });
    edgeCase(name, [[...main(name), [A(a), A(a)]]], [a, a]);
  }
  {
    const name = 'costUSD';
    const at = caseDay();
    const a = req(name, { id: 'msg_e_cost', requestId: 'req_e_cost', costUSD: 0.123456, at });
    const b = req(name, { id: 'msg_e_nocost', requestId: 'req_e_nocost', at: at + 1000 });
    const c = req(name, {
      id: 'msg_e_cost_opus',
      requestId: 'req_e_cost_opus',
      model: 'claude-opus-4-5-20251101',
      costUSD: 1.5,
      version: '1.0.3',
      at: at + 2000,
    });
    edgeCase(name, [[...main(name), [A(a), A(b), A(c)]]], [a, b, c], { costUSD: 0.123456 + 1.5 });
  }
  {
    const name = 'unknown-model';
    const at = caseDay();
    const a = req(name, { id: 'msg_e_unknown', requestId: 'req_e_unknown', model: UNKNOWN_MODEL, output: 29, at });
    const b = req(name, { id: 'msg_e_known', requestId: 'req_e_known', at: at + 1000 });
    edgeCase(name, [[...main(name), [A(a), A(b)]]], [a, b], { unpricedModel: UNKNOWN_MODEL });
  }
  {
    const name = 'synthetic-model';
    const at = caseDay();
    const real = req(name, { id: 'msg_e_real', requestId: 'req_e_real', at: at + 2000 });
    edgeCase(
      name,
      [
        [
          ...main(name),
          [
            A(
              req(name, {
                id: 'msg_e_synth',
                requestId: 'req_e_synth',
                model: SYNTHETIC,
                input: 0,
                output: 0,
                cacheWrite: 0,
                cacheRead: 0,
                at,
              }),
            ),
            A(
              req(name, {
                id: 'msg_e_synth2',
                requestId: 'req_e_synth2',
                model: SYNTHETIC,
                input: 3,
                output: 5,
                cacheWrite: 0,
                cacheRead: 0,
                at: at + 500,
              }),
            ),
            JSON.stringify({
              ...JSON.parse(
                A(
                  req(name, {
                    id: 'msg_e_err',
                    requestId: 'req_e_err',
                    model: SYNTHETIC,
                    input: 0,
                    output: 0,
                    cacheWrite: 0,
                    cacheRead: 0,
                    at: at + 1000,
                  }),
                ),
              ),
              isApiErrorMessage: true,
            }),
            A(real),
          ],
        ],
      ],
      [real, { input: 3, output: 5, cacheWrite: 0, cacheRead: 0, at: at + 500 }],
    );
  }
  {
    const name = 'opus-4-vs-opus-4-5';
    const at = caseDay();
    const list = ['claude-opus-4-20250514', 'claude-opus-4-5-20251101', 'claude-opus-4-1-20250805'].map((model, i) =>
      req(name, { id: `msg_e_opus${i}`, requestId: `req_e_opus${i}`, model, at: at + i * 1000 }),
    );
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    const name = 'several-models';
    const at = caseDay();
    const list = ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-20250514', 'claude-opus-4-5-20251101'].map(
      (model, i) => req(name, { id: `msg_e_models${i}`, requestId: `req_e_models${i}`, model, output: 100 + i, at: at + i * 1000 }),
    );
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    const name = '1h-cache-write';
    const at = caseDay();
    const list = [
      req(name, { id: 'msg_e_1h', requestId: 'req_e_1h', cacheWrite: 9000, cacheWrite1h: 6000, at }),
      req(name, {
        id: 'msg_e_1h_opus',
        requestId: 'req_e_1h_opus',
        model: 'claude-opus-4-5-20251101',
        cacheWrite: 9000,
        cacheWrite1h: 9000,
        at: at + 1000,
      }),
      req(name, {
        id: 'msg_e_5m_only',
        requestId: 'req_e_5m_only',
        model: 'claude-haiku-4-5-20251001',
        cacheWrite: 9000,
        cacheWrite1h: 0,
        at: at + 2000,
      }),
    ];
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    const name = 'above-200k';
    const at = caseDay();
    const list = [
      req(name, { id: 'msg_e_big', requestId: 'req_e_big', input: 250_000, output: 210_000, cacheWrite: 230_000, cacheRead: 400_000, at }),
      req(name, {
        id: 'msg_e_big1h',
        requestId: 'req_e_big1h',
        input: 3,
        output: 5,
        cacheWrite: 300_000,
        cacheWrite1h: 260_000,
        cacheRead: 0,
        at: at + 1000,
      }),
      req(name, {
        id: 'msg_e_big4',
        requestId: 'req_e_big4',
        model: 'claude-sonnet-4-20250514',
        input: 201_000,
        output: 5,
        cacheWrite: 0,
        cacheRead: 199_999,
        at: at + 2000,
      }),
      req(name, {
        id: 'msg_e_big_opus',
        requestId: 'req_e_big_opus',
        model: 'claude-opus-4-5-20251101',
        input: 300_000,
        output: 1000,
        cacheWrite: 0,
        cacheRead: 0,
        at: at + 3000,
      }),
    ];
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    const name = 'malformed-lines';
    const at = caseDay();
    const ok = req(name, { id: 'msg_e_ok', requestId: 'req_e_ok', at });
    edgeCase(
      name,
      [
        [
          ...main(name),
          [
            '{"type":"assistant","message":{"usage":{"input_tokens": 12, CORRUPT',
            `{"type":"assistant","timestamp":"not a date","message":{"id":"msg_e_baddate","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1,"output_tokens":1}},"requestId":"req_e_baddate"}`,
            '\u0000\u0000\u0000 "usage":{ binary junk',
            '',
            A(ok),
          ],
        ],
      ],
      [ok],
    );
  }
  {
    const name = 'truncated-last-line';
    const at = caseDay();
    const ok = req(name, { id: 'msg_e_before_cut', requestId: 'req_e_before_cut', at });
    // The agent is still writing the last line: no newline yet.
    edgeCase(
      name,
      [
        [
          ...main(name),
          [A(ok), { raw: A(req(name, { id: 'msg_e_cut', requestId: 'req_e_cut', output: 53, at: at + 1000 })).slice(0, 150) }],
        ],
      ],
      [ok],
    );
  }
  {
    const name = 'huge-non-usage-line';
    const at = caseDay();
    const ok = req(name, { id: 'msg_e_after_huge', requestId: 'req_e_after_huge', at: at + 2000 });
    const base = { cwd: edgeCwd, session: name, at };
    // A pasted log that mentions "usage":{ inside a multi-megabyte tool result, across read chunks.
    edgeCase(
      name,
      [
        [
          ...main(name),
          [
            toolResult(base, 2_500_000),
            userLine(base, `${filler(r, 1_500_000)} "usage":{"input_tokens":999999,"output_tokens":999999} ${filler(r, 800_000)}`),
            A(ok),
          ],
        ],
      ],
      [ok],
    );
  }
  {
    // Lines either side of local midnight (and of UTC midnight) in the chosen zone.
    const name = 'local-midnight';
    caseIndex++;
    const midnight = localMidnight(EDGE_FIRST_DAY + 4 * (caseIndex - 1) + 1, tz);
    const list = [
      req(name, { id: 'msg_e_bm', requestId: 'req_e_bm', at: midnight - 1, output: 31 }),
      req(name, { id: 'msg_e_am', requestId: 'req_e_am', at: midnight, output: 37 }),
    ];
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    const name = 'utc-midnight';
    const utc = EDGE_BASE + (EDGE_FIRST_DAY + 4 * caseIndex++ + 1) * DAY;
    const list = [
      req(name, { id: 'msg_e_ub', requestId: 'req_e_ub', at: utc - 1, output: 41 }),
      req(name, { id: 'msg_e_ua', requestId: 'req_e_ua', at: utc, output: 43 }),
    ];
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    // North America leaves DST on 2026-11-01; local midnight of Nov 1 and 2 in the zone.
    const name = 'dst-change';
    const list = [DST_DAY, DST_DAY + 1].flatMap((d, i) => {
      const mid = localMidnight(d, tz, Date.UTC(2026, 9, 1));
      return [
        req(name, { id: `msg_e_dst_b${i}`, requestId: `req_e_dst_b${i}`, at: mid - 1, output: 47 }),
        req(name, { id: `msg_e_dst_a${i}`, requestId: `req_e_dst_a${i}`, at: mid, output: 49 }),
      ];
    });
    edgeCase(name, [[...main(name), list.map(A)]], list);
  }
  {
    const name = 'same-message-in-both-roots';
    const at = caseDay();
    const list = [
      req(name, { id: 'msg_e_both', requestId: 'req_e_both', output: 59, at }),
      req(name, { id: 'msg_e_both2', requestId: 'req_e_both2', output: 61, at: at + 5000 }),
    ];
    edgeCase(
      name,
      [
        [...main(name), list.map(A)],
        [roots.xdg, join(proj, `${name}.jsonl`), list.map(A)],
      ],
      list,
    );
  }
  {
    const name = 'xdg-root-only';
    const at = caseDay();
    const a = req(name, { id: 'msg_e_xdg', requestId: 'req_e_xdg', output: 67, cwd: '/home/me/xdg-only', at });
    edgeCase(name, [[roots.xdg, join(encodeProject('/home/me/xdg-only'), `${name}.jsonl`), [A(a)]]], [a]);
  }
  {
    const name = 'claude-config-dir-only';
    const at = caseDay();
    const a = req(name, { id: 'msg_e_extra', requestId: 'req_e_extra', output: 71, cwd: '/home/me/extra', at });
    edgeCase(name, [[roots.extra, join(encodeProject('/home/me/extra'), `${name}.jsonl`), [A(a)]]], [a], { onlyWithClaudeConfigDir: true });
  }
  {
    // The subagent's reply is in the parent's progress line and in its own file: it counts once.
    const name = 'progress-line-with-subagent-file';
    const at = caseDay();
    const m = req(name, { id: 'msg_e_prog', requestId: 'req_e_prog', model: 'claude-haiku-4-5-20251001', output: 83, at });
    edgeCase(
      name,
      [
        [...main(name), [userLine({ ...m, at: at - 1000 }, 'go'), progress({ ...m, output: 1 }), progress(m)]],
        [...sub(name), [A({ ...m, ...sc })]],
      ],
      [m],
    );
  }
  {
    // Older Claude Code wrote no subagent file: the progress lines are the only record (streamed twice).
    const name = 'progress-line-without-subagent-file';
    const at = caseDay();
    const m = req(name, { id: 'msg_e_prog2', requestId: 'req_e_prog2', model: 'claude-sonnet-4-6', output: 89, at });
    const n = req(name, { id: 'msg_e_prog3', requestId: 'req_e_prog3', model: 'claude-sonnet-4-6', output: 97, at: at + 4000 });
    edgeCase(
      name,
      [[...main(name), [userLine({ ...m, at: at - 1000 }, 'go'), progress({ ...m, output: 3 }), progress(m), progress(n)]]],
      [m, n],
    );
  }
  {
    // Fast mode on every model ccusage has a multiplier for, beside a normal request.
    const name = 'fast-mode';
    const at = caseDay();
    const list = ['claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-4-5-20250929'].map((model, i) =>
      req(name, { id: `msg_e_fast${i}`, requestId: `req_e_fast${i}`, model, speed: 'fast', output: 101 + i, at: at + i * 1000 }),
    );
    list.push(req(name, { id: 'msg_e_fastN', requestId: 'req_e_fastN', model: 'claude-opus-4-8', output: 109, at: at + 9000 }));
    // A standard copy of the Opus 4.8 request before its fast copy, same tokens: the costlier
    // (fast) copy is the one kept, as ccusage keeps it.
    edgeCase(name, [[...main(name), [A({ ...list[2], speed: undefined }), ...list.map(A)]]], list);
  }
  {
    // A field that is JSON null where ccusage's schema wants a value (speed, costUSD, a cache
    // count, requestId, cwd): ccusage drops the whole line, and so do we. One normal request counts.
    const name = 'null-fields';
    const at = caseDay();
    const ok = req(name, { id: 'msg_e_null_ok', requestId: 'req_e_null_ok', output: 127, at });
    const nulled = (i, patch) => {
      const line = JSON.parse(
        A(req(name, { id: `msg_e_null${i}`, requestId: `req_e_null${i}`, output: 131 + i, at: at + 1000 * (i + 1) })),
      );
      patch(line);
      return JSON.stringify(line);
    };
    edgeCase(
      name,
      [
        [
          ...main(name),
          [
            A(ok),
            nulled(0, (l) => {
              l.message.usage.speed = null;
            }),
            nulled(1, (l) => {
              l.costUSD = null;
            }),
            nulled(2, (l) => {
              l.message.usage.cache_creation_input_tokens = null;
            }),
            nulled(3, (l) => {
              l.requestId = null;
            }),
            nulled(4, (l) => {
              l.cwd = null;
            }),
          ],
        ],
      ],
      [ok],
    );
  }
  {
    // LiteLLM lists this model only under provider-prefixed keys (Bedrock's); ccusage prices it.
    const name = 'provider-prefixed-only';
    const at = caseDay();
    const a = req(name, { id: 'msg_e_haiku35', requestId: 'req_e_haiku35', model: 'claude-3-5-haiku-20241022', output: 113, at });
    edgeCase(name, [[...main(name), [A(a)]]], [a]);
  }
  stats.edgeCases = cases;

  // ---- Bulk: realistic sessions until the size target. ----
  const rootList = [roots.dotClaude, roots.dotClaude, roots.dotClaude, roots.xdg];
  while (stats.bytes < target) session(r.pick(rootList));

  if (codex) writeCodex(join(home, '.codex'), r, stats, note, codexFast);
  return stats;
}

/**
 * Codex CLI rollouts: session_meta (cwd), turn_context (model), token_count events with
 * total_token_usage and last_token_usage; one archived session; one event without `last`.
 */
function writeCodex(codexHome, r, stats, note, fast = false) {
  // A fast (priority) service tier set in config.toml: every request at the model's fast multiplier.
  if (fast) {
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(join(codexHome, 'config.toml'), 'model = "gpt-5.4"\n\n[profiles.quick]\nservice_tier = "priority"\n');
    note('codex-fast-tier');
  }
  const write = (file, lines) => {
    mkdirSync(join(file, '..'), { recursive: true });
    const fd = openSync(file, 'w');
    const buf = Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    writeSync(fd, buf);
    closeSync(fd);
    stats.files++;
    stats.bytes += buf.length;
  };
  for (let s = 0; s < 6; s++) {
    const start = SPAN_START + r.int(0, SPAN_DAYS - 2) * DAY + r.int(0, DAY - 1);
    const d = new Date(start);
    const id = uuid(r);
    const cwd = r.pick(CWDS);
    const archived = s === 5;
    const dir = archived
      ? join(codexHome, 'archived_sessions')
      : join(
          codexHome,
          'sessions',
          String(d.getUTCFullYear()),
          String(d.getUTCMonth() + 1).padStart(2, '0'),
          String(d.getUTCDate()).padStart(2, '0'),
        );
    const lines = [
      {
        timestamp: d.toISOString(),
        type: 'session_meta',
        payload: { id, timestamp: d.toISOString(), cwd, originator: 'codex_cli_rs', cli_version: '0.46.0', instructions: null },
      },
    ];
    // Codex 0.144+ records the tier in the rollout; it wins over config.toml (either way).
    if (s === 1 || s === 2) {
      lines.push({
        timestamp: d.toISOString(),
        type: 'event_msg',
        payload: { type: 'thread_settings_applied', thread_settings: { service_tier: s === 1 ? 'priority' : 'default' } },
      });
      note(s === 1 ? 'codex-recorded-priority' : 'codex-recorded-default');
    }
    let at = start;
    const total = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 };
    for (let t = 0; t < r.int(3, 12); t++) {
      at += r.int(5_000, 300_000);
      const model = r.pick(['gpt-5-codex', 'gpt-5', 'gpt-5.1-codex', 'o4-mini-deep-thought', 'gpt-5.4', 'gpt-5.5']);
      lines.push({
        timestamp: new Date(at).toISOString(),
        type: 'turn_context',
        payload: { cwd, approval_policy: 'on-request', model, effort: 'medium', summary: 'auto' },
      });
      lines.push({
        timestamp: new Date(at).toISOString(),
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: filler(r, 300) }] },
      });
      for (let k = r.int(1, 3); k > 0; k--) {
        at += r.int(1000, 30_000);
        const input = r.int(2000, 60_000);
        const last = {
          input_tokens: input,
          cached_input_tokens: r.int(0, input),
          output_tokens: r.int(10, 3000),
          reasoning_output_tokens: 0,
          total_tokens: 0,
        };
        // Newer rollouts also count cache writes, a part of input beside the cached part.
        if (s === 3) {
          last.cache_write_input_tokens = r.int(0, last.input_tokens - last.cached_input_tokens);
          note('codex-cache-write');
        }
        last.reasoning_output_tokens = r.int(0, last.output_tokens);
        last.total_tokens = last.input_tokens + last.output_tokens;
        for (const key of Object.keys(total)) total[key] += last[key];
        const noLast = r.chance(0.1);
        if (noLast) note('codex-no-last-usage');
        lines.push({
          timestamp: new Date(at).toISOString(),
          type: 'event_msg',
          payload: {
            type: 'token_count',
            info: { total_token_usage: { ...total }, ...(noLast ? {} : { last_token_usage: last }), model_context_window: 272000 },
          },
        });
        note('codex-token-count');
      }
      // A repeated token_count with unchanged totals (Codex re-emits on rate-limit updates).
      lines.push({
        timestamp: new Date(at + 10).toISOString(),
        type: 'event_msg',
        payload: { type: 'token_count', info: null, rate_limits: { primary: { used_percent: 3 } } },
      });
    }
    write(join(dir, `rollout-${d.toISOString().slice(0, 19).replace(/:/g, '-')}-${id}.jsonl`), lines);
    if (archived) note('codex-archived');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (flag, dflt) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const out = get('--out');
  if (!out) {
    console.error('usage: node bench/corpus.mjs --out DIR [--size-mb N] [--seed S] [--tz ZONE] [--codex | --codex-only] [--codex-fast]');
    process.exit(2);
  }
  const started = Date.now();
  const s = generateCorpus({
    out,
    sizeMb: Number(get('--size-mb', '4')),
    seed: Number(get('--seed', '1')),
    tz: get('--tz', 'America/St_Johns'),
    codex: args.includes('--codex') || args.includes('--codex-only'),
    claude: !args.includes('--codex-only'),
    codexFast: args.includes('--codex-fast'),
  });
  console.log(JSON.stringify({ ...s, ms: Date.now() - started }, null, 2));
}
