#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageEngine } from './core/engine';
import { TranscriptWatcher } from './core/ingest/watcher';
import { loadOrCreateKeyFile, readApiKey, API_KEY_ENV } from './core/server/apiKey';
import { readDiscovery } from './core/server/discovery';
import { ServerSupervisor } from './core/server/supervisor';
import { usageRoots } from './core/ingest/roots';
import { PriceTable, type CostMode } from './core/pricing/pricing';
import { dailyReport, dayBounds, periodReport, sessionReport, totals, type CcusageFigures, type DailyEntry } from './core/query';
import { parseDayKey, systemTimeZone, validateTimeZone } from './core/time';

const USAGE = `token-cost: what your coding agents cost, from the same engine as the VS Code extension.

Usage:
  token-cost report daily|weekly|monthly|session [--json] [--since YYYY-MM-DD] [--until YYYY-MM-DD]
                          [--tz ZONE] [--mode auto|calculate|display] [--data-dir DIR]
                          [--workspace DIR [--glob GLOB]…] [--verbose]
  token-cost serve [--port N] [--data-dir DIR] [--tz ZONE] [--workspace DIR [--glob GLOB]…] [--verbose]
      Reads transcripts continuously and serves the heartbeat endpoint and API on 127.0.0.1
      (default port 8787; 0 = any free port). The API key is $TOKEN_COST_API_KEY, else the file
      DIR/api-key (created with mode 0600 on first run).
  token-cost log <project> <task> <tokens> [--model M] [--data-dir DIR] [--url URL]
      Posts a manual usage entry to the running server (found through DIR/server.json).

JSON output has ccusage's shapes ({daily:[{date,…}]}, {weekly:[{week,…}]}, {monthly:[{month,…}]},
{sessions:[{sessionId,…}]}, each with totals), so scripts written for ccusage read it unchanged.
Weeks start on Monday; days are calendar days in --tz (default: the system time zone).

Reads Claude Code transcripts from $CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude;
Codex CLI sessions from $CODEX_HOME (else ~/.codex) sessions/ and archived_sessions/; and, with
--workspace (repeatable), JSONL files in that folder matching --glob (repeatable; default: the
tokenCost.workspaceTranscripts defaults). Keeps a database of what it read in --data-dir
(default: $XDG_DATA_HOME/token-cost-dashboard). --verbose prints what was read and, per file,
the lines skipped as malformed or oversized.
`;

class UsageError extends Error {}

interface Flags {
  json: boolean;
  verbose: boolean;
  since?: string;
  until?: string;
  tz: string;
  mode: CostMode;
  dataDir: string;
  port: number;
  model?: string;
  url?: string;
  workspaces: string[];
  globs: string[];
}

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME?.trim() || path.join(process.env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'token-cost-dashboard');
}

function parseFlags(args: string[]): { positional: string[]; flags: Flags } {
  const flags: Flags = { json: false, verbose: false, tz: systemTimeZone(), mode: 'auto', dataDir: defaultDataDir(), port: 8787, workspaces: [], globs: [] };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--json': flags.json = true; break;
      case '--verbose': case '-v': flags.verbose = true; break;
      case '--since': flags.since = value(); parseDayKey(flags.since); break;
      case '--until': flags.until = value(); parseDayKey(flags.until); break;
      case '--tz': case '-z': flags.tz = validateTimeZone(value()); break;
      case '--data-dir': flags.dataDir = path.resolve(value()); break;
      case '--model': flags.model = value(); break;
      case '--url': flags.url = value().replace(/\/+$/, ''); break;
      case '--port': {
        const v = value();
        if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError('--port must be a number from 0 to 65535 (0 = any free port)');
        flags.port = Number(v);
        break;
      }
      case '--workspace': flags.workspaces.push(path.resolve(value())); break;
      case '--glob': flags.globs.push(value()); break;
      case '--mode': {
        const m = value();
        if (m !== 'auto' && m !== 'calculate' && m !== 'display') throw new UsageError(`--mode must be auto, calculate or display`);
        flags.mode = m;
        break;
      }
      case '--help': case '-h': positional.unshift('help'); break;
      default:
        if (a.startsWith('-')) throw new UsageError(`Unknown option ${a}`);
        positional.push(a);
    }
  }
  return { positional, flags };
}

function fmtInt(v: number): string {
  return v.toLocaleString('en-US');
}

const REPORTS = ['daily', 'weekly', 'monthly', 'session'] as const;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

/**
 * ccusage counts the tokens of `<synthetic>` lines (Claude Code's locally made placeholder
 * replies, priced $0) in day and session figures but lists no per-model row for them; the JSON
 * does the same so that every figure matches. Real transcripts give these lines zero usage.
 */
function withoutSyntheticRows<T extends { modelsUsed: string[]; modelBreakdowns: { modelName: string }[] }>(rows: T[]): T[] {
  for (const r of rows) {
    r.modelsUsed = r.modelsUsed.filter((m) => m !== '<synthetic>');
    r.modelBreakdowns = r.modelBreakdowns.filter((b) => b.modelName !== '<synthetic>');
  }
  return rows;
}

const figures = (d: CcusageFigures) => [fmtInt(d.inputTokens), fmtInt(d.outputTokens), fmtInt(d.cacheCreationTokens), fmtInt(d.cacheReadTokens),
  fmtInt(d.totalTokens), `$${d.totalCost.toFixed(2)}`];
const FIGURE_HEAD = ['Input', 'Output', 'Cache write', 'Cache read', 'Total tokens', 'Cost'];

/** Claude Code and Codex folders as the extension reads them, plus any --workspace folders. */
function cliRoots(flags: Flags) {
  return usageRoots({ workspaces: flags.workspaces.map((folder) => ({ folder, globs: flags.globs })) });
}

async function report(kind: string, flags: Flags): Promise<void> {
  if (!(REPORTS as readonly string[]).includes(kind)) throw new UsageError(`Unknown report "${kind}" (available: ${REPORTS.join(', ')})`);
  const log = flags.verbose ? (m: string) => process.stderr.write(`${m}\n`) : undefined;
  const prices = new PriceTable();
  const engine = await UsageEngine.open({
    dbFile: path.join(flags.dataDir, 'usage.sqlite'),
    roots: () => cliRoots(flags),
    prices: () => prices,
    costMode: () => flags.mode,
    log,
  });
  if (engine.recoveryMessage) process.stderr.write(`token-cost: ${engine.recoveryMessage}\n`);
  try {
    const stats = await engine.scan();
    if (flags.verbose) {
      process.stderr.write(
        `Scanned ${stats.filesSeen} file(s), read ${stats.filesRead} (${stats.bytesRead} bytes) in ${stats.durationMs} ms; ` +
          `${stats.records} usage line(s), ${stats.malformedLines} malformed, ${stats.oversizedLines} oversized skipped.\n`,
      );
      for (const f of stats.fileIssues) {
        process.stderr.write(`  ${f.path}: ${f.malformedLines} malformed, ${f.oversizedLines} oversized line(s) skipped\n`);
      }
    }
    const range = dayBounds(flags.tz, flags.since, flags.until);
    let json: unknown;
    let text: string;
    // ccusage names the models it could not price next to its totals; so do we.
    const unpricedModels = totals(engine.store, range).unpricedModels;
    if (kind === 'session') {
      const r = sessionReport(engine.store, range);
      // ccusage lists sessions by cost, most expensive first.
      r.sessions.sort((a, b) => b.totalCost - a.totalCost || a.sessionId.localeCompare(b.sessionId));
      withoutSyntheticRows(r.sessions);
      json = { ...r, totals: { ...r.totals, unpricedModels } };
      text = table(['Session', 'Project', 'Last activity', ...FIGURE_HEAD], [
        ...r.sessions.map((e) => [e.sessionId, e.projectPath, e.lastActivity.slice(0, 16).replace('T', ' '), ...figures(e)]),
        ['Total', '', '', ...figures(r.totals)],
      ]);
    } else if (kind === 'daily') {
      const r = dailyReport(engine.store, flags.tz, range);
      withoutSyntheticRows(r.daily);
      json = { ...r, totals: { ...r.totals, unpricedModels } };
      text = table(['Date', ...FIGURE_HEAD], [...r.daily.map((d) => [d.date, ...figures(d)]), ['Total', ...figures(r.totals)]]);
    } else {
      const r = periodReport(engine.store, flags.tz, kind as 'weekly' | 'monthly', range);
      withoutSyntheticRows<Omit<DailyEntry, 'date'>>(r.weekly ?? r.monthly ?? []);
      json = { ...r, totals: { ...r.totals, unpricedModels } };
      const rows = kind === 'weekly' ? r.weekly!.map((d) => [d.week, ...figures(d)]) : r.monthly!.map((d) => [d.month, ...figures(d)]);
      text = table([kind === 'weekly' ? 'Week of' : 'Month', ...FIGURE_HEAD], [...rows, ['Total', ...figures(r.totals)]]);
    }
    // What this run's reading skipped, also without --verbose: in the JSON (absent when nothing
    // was, so the output stays ccusage's shape) and as one line on stderr.
    const skipped = stats.malformedLines + stats.oversizedLines + stats.unreadableFiles;
    if (skipped > 0) {
      const skippedReport = {
        malformedLines: stats.malformedLines, oversizedLines: stats.oversizedLines, unreadableFiles: stats.unreadableFiles,
        files: stats.fileIssues.map((f) => ({ path: f.path, malformedLines: f.malformedLines, oversizedLines: f.oversizedLines })),
      };
      json = { ...(json as object), skipped: skippedReport };
      if (!flags.verbose) {
        process.stderr.write(
          `token-cost: skipped ${stats.malformedLines} malformed and ${stats.oversizedLines} oversized line(s) in ${stats.fileIssues.length} file(s)` +
            `${stats.unreadableFiles ? ` and ${stats.unreadableFiles} unreadable file(s)` : ''}; --verbose lists them.\n`,
        );
      }
    }
    process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : text);
  } finally {
    await engine.close();
  }
}

/** Scanner + heartbeat server, headless, until SIGINT/SIGTERM. */
async function serve(flags: Flags): Promise<number> {
  const say = (m: string) => process.stderr.write(`${m}\n`);
  const log = flags.verbose ? say : undefined;
  const prices = new PriceTable();
  const dbFile = path.join(flags.dataDir, 'usage.sqlite');
  const roots = () => cliRoots(flags);
  const engine = await UsageEngine.open({ dbFile, roots, prices: () => prices, costMode: () => flags.mode, log: say });
  if (engine.recoveryMessage) say(`token-cost: ${engine.recoveryMessage}`);
  const key = loadOrCreateKeyFile(flags.dataDir);
  let failed: string | undefined;
  let started = false;
  let startProblem: string | undefined;
  const supervisor = new ServerSupervisor({
    engine,
    storageDir: flags.dataDir,
    settings: () => ({ enabled: true, port: flags.port }),
    apiKey: async () => key.key,
    prices: () => prices,
    timeZone: () => flags.tz,
    version: 'cli',
    portHint: 'Pass --port with a free port, or --port 0 to pick any free port.',
    log,
    onProblem: (m, cause) => {
      failed = cause;
      // At start the CLI may give up instead of retrying (below); later problems are told as they come.
      if (started) say(`token-cost: ${m}`);
      else startProblem = m;
    },
    onDidChange: (url) => {
      if (url) say(`Serving on ${url} (heartbeats: ${url}/api/agents/<id>/heartbeat). API key: ${key.created ? 'created in ' : ''}${key.source}.`);
    },
  });
  if (engine.role !== 'writer') say(`Another process writes ${dbFile}; this one serves once it takes over.`);
  await supervisor.reconfigure();
  // A busy port is final only when no other token-cost process serves this folder: one that
  // paused and lost the lock holds it until it notices, and the supervisor keeps trying until then.
  const peer = readDiscovery(flags.dataDir)?.pid;
  const peerAlive = peer !== undefined && peer !== process.pid && (() => {
    try {
      return process.kill(peer, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  })();
  if (failed && engine.role === 'writer' && !peerAlive) {
    say(`token-cost: ${failed}`);
    await supervisor.dispose();
    await engine.close();
    return 1;
  }
  if (startProblem) say(`token-cost: ${startProblem}`);
  started = true;

  await engine.scan();
  const watcher = new TranscriptWatcher({ roots: () => roots().map((r) => r.path), onChange: () => void engine.scan(), log: say });
  watcher.refreshRoots();
  const timer = setInterval(() => {
    watcher.refreshRoots();
    void engine.scan();
  }, 30_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await watcher.close();
  await supervisor.dispose();
  await engine.close();
  return 0;
}

/** Posts one manual entry to the running server (`token-tracker.sh log` of the reference scripts). */
async function logUsage(args: string[], flags: Flags): Promise<void> {
  const [project, task, tokens] = args;
  if (!project || !task || tokens === undefined) throw new UsageError('log needs <project> <task> <tokens>');
  if (!/^\d+$/.test(tokens) || Number(tokens) < 1 || Number(tokens) > 1e9) throw new UsageError('<tokens> must be a whole number from 1 to 1000000000');
  const url = flags.url ?? readDiscovery(flags.dataDir)?.url;
  if (!url) {
    throw new Error(`no Token Cost server is running for ${flags.dataDir} (no server.json there). Start one with "token-cost serve", or pass --url.`);
  }
  const key = readApiKey(flags.dataDir);
  if (!key) throw new Error(`no API key: set $${API_KEY_ENV} (VS Code: "Token Cost: Copy API Key") or run "token-cost serve" once to create ${path.join(flags.dataDir, 'api-key')}.`);
  const body = { project, task, tokens: Number(tokens), model: flags.model, requestId: randomUUID() };
  let res: Response;
  try {
    res = await fetch(`${url}/api/usage`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
  } catch (err) {
    throw new Error(`no server answers at ${url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); start one with "token-cost serve".`);
  }
  const reply = (await res.json().catch(() => ({}))) as { error?: string; detail?: string; cost?: number; unpriced?: boolean };
  if (!res.ok) throw new Error(`the server refused the entry: ${res.status} ${reply.error ?? ''} ${reply.detail ?? ''}`.trim());
  process.stdout.write(
    `Logged ${Number(tokens).toLocaleString('en-US')} tokens for ${project} / ${task}` +
      (reply.unpriced ? ' (no price for this model: $0)' : ` ($${(reply.cost ?? 0).toFixed(4)})`) + '.\n',
  );
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { positional, flags } = parseFlags(argv);
    const [command, sub] = positional;
    switch (command) {
      case 'report':
        await report(sub ?? 'daily', flags);
        return 0;
      case 'serve':
        return await serve(flags);
      case 'log':
        await logUsage(positional.slice(1), flags);
        return 0;
      case undefined:
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (err) {
    process.stderr.write(`token-cost: ${(err as Error).message}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
