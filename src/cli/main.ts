import { version as packageVersion } from '../../package.json';
import { UsageEngine } from '../core/engine';
import { TranscriptWatcher } from '../core/ingest/watcher';
import { AGENTS, agentById } from '../core/ingest/registry';
import { dayBounds } from '../core/query';
import { loadOrCreateKeyFile } from '../core/server/apiKey';
import { readDiscovery } from '../core/server/discovery';
import { ServerSupervisor } from '../core/server/supervisor';
import { parseFor, UsageError, type Flags } from './options';
import { commandFor, helpOf, isScopeWord, KIND_SUMMARY, positionalWords, REPORT_FLAGS, SCOPE_KINDS } from './commands';
import { blocksReport, claudeShaped, codexShaped, unified, type AgentScope, type Rendered, type ReportKind } from './reports';
import { push } from './push';
import { cliRoots, engineOptions, openScanned, sayNothingFound } from './scan';
import { cachedReport, databaseSignature, inputState, isCacheable, queryKey, storeReport, type CachedOutput } from './reportCache';
import { costEstimate, logUsage, projectReport, todayReport } from './seedVerbs';
import { limitsCommand } from './limitsVerb';
import { statusline, STATUSLINE_HELP } from './statusline';

const OVERVIEW = `token-cost ${packageVersion}: what your coding agents cost, from the same engine as the VS Code extension.

Reports (the command forms of ccusage 20.0.24; JSON with ccusage's keys):
  token-cost daily|weekly|monthly|session|blocks      every agent (blocks: Claude Code)
  token-cost claude daily|weekly|monthly|session|blocks
  token-cost codex daily|monthly|session
  token-cost ${AGENTS.map((a) => a.id).join('|')} daily|weekly|monthly|session
  token-cost report daily|weekly|monthly|session      this CLI's own form (claude shape, every agent)

The reference scripts' verbs:
  token-cost log <project> <task> <tokens> [--model M]   record a manual entry, with or without a server
  token-cost today | project | cost <tokens>

Plan limits:
  token-cost limits [--json]                            5-hour and 7-day windows, used %, reset and pace
  token-cost statusline [--chain "<cmd>"]               Claude Code's status-line command (records the limits)

Server:
  token-cost serve [--port N]                           heartbeat endpoint and API on 127.0.0.1
  token-cost push --remote-write URL | --otlp URL       all-time counters to a team's Prometheus or OTLP collector

Run "token-cost <command> --help" for a command's options and examples; "token-cost --version".
Reads Claude Code transcripts from $CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude; Codex
CLI sessions from $CODEX_HOME (else ~/.codex); ${AGENTS.map((a) => a.label).join(', ')} from their
default folders and env overrides (see README); --workspace folders. Days are calendar days in
--timezone (default: the system zone). Exit codes: 0 done, 1 failed, 2 usage error.
`;

/** What a report prints on stdout. */
function printed(r: Rendered, flags: Flags): string {
  if (flags.json) return `${JSON.stringify(r.json, null, 2)}\n`;
  // Never silent about a model we could not price: its tokens count, its cost is $0.
  return r.table + (r.unpricedModels.length ? `Warning: no price for ${r.unpricedModels.join(', ')}: counted as $0.\n` : '');
}

async function runReport(scope: AgentScope | 'report', kind: ReportKind, flags: Flags): Promise<void> {
  const cacheable = isCacheable(kind, flags);
  const query = queryKey(`${scope} ${kind}`, flags);
  const inputs = cacheable ? await inputState(cliRoots(flags)) : '';
  if (cacheable) {
    const hit = cachedReport(flags.dataDir, inputs, query);
    if (hit) {
      process.stderr.write(hit.stderr);
      process.stdout.write(hit.stdout);
      return;
    }
  }
  const databaseBefore = cacheable ? databaseSignature(flags.dataDir) : undefined;
  const { engine, looked, empty, skipped, notes } = await openScanned(flags);
  let output: CachedOutput | undefined;
  let writer = false;
  try {
    if (empty) sayNothingFound(looked);
    const input = {
      store: engine.store,
      flags,
      range: { ...dayBounds(flags.tz, flags.since, flags.until), costRules: flags.costRules },
      now: Date.now(),
    };
    let r: Rendered;
    if (kind === 'blocks') r = blocksReport(input);
    else if (scope === 'codex') r = codexShaped(input, kind as 'daily' | 'monthly' | 'session');
    else if (scope === 'all') r = unified(input, kind);
    else r = claudeShaped(input, kind, scope === 'report' ? 'all' : scope, scope === 'report');
    // Agents whose usage is not in local files (Cursor) are said, not shown as $0.
    const stderr = notes.map((note) => `token-cost: ${note}\n`).join('');
    process.stderr.write(stderr);
    if (scope === 'report' && notes.length) r = { ...r, json: { ...(r.json as object), notes } };
    // `report`'s JSON also says what this run skipped (only when anything was); the ccusage forms
    // keep exactly ccusage's keys, and say it on stderr only.
    if (scope === 'report' && skipped) r = { ...r, json: { ...(r.json as object), skipped } };
    const stdout = printed(r, flags);
    process.stdout.write(stdout);
    // Tests stop here to kill the process between the report and the database's snapshot.
    if (process.env.TOKEN_COST_TEST_STOP_AFTER_REPORT === '1') process.kill(process.pid, 'SIGSTOP');
    // Not kept: "nothing found" (said on stderr by the scan), and `report`'s JSON naming what this run skipped.
    if (!empty && !(scope === 'report' && skipped)) output = { stdout, stderr };
    writer = engine.role === 'writer';
  } finally {
    await engine.close();
  }
  if (cacheable && output && (writer || databaseBefore !== undefined))
    storeReport(flags.dataDir, inputs, query, output, writer ? undefined : databaseBefore);
}

/** Scanner + heartbeat server, headless, until SIGINT/SIGTERM. */
async function serve(flags: Flags): Promise<number> {
  const say = (m: string) => process.stderr.write(`${m}\n`);
  const log = flags.verbose ? say : undefined;
  const options = engineOptions(flags, say);
  const prices = options.prices();
  const dbFile = options.dbFile!;
  const roots = () => cliRoots(flags);
  const engine = await UsageEngine.open(options);
  if (engine.recoveryMessage) say(`token-cost: ${engine.recoveryMessage}`);
  const key = loadOrCreateKeyFile(flags.dataDir);
  let failed: string | undefined;
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
    onProblem: (m) => {
      failed = m;
      say(`token-cost: ${m}`);
    },
    onDidChange: (url) => {
      if (url)
        say(`Serving on ${url} (heartbeats: ${url}/api/agents/<id>/heartbeat). API key: ${key.created ? 'created in ' : ''}${key.source}.`);
    },
  });
  if (engine.role !== 'writer') say(`Another process writes ${dbFile}; this one serves once it takes over.`);
  await supervisor.reconfigure();
  // A busy port is final only when no other token-cost process serves this folder: one that
  // paused and lost the lock holds it until it notices, and the supervisor keeps trying until then.
  const peer = readDiscovery(flags.dataDir)?.pid;
  const peerAlive =
    peer !== undefined &&
    peer !== process.pid &&
    (() => {
      try {
        return process.kill(peer, 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    })();
  if (failed && engine.role === 'writer' && !peerAlive) {
    await supervisor.dispose();
    await engine.close();
    return 1;
  }
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

export async function main(argv: string[]): Promise<number> {
  let key: string | undefined;
  try {
    const { words, at } = positionalWords(argv);
    // Normally dist/cli.js sends `statusline` to its own bundle; this is the same command.
    if (words[0] === 'statusline') return await statusline(argv.slice(argv.indexOf('statusline') + 1));
    if (words[0] === 'help') {
      if (words[1] === 'statusline') process.stdout.write(STATUSLINE_HELP);
      else if (words.length === 1) process.stdout.write(OVERVIEW);
      else process.stdout.write(helpOf(commandFor(words.slice(1)).command));
      return 0;
    }
    if (words.length === 0) {
      const bare = parseFor('', [...REPORT_FLAGS], argv);
      if (bare.version) process.stdout.write(`${packageVersion}\n`);
      else if (bare.help || argv.length === 0) process.stdout.write(OVERVIEW);
      // Options alone run the daily report over every agent, as a bare `ccusage --json` does.
      else await runReport('all', 'daily', bare.flags);
      return 0;
    }
    if (words.length === 1 && isScopeWord(words[0]) && words[0] !== 'report' && argv.some((a) => a === '--help' || a === '-h')) {
      const kinds = SCOPE_KINDS[words[0]];
      const label = words[0] === 'claude' ? 'Claude Code' : words[0] === 'codex' ? 'Codex CLI' : agentById(words[0])!.label;
      process.stdout.write(
        `${label} reports:\n${kinds.map((k) => `  token-cost ${words[0]} ${k.padEnd(8)} ${KIND_SUMMARY[k]}`).join('\n')}\n\n` +
          `Run "token-cost ${words[0]} <report> --help" for a report's options and examples.\n`,
      );
      return 0;
    }
    const c = commandFor(words);
    key = c.key;
    // The command's own words leave argv; its arguments stay for its parse.
    const commandAt = new Set(at.slice(0, words.length - c.rest.length));
    const parsed = parseFor(
      c.key,
      c.command.flags,
      argv.filter((_, i) => !commandAt.has(i)),
    );
    if (parsed.version) {
      process.stdout.write(`${packageVersion}\n`);
      return 0;
    }
    if (parsed.help) {
      process.stdout.write(helpOf(c.command));
      return 0;
    }
    const extra = parsed.positionals;
    if (c.scope !== undefined) {
      if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`, c.key);
      await runReport(c.scope, c.kind!, parsed.flags);
      return 0;
    }
    switch (c.key) {
      case 'serve':
        if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`, c.key);
        return await serve(parsed.flags);
      case 'log':
        await logUsage(extra, parsed.flags);
        return 0;
      case 'today':
        if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`, c.key);
        await todayReport(parsed.flags);
        return 0;
      case 'project':
        if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`, c.key);
        await projectReport(parsed.flags);
        return 0;
      case 'cost':
        costEstimate(extra, parsed.flags);
        return 0;
      case 'push':
        if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`, c.key);
        await push(parsed.flags);
        return 0;
      case 'limits':
        if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`, c.key);
        limitsCommand(parsed.flags);
        return 0;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`token-cost: ${(err as Error).message}\n`);
    if (err instanceof UsageError) {
      const c = err.command ?? key;
      process.stderr.write(c ? `Run "token-cost ${c} --help" for its options.\n` : 'Run "token-cost --help" for the commands.\n');
      return 2;
    }
    return 1;
  }
}
