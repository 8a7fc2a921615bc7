import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { UsageEngine, type Role } from '../../src/core/engine';
import type { UsageRecord } from '../../src/core/model';
import { sessionReport } from '../../src/core/query';
import { PriceTable } from '../../src/core/pricing/pricing';
import { apiKeyMatches, generateApiKey, loadOrCreateKeyFile } from '../../src/core/server/apiKey';
import { readDiscovery } from '../../src/core/server/discovery';
import { labelValue } from '../../src/core/server/metrics';
import { heartbeatFromBody } from '../../src/core/server/validate';
import { UsageServer, type RateLimit } from '../../src/core/server/server';
import { ServerSupervisor } from '../../src/core/server/supervisor';
import { tempDir } from './helpers';

const KEY = 'test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const prices = new PriceTable();
const SONNET = 'claude-sonnet-4-5-20250929';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

interface Harness {
  engine: UsageEngine;
  server: UsageServer;
  dir: string;
  call(
    method: string,
    p: string,
    o?: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; key?: string | null },
  ): Promise<Reply>;
  close(): Promise<void>;
}

async function harness(
  o: { rateLimit?: RateLimit; budget?: { daily?: number; monthly?: number }; gatewayIdleMs?: number } = {},
): Promise<Harness> {
  const dir = tempDir('tcd-server-');
  const engine = await UsageEngine.open({
    dbFile: path.join(dir, 'usage.sqlite'),
    roots: () => [],
    prices: () => prices,
    costMode: () => 'auto',
  });
  const server = await UsageServer.start({
    engine,
    apiKey: KEY,
    port: 0,
    prices: () => prices,
    timeZone: () => 'UTC',
    rateLimit: o.rateLimit,
    budget: () => o.budget ?? {},
    gatewayIdleMs: o.gatewayIdleMs,
  });
  const agent = new http.Agent({ keepAlive: true });
  const call: Harness['call'] = (method, p, opts = {}) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...(opts.key === null ? {} : { 'x-api-key': opts.key ?? KEY }) };
      let payload: Buffer | undefined;
      if (opts.raw !== undefined) payload = Buffer.from(opts.raw);
      else if (opts.body !== undefined) payload = Buffer.from(JSON.stringify(opts.body));
      if (payload) headers['content-type'] = 'application/json';
      Object.assign(headers, opts.headers);
      const req = http.request({ host: '127.0.0.1', port: server.port, method, path: p, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    engine,
    server,
    dir,
    call,
    async close() {
      agent.destroy();
      await server.close();
      await engine.close();
    },
  };
}

const heartbeat = (tokens: Record<string, unknown> = {}) => ({
  status: 'busy',
  tokens: { model: SONNET, input: 1500, output: 800, ...tokens },
});

describe('server: heartbeats and events are stored durably and idempotently', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(async () => h.close());

  it('stores a heartbeat, prices it, and shows it in /api/costs by agent and model', async () => {
    const r = await h.call('POST', '/api/agents/my-agent/heartbeat', { body: heartbeat({ requestId: 'req-1' }) });
    assert.equal(r.status, 200);
    const expected = prices.cost(
      SONNET,
      { inputTokens: 1500, outputTokens: 800, cacheWriteTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
      null,
      'auto',
    ).cost;
    assert.ok(expected > 0);
    assert.deepEqual(r.json, { ok: true, agent: 'my-agent', status: 'busy', accepted: 1, duplicate: 0, cost: expected });
    const costs = (await h.call('GET', '/api/costs')).json;
    assert.equal(costs.today, expected);
    assert.equal(costs.thisMonth, expected);
    assert.deepEqual(
      costs.byAgent.map((a: any) => [a.agent, a.cost, a.tokens, a.percentOfTotal]),
      [['my-agent', expected, 2300, 100]],
    );
    assert.equal(costs.byModel[0].model, SONNET);
    assert.equal(costs.daily.length, 1);
    assert.match(costs.daily[0].date, /^\d{2}-\d{2}$/);
    assert.equal(costs.daily[0].input, 1500);
    assert.equal(costs.daily[0].output, 800);
    assert.match(costs.hourly[0].hour, /^\d{2}:00$/);
    for (const k of ['yesterday', 'lastMonth', 'projected', 'budget']) assert.ok(k in costs, k);
  });

  it('treats a retry with the same requestId as a duplicate, and keeps the reported cost', async () => {
    const body = heartbeat({ requestId: 'same', cost: 0.0115 });
    const first = await h.call('POST', '/api/agents/a1/heartbeat', { body });
    const retry = await h.call('POST', '/api/agents/a1/heartbeat', { body });
    assert.deepEqual([first.json.accepted, first.json.duplicate, first.json.cost], [1, 0, 0.0115]);
    assert.deepEqual([retry.json.accepted, retry.json.duplicate], [0, 1]);
    assert.equal(h.engine.store.recordCount(), 1);
    // The same request id from another agent is another request.
    assert.equal((await h.call('POST', '/api/agents/a2/heartbeat', { body })).json.accepted, 1);
  });

  it('refuses a retry with the same id and another body (409), keeping the stored record, for heartbeats, events and manual logs', async () => {
    const costOf = async () => (await h.call('GET', '/api/costs')).json.today;
    const first = await h.call('POST', '/api/agents/a1/heartbeat', { body: heartbeat({ requestId: 'r1' }) });
    assert.equal(first.json.accepted, 1);
    const before = await costOf();
    // The same id from the same agent with another model and a huge cost: a rewrite of history.
    const rewrite = await h.call('POST', '/api/agents/a1/heartbeat', {
      body: heartbeat({ requestId: 'r1', model: 'claude-opus-4-1', cost: 5000 }),
    });
    assert.equal(rewrite.status, 409);
    assert.equal(rewrite.json.error, 'conflict');
    assert.match(rewrite.json.detail, /r1.*model "claude-sonnet-4-5-20250929" was stored.*"claude-opus-4-1"/);
    // The retry of the original body, sent later (its time is the arrival time), is still a duplicate.
    const retry = await h.call('POST', '/api/agents/a1/heartbeat', { body: heartbeat({ requestId: 'r1' }) });
    assert.deepEqual([retry.status, retry.json.accepted, retry.json.duplicate], [200, 0, 1]);
    assert.equal(await costOf(), before, 'the stored record is kept');
    assert.deepEqual(
      h.engine.store.all('SELECT model, input FROM usage').map((r) => [r.model, r.input]),
      [[SONNET, 1500]],
    );

    const ev = (o: Record<string, unknown>) => ({
      type: 'event',
      event: 'token_usage',
      id: 'e1',
      timestamp: '2026-11-20T10:00:00Z',
      payload: { model: SONNET, sessionId: 's', inputTokens: 10, outputTokens: 5, ...o },
    });
    assert.equal((await h.call('POST', '/api/events', { body: ev({}) })).json.accepted, 1);
    assert.equal((await h.call('POST', '/api/events', { body: ev({}) })).json.duplicate, 1);
    const evConflict = await h.call('POST', '/api/events', { body: [{ ...ev({}), id: 'e2' }, ev({ inputTokens: 9999 })] });
    assert.equal(evConflict.status, 409, 'one conflicting event refuses its whole batch');
    assert.equal(h.engine.store.recordCount(), 2, 'nothing of the refused batch is stored');
    const sameBodyTwice = await h.call('POST', '/api/events', {
      body: [
        { ...ev({}), id: 'e3' },
        { ...ev({ outputTokens: 6 }), id: 'e3' },
      ],
    });
    assert.equal(sameBodyTwice.status, 409, 'one id with two bodies in one request');

    const manual = { project: 'p', task: 't', tokens: 100, requestId: 'm1' };
    assert.equal((await h.call('POST', '/api/usage', { body: manual })).json.accepted, 1);
    assert.deepEqual((await h.call('POST', '/api/usage', { body: manual })).json.duplicate, 1);
    assert.equal((await h.call('POST', '/api/usage', { body: { ...manual, tokens: 100000 } })).status, 409);
    assert.equal(h.engine.store.get("SELECT input FROM usage WHERE source = 'manual'")?.input, 100);
  });

  it('refuses a conflicting retry that arrives in the same instant as the original, and stores the first', async () => {
    const bodies = [heartbeat({ requestId: 'x', input: 1 }), heartbeat({ requestId: 'x', input: 2 })];
    const replies = await Promise.all(bodies.map((body) => h.call('POST', '/api/agents/race/heartbeat', { body })));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 409]);
    const storedInput = h.engine.store.get('SELECT input FROM usage')?.input;
    const winner = replies.findIndex((r) => r.status === 200);
    assert.equal(storedInput, winner === 0 ? 1 : 2);
    assert.equal(replies[winner].json.accepted, 1);
  });

  it('tells each of many concurrent requests exactly what it added, retries included', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `c${i % 40}`); // 20 retries among 60 requests
    const replies = await Promise.all(
      ids.map((id) => h.call('POST', '/api/agents/burst/heartbeat', { body: heartbeat({ requestId: id }) })),
    );
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(
      replies.reduce((s, r) => s + r.json.accepted, 0),
      40,
    );
    assert.equal(
      replies.reduce((s, r) => s + r.json.duplicate, 0),
      20,
    );
    assert.equal(h.engine.store.recordCount(), 40);
  });

  it('accepts a heartbeat without tokens as a status ping and stores nothing', async () => {
    const r = await h.call('POST', '/api/agents/idle-one/heartbeat', { body: { status: 'idle' } });
    assert.deepEqual(r.json, { ok: true, agent: 'idle-one', status: 'idle', accepted: 0, duplicate: 0, cost: 0 });
    assert.equal(h.engine.store.recordCount(), 0);
  });

  it('stores gateway token_usage events, one or many, ignores other events, dedups by id', async () => {
    const event = (id: string, o: Record<string, unknown> = {}) => ({
      type: 'event',
      event: 'token_usage',
      id,
      payload: {
        model: SONNET,
        sessionId: 'clawd-researcher-01',
        inputTokens: 1500,
        outputTokens: 800,
        totalTokens: 2300,
        cost: 0.0115,
        ...o,
      },
    });
    const one = await h.call('POST', '/api/events', { body: event('e1') });
    assert.deepEqual(one.json, { ok: true, accepted: 1, duplicate: 0, cost: 0.0115, ignored: 0 });
    const many = await h.call('POST', '/api/events', {
      body: [event('e1'), event('e2'), { type: 'event', event: 'agent_status', payload: {} }],
    });
    assert.deepEqual([many.json.accepted, many.json.duplicate, many.json.ignored], [1, 1, 1]);
    assert.equal(h.engine.store.recordCount(), 2);
    const twice = await h.call('POST', '/api/events', { body: [event('e3'), event('e3')] });
    assert.deepEqual([twice.json.accepted, twice.json.duplicate], [1, 1], 'one id twice in one body counts once, and says so');
    assert.equal(h.engine.store.recordCount(), 3);
    const stats = (await h.call('GET', '/api/tokens?action=stats&timeframe=day')).json;
    assert.equal(stats.summary.requestCount, 3);
    assert.equal(stats.sessions['clawd-researcher-01'].agent, 'clawd-researcher-01');
  });

  it('stores a manual log and lists it in /api/logs, /api/projects and /api/stats', async () => {
    const r = await h.call('POST', '/api/usage', { body: { project: 'calm-ai-pm', task: 'Add AGENTS.md', tokens: 3500 } });
    assert.equal(r.status, 200);
    assert.deepEqual([r.json.accepted, r.json.project, r.json.task, r.json.tokens], [1, 'calm-ai-pm', 'Add AGENTS.md', 3500]);
    await h.call('POST', '/api/usage', {
      body: { project: 'qa-automation', task: 'Fix flaky test', inputTokens: 2000, outputTokens: 800, model: SONNET },
    });
    const logs = (await h.call('GET', '/api/logs')).json;
    assert.equal(logs.length, 2);
    assert.deepEqual(Object.keys(logs[0]).slice(0, 7), ['datetime', 'date', 'time', 'project', 'task', 'tokens', 'cost']);
    assert.match(logs[0].datetime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.deepEqual([logs[0].project, logs[0].task, logs[0].tokens, logs[0].cost], ['calm-ai-pm', 'Add AGENTS.md', 3500, 0]);
    assert.ok(logs[1].cost > 0, 'a model prices the tokens');
    assert.deepEqual(new Set((await h.call('GET', '/api/projects')).json), new Set(['calm-ai-pm', 'qa-automation']));
    const stats = (await h.call('GET', '/api/stats?source=manual')).json;
    assert.equal(stats.totalTokens, 6300);
    assert.equal(stats.logs, 2);
    assert.deepEqual(stats.byProject['calm-ai-pm'], { tokens: 3500, cost: 0, count: 1 });
    assert.equal(stats.byTask['Fix flaky test'].count, 1);
    assert.equal(Object.keys(stats.byDate).length, 1);
  });

  it('serves /api/tokens stats, trends and CSV/JSON exports in the reference shapes', async () => {
    await h.call('POST', '/api/agents/x/heartbeat', { body: heartbeat({ requestId: 'r1' }) });
    const stats = (await h.call('GET', '/api/tokens?action=stats&timeframe=day')).json;
    assert.deepEqual(Object.keys(stats), ['summary', 'models', 'sessions', 'timeframe', 'recordCount']);
    assert.equal(stats.summary.totalTokens, 2300);
    assert.equal(stats.summary.avgTokensPerRequest, 2300);
    assert.deepEqual(Object.keys(stats.models[SONNET]).slice(0, 3), ['totalTokens', 'totalCost', 'requestCount']);
    const trends = (await h.call('GET', '/api/tokens?action=trends&timeframe=hour')).json;
    assert.equal(trends.timeframe, 'hour');
    assert.ok(trends.trends.length >= 30 && trends.trends.length <= 31, 'two-minute buckets over an hour');
    assert.equal(
      trends.trends.reduce((s: number, t: any) => s + t.tokens, 0),
      2300,
    );
    assert.equal((await h.call('GET', '/api/tokens?action=trends&timeframe=day')).json.trends.length, 24);
    assert.equal(
      (await h.call('GET', '/api/tokens?action=trends&timeframe=week')).json.trends.reduce((s: number, t: any) => s + t.requests, 0),
      1,
    );
    const csv = await h.call('GET', '/api/tokens?action=export&timeframe=week&format=csv');
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /filename="token-usage-week-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines.length, 2);
    // Seed 000's columns first: Timestamp, Model, Session ID, Input tokens, Output tokens, Total tokens, Cost.
    assert.match(lines[0], /^Timestamp,Model,Session ID,Input tokens,Output tokens,Total tokens,Cost,/);
    assert.match(lines[1], /^\d{4}-\d{2}-\d{2}T[\d:.]+Z,claude-sonnet-4-5-20250929,x,1500,800,2300,0\.0165,heartbeat,x,Anthropic,x,0,0$/);
    const json = (await h.call('GET', '/api/tokens?action=export&timeframe=month&format=json')).json;
    assert.equal(json.requests.length, 1);
    assert.equal(json.requests[0].agent, 'x');
    assert.equal((await h.call('GET', '/api/tokens?action=nope')).status, 400);
    assert.equal((await h.call('GET', '/api/tokens?timeframe=year')).status, 400);
  });

  it('serves /api/tokens-live with burn rate, active sessions, today and budget use', async () => {
    await h.close();
    h = await harness({ budget: { daily: 1 } });
    await h.call('POST', '/api/agents/nexus/heartbeat', { body: heartbeat({ cost: 0.25 }) });
    const live = (await h.call('GET', '/api/tokens-live')).json;
    assert.equal(live.success, true);
    assert.equal(live.live.todayTokens, 2300);
    assert.equal(live.live.todayCost, 0.25);
    assert.equal(live.live.activeSessions, 1);
    assert.equal(live.live.burnRate, Math.round(2300 / 15));
    assert.equal(live.live.budgetUsed, 25);
    assert.equal(live.live.budgetRemaining, 0.75);
    assert.deepEqual([live.agents[0].name, live.agents[0].status, live.agents[0].tasksCompleted], ['nexus', 'busy', 1]);
    assert.equal(live.historical.length, 7);
    assert.equal(live.alerts.approachingBudget, false);
  });

  it('answers /api/tokens-live with savings{} in the reference shape (seed 004)', async () => {
    // 2,300 tokens each: $0.25 on Sonnet, $0.05 on Haiku. On Haiku's rate both would cost $0.10.
    await h.call('POST', '/api/agents/nexus/heartbeat', { body: heartbeat({ cost: 0.25 }) });
    await h.call('POST', '/api/agents/forge/heartbeat', { body: heartbeat({ model: 'claude-haiku-4-5-20251001', cost: 0.05 }) });
    const { savings } = (await h.call('GET', '/api/tokens-live')).json;
    assert.deepEqual(Object.keys(savings), ['model', 'cron', 'heartbeat', 'aborted', 'total', 'basis']);
    const daily = 0.2 / 7; // over the last 7 days
    assert.equal(savings.model.model, 'claude-haiku-4-5-20251001');
    assert.ok(Math.abs(savings.model.savings - daily) < 1e-12, String(savings.model.savings));
    assert.equal(savings.model.percentage, 67);
    assert.deepEqual(
      [savings.cron, savings.heartbeat, savings.aborted],
      [null, null, null],
      'what transcripts cannot tell is not invented',
    );
    assert.deepEqual(Object.keys(savings.total), ['daily', 'monthly', 'yearly']);
    assert.ok(Math.abs(savings.total.daily - daily) < 1e-12);
    assert.ok(Math.abs(savings.total.monthly - daily * 30) < 1e-12);
    assert.ok(Math.abs(savings.total.yearly - daily * 365) < 1e-12);
  });

  it('answers GET /api/claude/sessions?active=1 with the Claude Code sessions active now (seed 000)', async () => {
    const now = Date.now();
    const claude = (key: string, session: string, at: number, o: Partial<UsageRecord> = {}): UsageRecord => ({
      dedupKey: key,
      timestamp: at,
      source: 'claude-code',
      model: SONNET,
      project: '/home/me/mission-control',
      sessionId: session,
      inputTokens: 1000,
      outputTokens: 500,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 2000,
      reportedCost: null,
      cost: 0.1,
      unpriced: false,
      isSidechain: false,
      ...o,
    });
    await h.engine.accept([
      claude('a1', 'sess-now', now - 10 * 60_000),
      claude('a2', 'sess-now', now - 60_000, { source: 'claude-code-subagent', model: 'claude-haiku-4-5-20251001', cost: 0.02 }),
      claude('b1', 'sess-earlier', now - 3 * 3600_000, { project: '/home/me/website', cost: 0.5 }),
    ]);
    await h.call('POST', '/api/agents/x/heartbeat', { body: heartbeat() }); // not a Claude Code session
    const r = await h.call('GET', '/api/claude/sessions?active=1');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['sessions']);
    assert.equal(r.json.sessions.length, 1);
    const s = r.json.sessions[0];
    assert.deepEqual(Object.keys(s).slice(0, 7), ['project', 'model', 'messageCount', 'totalTokens', 'cost', 'active', 'lastActivity']);
    assert.deepEqual(
      [s.project, s.model, s.messageCount, s.totalTokens, s.active, s.lastActivity],
      ['mission-control', SONNET, 2, 7000, true, now - 60_000],
    );
    assert.ok(Math.abs(s.cost - 0.12) < 1e-12, String(s.cost));
    assert.equal(s.sessionId, 'sess-now');
    const all = (await h.call('GET', '/api/claude/sessions')).json.sessions;
    assert.deepEqual(
      all.map((x: any) => [x.sessionId, x.project, x.active]),
      [
        ['sess-now', 'mission-control', true],
        ['sess-earlier', 'website', false],
      ],
    );
    assert.deepEqual(
      (await h.call('GET', '/api/claude/sessions?active=0')).json.sessions.map((x: any) => x.sessionId),
      ['sess-earlier'],
    );
    // The same sums as the CLI's session report (ccusage's), from the one-pass query.
    const report = sessionReport(h.engine.store, { sources: ['claude-code', 'claude-code-subagent'] }).sessions;
    assert.deepEqual(
      all.map((x: any) => [x.sessionId, x.totalTokens, x.cost, x.messageCount, new Date(x.lastActivity).toISOString()]).sort(),
      report.map((e) => [e.sessionId, e.totalTokens, e.totalCost, e.requests, e.lastActivity]).sort(),
    );
    assert.equal((await h.call('GET', '/api/claude/sessions?active=yes')).status, 400);
    assert.equal((await h.call('GET', '/api/claude/sessions?active=1', { key: null })).status, 401);
  });

  it('exposes Prometheus counters with escaped labels', async () => {
    // Transcript folders may hold any character; the API refuses control characters, the store does not.
    const [record] = heartbeatFromBody('p', heartbeat({ cost: 0.5 }), prices).records;
    await h.engine.accept([{ ...record, project: 'we"ird\\name\nx' }]);
    const r = await h.call('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const labels = `model="${SONNET}",source="heartbeat",project="we\\"ird\\\\name\\nx"`;
    assert.ok(r.text.includes('# TYPE token_cost_tokens_total counter'));
    assert.ok(r.text.includes(`token_cost_tokens_total{${labels},type="input"} 1500\n`), r.text);
    assert.ok(r.text.includes(`token_cost_tokens_total{${labels},type="output"} 800\n`));
    assert.ok(r.text.includes(`token_cost_cost_usd_total{${labels}} 0.5\n`));
    assert.ok(r.text.includes(`token_cost_requests_total{${labels}} 1\n`));
    for (const line of r.text.trim().split('\n')) {
      assert.match(line, /^(# (HELP|TYPE) .+|[a-z_]+\{(?:[a-z_]+="(?:[^"\\\n]|\\["\\n])*",?)+\} [0-9.e+-]+)$/, line);
    }
    assert.equal(labelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  });
});

describe('server: refusals change nothing', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(async () => h.close());

  const errorShape = (r: Reply, status: number) => {
    assert.equal(r.status, status, r.text);
    assert.equal(typeof r.json.error, 'string');
    assert.equal(typeof r.json.detail, 'string');
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  };

  it('serves /api/health without a key and nothing else', async () => {
    const r = await h.call('GET', '/api/health', { key: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
    errorShape(await h.call('GET', '/api/costs', { key: null }), 401);
    errorShape(await h.call('GET', '/api/costs', { key: 'wrong' }), 401);
    errorShape(await h.call('GET', '/nope', { key: null }), 401);
    errorShape(await h.call('GET', '/nope'), 404);
    assert.equal((await h.call('GET', '/api/costs', { key: null, headers: { authorization: `Bearer ${KEY}` } })).status, 200);
    assert.equal((await h.call('GET', '/api/costs', { key: null, headers: { authorization: 'Bearer nope' } })).status, 401);
  });

  it('refuses browsers (Origin) and foreign Host names, with no CORS headers', async () => {
    errorShape(await h.call('GET', '/api/costs', { headers: { origin: 'https://evil.example' } }), 403);
    errorShape(await h.call('GET', '/api/health', { headers: { origin: 'null' } }), 403);
    errorShape(await h.call('GET', '/api/costs', { headers: { host: `evil.example:${h.server.port}` } }), 403);
    errorShape(await h.call('GET', '/api/costs', { headers: { host: '127.0.0.1:1' } }), 403);
    const body = heartbeat({ requestId: 'from-page' });
    errorShape(await h.call('POST', '/api/agents/x/heartbeat', { body, headers: { origin: 'http://127.0.0.1:3000' } }), 403);
    errorShape(
      await h.call('OPTIONS', '/api/events', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }),
      403,
    );
    for (const host of [`localhost:${h.server.port}`, `[::1]:${h.server.port}`, `LOCALHOST:${h.server.port}`]) {
      assert.equal((await h.call('GET', '/api/costs', { headers: { host } })).status, 200, host);
    }
    assert.equal(h.engine.store.recordCount(), 0);
  });

  it('answers 405 with Allow, 415 for non-JSON, 400 for malformed JSON', async () => {
    const r = await h.call('GET', '/api/events');
    errorShape(r, 405);
    assert.equal(r.headers.allow, 'POST');
    assert.equal((await h.call('POST', '/api/costs', { body: {} })).headers.allow, 'GET');
    errorShape(await h.call('DELETE', '/api/agents/a/heartbeat'), 405);
    errorShape(await h.call('POST', '/api/events', { raw: '{}', headers: { 'content-type': 'text/plain' } }), 415);
    errorShape(await h.call('POST', '/api/events', { raw: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    errorShape(await h.call('POST', '/api/events', { raw: '{"type":"event",' }), 400);
    errorShape(await h.call('POST', '/api/events', { raw: '' }), 400);
    errorShape(await h.call('POST', '/api/agents/a/heartbeat', { raw: 'NaN' }), 400);
    assert.equal(h.engine.store.recordCount(), 0);
  });

  it('answers 400 naming the byte to a body that is not UTF-8, for heartbeats, events and manual logs, and stores nothing', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"status":"busy","tokens":{"model":"claude-'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","input":1,"output":1}}'),
    ]);
    for (const p of ['/api/agents/u/heartbeat', '/api/events', '/api/usage']) {
      const r = await h.call('POST', p, { raw: bad });
      assert.equal(r.status, 400, p);
      assert.equal(r.json.error, 'invalid_utf8');
      assert.match(r.json.detail, /not valid UTF-8 \(byte 43 is 0xff\)/);
    }
    // A character cut at the very end is bad too; a valid one is fine.
    assert.equal(
      (await h.call('POST', '/api/usage', { raw: Buffer.concat([Buffer.from('{"project":"p","task":"'), Buffer.from([0xc3])]) })).json
        .error,
      'invalid_utf8',
    );
    assert.equal((await h.call('POST', '/api/usage', { body: { project: 'café', task: 'naïve', tokens: 1 } })).status, 200);
    assert.equal(h.engine.store.recordCount(), 1);
    assert.equal(h.engine.store.get('SELECT project FROM usage')?.project, 'café');
  });

  it('answers 422 for invalid fields and stores nothing of a batch with one bad event', async () => {
    const bad: [string, unknown][] = [
      ['negative', heartbeat({ input: -1 })],
      ['fractional', heartbeat({ output: 1.5 })],
      ['absurd', heartbeat({ input: 1e10 })],
      ['string count', heartbeat({ input: '1500' })],
      ['missing model', { status: 'busy', tokens: { input: 1, output: 1 } }],
      ['empty model', heartbeat({ model: ' ' })],
      ['bad timestamp', heartbeat({ timestamp: 'yesterday' })],
      ['epoch seconds', heartbeat({ timestamp: 1_700_000_000 })],
      ['far future', heartbeat({ timestamp: '2999-01-01T00:00:00Z' })],
      ['numeric requestId', heartbeat({ requestId: 42 })],
      ['negative cost', heartbeat({ cost: -0.1 })],
      ['no status', { tokens: { model: SONNET, input: 1, output: 1 } }],
      ['array body', [heartbeat()]],
    ];
    for (const [name, body] of bad) {
      const r = await h.call('POST', '/api/agents/a/heartbeat', { body });
      errorShape(r, 422);
      assert.ok(r.json.detail.length > 0, name);
    }
    const good = { type: 'event', event: 'token_usage', payload: { model: SONNET, sessionId: 's', inputTokens: 1, outputTokens: 1 } };
    const r = await h.call('POST', '/api/events', { body: [good, { ...good, payload: { ...good.payload, inputTokens: 2.5 } }] });
    errorShape(r, 422);
    assert.match(r.json.detail, /\[1\]\.payload\.inputTokens/);
    errorShape(await h.call('POST', '/api/events', { body: [] }), 422);
    errorShape(await h.call('POST', '/api/events', { body: { ...good, payload: { ...good.payload, totalTokens: 1 } } }), 422);
    errorShape(await h.call('POST', '/api/events', { body: { ...good, id: 7 } }), 422);
    errorShape(await h.call('POST', '/api/usage', { body: { project: 'p', task: 't', tokens: 0 } }), 422);
    errorShape(await h.call('POST', '/api/usage', { body: { project: 'p', tokens: 10 } }), 422);
    errorShape(await h.call('POST', '/api/agents/%E0%A4%A/heartbeat', { body: heartbeat() }), 422);
    assert.equal(h.engine.store.recordCount(), 0);
  });

  it('answers 413 to a body over 1 MB, declared or streamed, and stores nothing', async () => {
    const big = JSON.stringify({ status: 'x', pad: 'a'.repeat(1024 * 1024) });
    errorShape(await h.call('POST', '/api/agents/a/heartbeat', { raw: big }), 413);
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: h.server.port,
          method: 'POST',
          path: '/api/events',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.write(big.slice(0, 600_000));
      req.end(big.slice(600_000));
    });
    assert.equal(streamed, 413);
    assert.equal(h.engine.store.recordCount(), 0);
    assert.equal((await h.call('GET', '/api/health')).status, 200, 'the server still answers');
  });

  it('answers 429 when one client floods a small bucket, and stores nothing of the refused', async () => {
    await h.close();
    h = await harness({ rateLimit: { burst: 3, perSecond: 0.001 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await h.call('POST', '/api/agents/f/heartbeat', { body: heartbeat({ requestId: `r${i}` }) })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const r = await h.call('GET', '/api/costs');
    errorShape(r, 429);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(h.engine.store.recordCount(), 3);
  });

  it('fuzz: random and mutated bodies get 2xx or 4xx, and a 4xx stores nothing', async function () {
    this.timeout(20_000);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const seeds = [
      JSON.stringify(heartbeat({ requestId: 'fz' })),
      JSON.stringify({
        type: 'event',
        event: 'token_usage',
        id: 'e',
        payload: { model: SONNET, sessionId: 's', inputTokens: 5, outputTokens: 6 },
      }),
      JSON.stringify({ project: 'p', task: 't', tokens: 9 }),
    ];
    const weird = [
      '',
      'null',
      '-1',
      '1e309',
      '"x"',
      '[]',
      '{}',
      '[[[[',
      '\u0000',
      '"\\ud800"',
      '1.5',
      'true',
      '{"__proto__":{"a":1}}',
      '9'.repeat(400),
    ];
    const mutate = (s: string): string => {
      const i = Math.floor(rand() * (s.length + 1));
      switch (Math.floor(rand() * 5)) {
        case 0:
          return s.slice(0, i) + s.slice(i + 1);
        case 1:
          return s.slice(0, i) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(i);
        case 2:
          return s.slice(0, i) + pick(weird) + s.slice(i);
        case 3:
          return s.replace(/\d+/, pick(weird));
        default:
          return s.slice(0, i);
      }
    };
    const routes = ['/api/agents/fz/heartbeat', '/api/events', '/api/usage'];
    for (let n = 0; n < 300; n++) {
      const k = Math.floor(rand() * 3);
      let body = seeds[k];
      for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) body = mutate(body);
      const before = h.engine.store.recordCount();
      const r = await h.call('POST', rand() < 0.9 ? routes[k] : pick(routes), { raw: body });
      assert.ok((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500), `${r.status} for ${JSON.stringify(body)}`);
      const after = h.engine.store.recordCount();
      if (r.status >= 400) {
        assert.equal(after, before, `a ${r.status} stored something: ${JSON.stringify(body)}`);
        assert.equal(typeof r.json?.error, 'string');
      } else {
        assert.equal(after - before, r.json.accepted, `acknowledged = stored for ${JSON.stringify(body)}`);
      }
    }
  });
});

/** A minimal WebSocket client: masked frames, as RFC 6455 requires of clients. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = crypto.randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
  let head: Buffer;
  if (payload.length < 126) head = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]);
  else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, mask, masked]);
}

interface WsClient {
  status: string;
  send(frame: Buffer): void;
  /** The next server frame. */
  next(): Promise<{ opcode: number; payload: Buffer }>;
  socket: net.Socket;
}

function wsConnect(port: number, headers: Record<string, string> = { 'x-api-key': KEY }, p = '/api/gateway'): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let status = '';
    const frames: { opcode: number; payload: Buffer }[] = [];
    const waiters: ((f: { opcode: number; payload: Buffer }) => void)[] = [];
    const client: WsClient = {
      get status() {
        return status;
      },
      send: (f) => socket.write(f),
      next: () => new Promise((res) => (frames.length ? res(frames.shift()!) : waiters.push(res))),
      socket,
    };
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!status) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        resolve(client);
        if (!status.startsWith('HTTP/1.1 101')) return;
      }
      while (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          len = buf.readUInt16BE(2);
          off = 4;
        }
        if (buf.length < off + len) break;
        const f = { opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) };
        buf = buf.subarray(off + len);
        const w = waiters.shift();
        if (w) w(f);
        else frames.push(f);
      }
    });
    socket.write(
      `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n',
    );
  });
}

describe('server: WebSocket gateway at /api/gateway', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(async () => h.close());

  const text = (v: unknown) => clientFrame(0x1, Buffer.from(JSON.stringify(v)));
  const usage = (id: string) => ({
    type: 'event',
    event: 'token_usage',
    id,
    payload: { model: SONNET, sessionId: 'gw-agent', inputTokens: 100, outputTokens: 50 },
  });
  const closeCode = async (c: WsClient) => {
    const f = await c.next();
    assert.equal(f.opcode, 0x8);
    return f.payload.readUInt16BE(0);
  };

  it('stores token_usage frames and replies with what was stored, in order', async () => {
    const c = await wsConnect(h.server.port);
    assert.match(c.status, /^HTTP\/1\.1 101/);
    c.send(text(usage('g1')));
    c.send(text([usage('g2'), usage('g1')]));
    c.send(text({ type: 'event', event: 'presence', payload: {} }));
    c.send(clientFrame(0x1, Buffer.from('{oops')));
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(JSON.parse((await c.next()).payload.toString()));
    assert.deepEqual(
      replies.map((r) => [r.ok, r.accepted, r.duplicate, r.ignored, r.error]),
      [
        [true, 1, 0, 0, undefined],
        [true, 1, 1, 0, undefined],
        [true, 0, 0, 1, undefined],
        [false, undefined, undefined, undefined, 'malformed_json'],
      ],
    );
    assert.equal(h.engine.store.recordCount(), 2);
    c.send(text({ ...usage('g1'), payload: { ...usage('g1').payload, inputTokens: 7777 } }));
    const conflict = JSON.parse((await c.next()).payload.toString());
    assert.deepEqual([conflict.ok, conflict.status, conflict.error], [false, 409, 'conflict']);
    assert.equal(h.engine.store.get("SELECT input FROM usage WHERE session = 'gw-agent' LIMIT 1")?.input, 100);
    const byAgent = (await h.call('GET', '/api/costs')).json.byAgent;
    assert.equal(byAgent[0].agent, 'gw-agent');
    c.send(clientFrame(0x9, Buffer.from('hi')));
    const pong = await c.next();
    assert.deepEqual([pong.opcode, pong.payload.toString()], [0xa, 'hi']);
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    c.send(clientFrame(0x8, code));
    assert.equal(await closeCode(c), 1000);
  });

  it('closes with 1003 on binary frames, 1009 on oversized ones, 1002 on unmasked ones and bad close frames, 1007 on invalid UTF-8; reassembles fragments', async () => {
    let c = await wsConnect(h.server.port);
    c.send(clientFrame(0x2, Buffer.from([1, 2, 3])));
    assert.equal(await closeCode(c), 1003);
    // A message in two fragments is one message.
    c = await wsConnect(h.server.port);
    const whole = Buffer.from(JSON.stringify(usage('frag')));
    c.send(clientFrame(0x1, whole.subarray(0, 10), false));
    c.send(clientFrame(0x0, whole.subarray(10)));
    assert.equal(JSON.parse((await c.next()).payload.toString()).accepted, 1);
    c = await wsConnect(h.server.port);
    const head = Buffer.alloc(14);
    head[0] = 0x81;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(2 * 1024 * 1024), 2);
    c.send(head);
    assert.equal(await closeCode(c), 1009);
    c = await wsConnect(h.server.port);
    c.send(Buffer.from([0x81, 0x02, 0x7b, 0x7d]));
    assert.equal(await closeCode(c), 1002);
    // A close body of one byte, or a code that must never be sent or is reserved, is a protocol error (RFC 6455 7.4).
    const codeBody = (n: number, reason = Buffer.alloc(0)) => Buffer.concat([Buffer.from([n >> 8, n & 0xff]), reason]);
    for (const body of [
      Buffer.from([0x03]),
      codeBody(1005),
      codeBody(1006),
      codeBody(1016),
      codeBody(1100),
      codeBody(2000),
      codeBody(2999),
      codeBody(999),
      codeBody(5000),
    ]) {
      c = await wsConnect(h.server.port);
      c.send(clientFrame(0x8, body));
      assert.equal(await closeCode(c), 1002, `close body ${body.toString('hex')}`);
    }
    // A close reason or a text message that is not UTF-8: 1007.
    for (const frame of [clientFrame(0x8, codeBody(1000, Buffer.from([0xc3, 0x28]))), clientFrame(0x1, Buffer.from([0x7b, 0xff, 0x7d]))]) {
      c = await wsConnect(h.server.port);
      c.send(frame);
      assert.equal(await closeCode(c), 1007);
    }
    // Codes a peer may send are echoed.
    for (const code of [1000, 3000, 4999]) {
      c = await wsConnect(h.server.port);
      c.send(clientFrame(0x8, codeBody(code)));
      assert.equal(await closeCode(c), code);
    }
    assert.equal(h.engine.store.recordCount(), 1);
  });

  it('tells a connection that stays silent to go away (1001), and keeps one that pings', async function () {
    this.timeout(15_000);
    const quick = await harness({ gatewayIdleMs: 1500 });
    try {
      const pinging = await wsConnect(quick.server.port);
      const silent = await wsConnect(quick.server.port);
      // Pings every 200 ms keep one alive well inside the 1.5 s limit; the other says nothing.
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 200));
        pinging.send(clientFrame(0x9, Buffer.from(String(i))));
        assert.equal((await pinging.next()).opcode, 0xa);
      }
      assert.equal(await closeCode(silent), 1001);
      pinging.send(text(usage('still-here')));
      assert.equal(JSON.parse((await pinging.next()).payload.toString()).accepted, 1, 'the pinging connection still works');
    } finally {
      await quick.close();
    }
  });

  it('refuses the handshake without a key, from a browser, for a foreign Host, or on another path', async () => {
    assert.match((await wsConnect(h.server.port, {})).status, /^HTTP\/1\.1 401/);
    assert.match((await wsConnect(h.server.port, { 'x-api-key': KEY, Origin: 'https://evil.example' })).status, /^HTTP\/1\.1 403/);
    assert.match((await wsConnect(h.server.port, { 'x-api-key': KEY }, '/api/other')).status, /^HTTP\/1\.1 404/);
    assert.equal((await h.call('GET', '/api/gateway')).status, 426);
  });
});

describe('server: lifecycle, discovery file and API key', () => {
  it('runs only while enabled and the writer, writes server.json, and explains a busy port', async () => {
    const dir = tempDir('tcd-sup-');
    const base = await UsageEngine.open({ dbFile: null, roots: () => [], prices: () => prices, costMode: () => 'auto' });
    const roles = new EventEmitter();
    let role: Role = 'reader';
    const engine = {
      store: base.store,
      get role() {
        return role;
      },
      accept: (r: any) => base.accept(r),
      onDidChangeRole: (l: (r: Role) => void) => (roles.on('role', l), { dispose: () => roles.off('role', l) }),
    };
    const settings = { enabled: true, port: 0 };
    const problems: string[] = [];
    const sup = new ServerSupervisor({
      engine,
      storageDir: dir,
      settings: () => settings,
      apiKey: async () => KEY,
      prices: () => prices,
      timeZone: () => 'UTC',
      portHint: 'Set tokenCost.server.port to a free port, or 0.',
      onProblem: (m) => problems.push(m),
    });
    await sup.reconfigure();
    assert.equal(sup.url(), undefined, 'a reader does not serve');
    role = 'writer';
    roles.emit('role', 'writer');
    await sup.reconfigure();
    const url = sup.url();
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(readDiscovery(dir)?.url, url);
    assert.equal(readDiscovery(dir)?.pid, process.pid);

    // Another program holds the port the settings ask for.
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    settings.port = (blocker.address() as net.AddressInfo).port;
    await sup.reconfigure();
    assert.equal(sup.url(), undefined);
    assert.equal(problems.length, 1);
    assert.match(problems[0], new RegExp(`Port ${settings.port} on 127\\.0\\.0\\.1 is already in use.*tokenCost\\.server\\.port`));
    assert.equal(existsSync(path.join(dir, 'server.json')), false);
    blocker.close();

    settings.port = 0;
    await sup.reconfigure();
    assert.ok(sup.url());
    role = 'reader';
    roles.emit('role', 'reader');
    await sup.reconfigure();
    assert.equal(sup.url(), undefined, 'stops when it loses the writer role');
    assert.equal(existsSync(path.join(dir, 'server.json')), false);
    await sup.dispose();
    await base.close();
  });

  it('generates 32-byte base64url keys, compares them in constant time, keeps the CLI key in a 0600 file', () => {
    const k = generateApiKey();
    assert.match(k, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(k, generateApiKey());
    assert.equal(apiKeyMatches(k, k), true);
    assert.equal(apiKeyMatches(k.slice(1), k), false);
    assert.equal(apiKeyMatches(undefined, k), false);
    const dir = tempDir('tcd-key-');
    const first = loadOrCreateKeyFile(dir, {});
    assert.equal(first.created, true);
    assert.equal(statSync(path.join(dir, 'api-key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(path.join(dir, 'api-key'), 'utf8').trim(), first.key);
    assert.deepEqual(loadOrCreateKeyFile(dir, {}), { key: first.key, source: path.join(dir, 'api-key'), created: false });
    assert.equal(loadOrCreateKeyFile(dir, { TOKEN_COST_API_KEY: 'from-env' }).key, 'from-env');
  });
});
