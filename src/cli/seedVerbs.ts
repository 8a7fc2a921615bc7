/**
 * The verbs of the reference scripts (`token-tracker.sh log|today|project|cost`), on the same
 * engine and store as the reports.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageEngine } from '../core/engine';
import { PriceTable } from '../core/pricing/pricing';
import { dayBounds, todayRange, totalsBy } from '../core/query';
import { statusSummary } from '../core/status';
import type { UsageStore } from '../core/store';
import { API_KEY_ENV, readApiKey } from '../core/server/apiKey';
import { readDiscovery, type DiscoveryInfo } from '../core/server/discovery';
import { manualFromBody } from '../core/server/validate';
import { engineOptions, openScanned, sayNothingFound } from './scan';
import { UsageError, type Flags } from './options';
import { agentName } from './reports';
import { processAlive } from '../core/storage/lock';

/** The VS Code extension's id: its storage folder is `<User>/globalStorage/<id>`. */
const EXTENSION_ID = 'tokencost.token-cost-dashboard';

/**
 * Where VS Code and its relatives keep the extension's storage (server.json beside the database):
 * desktop builds per platform, the remote server (SSH, WSL, containers) and code-server.
 */
export function extensionStorageDirs(home = process.env.HOME || os.homedir(), env: NodeJS.ProcessEnv = process.env): string[] {
  const products = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];
  const userDirs: string[] = [];
  if (process.platform === 'darwin') for (const p of products) userDirs.push(path.join(home, 'Library', 'Application Support', p, 'User'));
  else if (process.platform === 'win32')
    for (const p of products) userDirs.push(path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), p, 'User'));
  else for (const p of products) userDirs.push(path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), p, 'User'));
  for (const server of ['.vscode-server', '.vscode-server-insiders', '.vscodium-server', '.cursor-server'])
    userDirs.push(path.join(home, server, 'data', 'User'));
  userDirs.push(path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'code-server', 'User'));
  return userDirs.map((d) => path.join(d, 'globalStorage', EXTENSION_ID));
}

/** A running server's storage folder and address: the CLI's own first, then the extension's. */
export function findServer(flags: Flags): { dir: string; info: DiscoveryInfo } | undefined {
  const dirs = flags.dataDirGiven ? [flags.dataDir] : [flags.dataDir, ...extensionStorageDirs()];
  for (const dir of dirs) {
    const info = readDiscovery(dir);
    if (info && processAlive(info.pid)) return { dir, info };
  }
  return undefined;
}

const usd = (v: number, digits = 2) => `$${v.toFixed(digits)}`;
const int = (v: number) => v.toLocaleString('en-US');

/**
 * `log <project> <task> <tokens>`: to the running server when one answers, else through the
 * engine (the writer stores it; a reader hands it to the writer through the inbox).
 */
export async function logUsage(args: string[], flags: Flags): Promise<void> {
  const [project, task, tokens, ...more] = args;
  if (!project || !task || tokens === undefined) throw new UsageError('log needs <project> <task> <tokens>.', 'log');
  if (more.length) throw new UsageError(`Unexpected argument "${more[0]}" (quote a task name with spaces).`, 'log');
  if (!/^\d+$/.test(tokens) || Number(tokens) < 1 || Number(tokens) > 1e9)
    throw new UsageError('<tokens> must be a whole number from 1 to 1000000000.', 'log');
  const body = { project, task, tokens: Number(tokens), model: flags.model, requestId: randomUUID() };
  // The same rule the server applies to the same body: what we print is what is stored.
  const record = manualFromBody(body, new PriceTable());
  if (!flags.model) process.stderr.write('token-cost: warning: no --model given, so these tokens cost $0 (pass --model to price them).\n');
  else if (record.unpriced) process.stderr.write(`token-cost: warning: no price for model "${flags.model}", so these tokens cost $0.\n`);
  const target = flags.url
    ? { url: flags.url, dir: flags.dataDir }
    : (() => {
        const found = findServer(flags);
        return found && { url: found.info.url, dir: found.dir };
      })();
  let where: string | undefined;
  if (target) {
    const key = readApiKey(target.dir);
    if (!key && flags.url) throw new Error(`no API key for ${flags.url}: set $${API_KEY_ENV} (VS Code: "Token Cost: Copy API Key").`);
    if (key) {
      let res: Response | undefined;
      try {
        res = await fetch(`${target.url}/api/usage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify(body),
        });
      } catch (err) {
        if (flags.url)
          throw new Error(
            `no server answers at ${flags.url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}).`,
          );
      }
      if (res) {
        const reply = (await res.json().catch(() => ({}))) as { error?: string; detail?: string };
        if (!res.ok)
          throw new Error(`the server at ${target.url} refused the entry: ${res.status} ${reply.error ?? ''} ${reply.detail ?? ''}`.trim());
        where = `sent to ${target.url}`;
      }
    }
    // The extension's server without its key (it lives in VS Code's secret storage): its
    // database's inbox takes the entry instead, and the extension picks it up within a second.
    if (!where && !flags.url) flags = { ...flags, dataDir: target.dir };
  }
  if (!where) {
    // No scan: only the entry is written.
    const engine = await UsageEngine.open(engineOptions(flags));
    try {
      await engine.accept([record]);
      where = engine.role === 'writer' ? `stored in ${flags.dataDir}` : `handed to the process that writes ${flags.dataDir}`;
    } finally {
      await engine.close();
    }
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: true, project, task, tokens: Number(tokens), model: record.model, cost: record.cost, unpriced: record.unpriced, where })}\n`,
    );
    return;
  }
  process.stdout.write(
    `Logged ${int(Number(tokens))} tokens for ${project} / ${task}` +
      (!flags.model ? ' ($0: no model)' : record.unpriced ? ` (no price for ${record.model}: $0)` : ` (${usd(record.cost, 4)})`) +
      ` (${where}).\n`,
  );
}

/**
 * What `today --json` prints: today's totals per agent, and the live figures the status bar,
 * the dashboard and the API show (status.ts, from figures.ts), for the same store and instant.
 */
export function todaySummary(store: UsageStore, flags: Pick<Flags, 'tz' | 'costRules' | 'budget'>, now = Date.now()) {
  const s = statusSummary(store, flags.tz, flags.budget, now, flags.costRules);
  const byAgent = new Map<string, { cost: number; totalTokens: number; requests: number }>();
  for (const a of totalsBy(store, 'source', { ...todayRange(flags.tz, now), costRules: flags.costRules })) {
    const name = agentName(a.key);
    const sum = byAgent.get(name) ?? { cost: 0, totalTokens: 0, requests: 0 };
    sum.cost += a.cost;
    sum.totalTokens += a.totalTokens;
    sum.requests += a.requests;
    byAgent.set(name, sum);
  }
  return {
    date: s.day,
    timeZone: flags.tz,
    totalCost: s.today.cost,
    totalTokens: s.today.totalTokens,
    requests: s.today.requests,
    agents: Object.fromEntries(byAgent),
    unpricedModels: s.today.unpricedModels,
    costRules: flags.costRules,
    burnRate: s.burn,
    activeSessions: s.activeSessions,
    month: { month: s.month, cost: s.monthCost, projected: s.monthProjected },
    budget: {
      daily: s.budget.daily ?? null,
      dailyUsedPct: s.dailyUsedPct ?? null,
      monthly: s.budget.monthly ?? null,
      monthlyUsedPct: s.monthlyUsedPct ?? null,
    },
  };
}

/** `today`: today's cost, tokens and requests, in total and per agent. */
export async function todayReport(flags: Flags): Promise<void> {
  const { engine, looked, empty } = await openScanned(flags);
  try {
    if (empty) sayNothingFound(looked);
    const t = todaySummary(engine.store, flags);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `Today (${t.date}, ${flags.tz}): ${usd(t.totalCost)}, ${int(t.totalTokens)} tokens, ${int(t.requests)} requests.\n`,
    );
    for (const [name, s] of Object.entries(t.agents))
      process.stdout.write(`  ${name}: ${usd(s.cost)}, ${int(s.totalTokens)} tokens, ${int(s.requests)} requests\n`);
    process.stdout.write(
      `Burn rate: ${usd(t.burnRate.costPerHour)}/h over the last ${t.burnRate.windowMinutes} min; ${int(t.activeSessions)} active session${t.activeSessions === 1 ? '' : 's'}; ` +
        `${t.month.month}: ${usd(t.month.cost)}, projected ${usd(t.month.projected)}.\n`,
    );
    if (t.budget.dailyUsedPct !== null)
      process.stdout.write(`Daily budget: ${t.budget.dailyUsedPct.toFixed(0)} % of ${usd(t.budget.daily!)}.\n`);
    if (t.budget.monthlyUsedPct !== null)
      process.stdout.write(`Monthly budget: ${t.budget.monthlyUsedPct.toFixed(0)} % of ${usd(t.budget.monthly!)}.\n`);
    if (t.unpricedModels.length) process.stdout.write(`Warning: no price for ${t.unpricedModels.join(', ')}: counted as $0.\n`);
  } finally {
    await engine.close();
  }
}

/** `project`: cost per project, most expensive first. */
export async function projectReport(flags: Flags): Promise<void> {
  const { engine, looked, empty } = await openScanned(flags);
  try {
    if (empty) sayNothingFound(looked);
    const rows = totalsBy(engine.store, 'project', { ...dayBounds(flags.tz, flags.since, flags.until), costRules: flags.costRules });
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ projects: rows.map((r) => ({ project: r.key, requests: r.requests, totalTokens: r.totalTokens, totalCost: r.cost })) }, null, 2)}\n`,
      );
      return;
    }
    const body = rows.map((r) => [
      r.key,
      int(r.requests),
      int(r.totalTokens),
      usd(r.cost),
      int(Math.round(r.totalTokens / Math.max(1, r.requests))),
    ]);
    const head = ['Project', 'Requests', 'Tokens', 'Cost', 'Avg tokens/request'];
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    process.stdout.write(`${[head, ...body].map(line).join('\n')}\n`);
  } finally {
    await engine.close();
  }
}

/** The model the reference scripts price with (their "Token Pricing (Haiku 4.5)"). */
const DEFAULT_ESTIMATE_MODEL = 'claude-haiku-4-5';

/** `cost <tokens>`: what `log` would count for that many tokens of the model. */
export function costEstimate(args: string[], flags: Flags): void {
  const [tokens, ...more] = args;
  if (tokens === undefined) throw new UsageError('cost needs <tokens>.', 'cost');
  if (more.length) throw new UsageError(`Unexpected argument "${more[0]}".`, 'cost');
  if (!/^\d+$/.test(tokens) || Number(tokens) < 1 || Number(tokens) > 1e12)
    throw new UsageError('<tokens> must be a whole number of tokens, e.g. 50000.', 'cost');
  const model = flags.model ?? DEFAULT_ESTIMATE_MODEL;
  const r = manualFromBody({ project: '-', task: '-', tokens: Number(tokens), model }, new PriceTable());
  if (r.unpriced) throw new UsageError(`no price for model "${model}" (give a model name such as claude-sonnet-4-5 or gpt-5).`, 'cost');
  if (flags.json) process.stdout.write(`${JSON.stringify({ tokens: Number(tokens), model, cost: r.cost })}\n`);
  else process.stdout.write(`${usd(r.cost)} (${int(Number(tokens))} tokens of ${model}, counted as input tokens as "log" counts them)\n`);
}
