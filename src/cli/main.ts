import { parseArgs } from 'node:util';
import { version as packageVersion } from '../../package.json';
import { UsageEngine } from '../core/engine';
import { TranscriptWatcher } from '../core/ingest/watcher';
import type { AgentId } from '../core/ingest/agents';
import { AGENTS, agentById } from '../core/ingest/registry';
import { dayBounds } from '../core/query';
import { loadOrCreateKeyFile } from '../core/server/apiKey';
import { readDiscovery } from '../core/server/discovery';
import { ServerSupervisor } from '../core/server/supervisor';
import { OPTIONS, optionHelp, parseFor, UsageError, type Flags, type OptionName } from './options';
import { blocksReport, claudeShaped, codexShaped, unified, type AgentScope, type Rendered, type ReportKind } from './reports';
import { push } from './push';
import { cliRoots, engineOptions, openScanned, sayNothingFound } from './scan';
import { cachedReport, databaseSignature, inputState, queryKey, storeReport, type CachedOutput } from './reportCache';
import { costEstimate, logUsage, projectReport, todayReport } from './seedVerbs';
import { limitsCommand } from './limitsVerb';
import { statusline, STATUSLINE_HELP } from './statusline';

const REPORT_FLAGS: OptionName[] = [
  'json', 'since', 'until', 'timezone', 'tz', 'mode', 'cost-rules', 'breakdown', 'order', 'offline', 'no-offline', 'color', 'no-color',
  'compact', 'all', 'single-thread', 'data-dir', 'workspace', 'glob', 'verbose',
];
const SOURCE_FLAGS: OptionName[] = ['timezone', 'tz', 'mode', 'cost-rules', 'data-dir', 'workspace', 'glob', 'verbose'];

const KIND_FLAGS: Record<ReportKind, OptionName[]> = {
  daily: REPORT_FLAGS,
  weekly: [...REPORT_FLAGS, 'start-of-week'],
  monthly: REPORT_FLAGS,
  session: [...REPORT_FLAGS, 'id'],
  blocks: [...REPORT_FLAGS, 'active', 'recent', 'token-limit'],
};

const KIND_SUMMARY: Record<ReportKind, string> = {
  daily: 'usage per day',
  weekly: 'usage per week',
  monthly: 'usage per month',
  session: 'usage per session',
  blocks: "Claude Code's 5-hour billing blocks: the running one with time left and projection",
};

/** Which reports each agent form offers, as ccusage 20.0.24 does. */
const SCOPE_KINDS: Record<AgentScope | 'report', ReportKind[]> = {
  all: ['daily', 'weekly', 'monthly', 'session', 'blocks'],
  claude: ['daily', 'weekly', 'monthly', 'session', 'blocks'],
  codex: ['daily', 'monthly', 'session'],
  report: ['daily', 'weekly', 'monthly', 'session'],
  // The other agents (registry.ts): ccusage's per-agent reports, in its `claude` JSON shape.
  ...(Object.fromEntries(AGENTS.map((a) => [a.id, ['daily', 'weekly', 'monthly', 'session']])) as Record<AgentId, ReportKind[]>),
};

/** A word that names an agent scope or `report`. */
const isScopeWord = (w: string | undefined): w is AgentScope | 'report' => w === 'claude' || w === 'codex' || w === 'report' || agentById(w ?? '') !== undefined;

interface Command {
  usage: string;
  summary: string;
  flags: OptionName[];
  details?: string;
  examples: string[];
}

function reportCommand(scope: AgentScope | 'report', kind: ReportKind): Command {
  const prefix = scope === 'all' ? '' : `${scope} `;
  const who = kind === 'blocks' ? '' : scope === 'claude' ? 'Claude Code ' : scope === 'codex' ? 'Codex CLI ' : agentById(scope) ? `${agentById(scope)!.label} ` : 'every agent\'s ';
  const shape = scope === 'report'
    ? `JSON: ccusage's \`claude ${kind}\` shape over every agent (this CLI's own form; weeks start on Monday).`
    : `JSON: the keys ccusage 20.0.24 prints for \`ccusage ${prefix}${kind} --json\`.`;
  return {
    usage: `token-cost ${prefix}${kind} [options]`,
    summary: `${who}${KIND_SUMMARY[kind]}.`,
    flags: KIND_FLAGS[kind],
    details: shape + (kind === 'weekly' && scope === 'claude' ? ' Weeks start on Sunday unless --start-of-week says otherwise, as in ccusage.' : ''),
    examples: kind === 'blocks'
      ? [`token-cost ${prefix}blocks --active`, `token-cost ${prefix}blocks --recent --token-limit max --json`]
      : [`token-cost ${prefix}${kind} --since 20261101 --until 20261130`, `token-cost ${prefix}${kind} --json -z Europe/Berlin --breakdown`],
  };
}

const COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'token-cost serve [options]',
    summary: 'Read transcripts continuously and serve the heartbeat endpoint and API on 127.0.0.1.',
    flags: ['port', ...SOURCE_FLAGS],
    details: 'The API key is $TOKEN_COST_API_KEY, else DIR/api-key (created with mode 0600 on first run). The URL is written to DIR/server.json.',
    examples: ['token-cost serve', 'token-cost serve --port 0 --data-dir /tmp/tc'],
  },
  log: {
    usage: 'token-cost log <project> <task> <tokens> [options]',
    summary: 'Record a manual usage entry (token-tracker.sh log of the reference scripts).',
    flags: ['model', 'url', 'data-dir', 'json'],
    details: 'Sent to the running server when one answers (this CLI\'s, found through server.json, or the VS Code extension\'s, with $TOKEN_COST_API_KEY); '
      + 'otherwise written through the database\'s inbox, so it works with no server running. Without --model the tokens cost $0.',
    examples: ['token-cost log calm-ai-pm "Add AGENTS.md" 3500 --model claude-haiku-4-5', 'token-cost log qa-automation "Fix flaky test" 2800'],
  },
  today: {
    usage: 'token-cost today [options]',
    summary: "Today's spending (token-tracker.sh today): cost, tokens and requests, per agent; burn rate, active sessions, the month's projection and budget use.",
    flags: ['json', 'daily-budget', 'monthly-budget', ...SOURCE_FLAGS],
    examples: ['token-cost today', 'token-cost today --json -z America/New_York'],
  },
  project: {
    usage: 'token-cost project [options]',
    summary: 'Spending per project (token-tracker.sh project), most expensive first.',
    flags: ['json', 'since', 'until', ...SOURCE_FLAGS],
    examples: ['token-cost project', 'token-cost project --since 20261101 --json'],
  },
  push: {
    usage: 'token-cost push --remote-write URL | --otlp URL [options]',
    summary: 'Send all-time counters (tokens by type, cost, requests by user, machine, project, model and source) to Prometheus or an OTLP collector.',
    flags: ['remote-write', 'otlp', 'machine', 'user', 'project-label', 'json', ...SOURCE_FLAGS],
    details: 'Reads the transcripts first, then sends cumulative totals from the database (never deltas), so pushing again, from a restart or a second '
      + 'window, changes nothing. Sent: the metric names token_cost_tokens_total, token_cost_cost_usd_total, token_cost_requests_total with the labels '
      + 'user, machine, project (the folder name; --project-label path for the whole path, none for no project), model, source (and type for tokens), and their values. No prompts, paths or session ids. Nothing is sent without a URL.',
    examples: ['token-cost push --remote-write http://prometheus:9090/api/v1/write', 'token-cost push --otlp http://collector:4318/v1/metrics --user alice --machine ci-7'],
  },
  limits: {
    usage: 'token-cost limits [options]',
    summary: "Plan limits as the agents report them: the 5-hour and 7-day windows, used %, reset, and the pace.",
    flags: ['json', 'data-dir'],
    details: "Claude Code's readings come from `token-cost statusline` (DIR/limits.jsonl), Codex's from the newest token_count events of "
      + 'its rollouts ($CODEX_HOME, else ~/.codex). Pace: at the rate so far in the window, the use at its reset and when it would reach 100 %. '
      + 'The JSON is the same as GET /api/limits.',
    examples: ['token-cost limits', 'token-cost limits --json'],
  },
  cost: {
    usage: 'token-cost cost <tokens> [options]',
    summary: 'What <tokens> would cost (token-tracker.sh cost), counted as `log` counts them: as input tokens of --model.',
    flags: ['model', 'json'],
    details: 'The model defaults to claude-haiku-4-5, the model the reference scripts price with.',
    examples: ['token-cost cost 50000', 'token-cost cost 50000 --model claude-sonnet-4-5'],
  },
};

function commandFor(words: string[]): { key: string; command: Command; scope?: AgentScope | 'report'; kind?: ReportKind; rest: string[] } {
  const [first, second, ...others] = words;
  if (isScopeWord(first)) {
    const kinds = SCOPE_KINDS[first];
    const kind = (second ?? (first === 'report' ? 'daily' : undefined)) as ReportKind | undefined;
    if (kind === undefined) throw new UsageError(`"${first}" needs a report: ${kinds.join(', ')}.`);
    if (!kinds.includes(kind)) throw new UsageError(`Unknown report "${first} ${kind}" (available: ${kinds.map((k) => `${first} ${k}`).join(', ')}).`);
    return { key: `${first} ${kind}`, command: reportCommand(first, kind), scope: first, kind, rest: others };
  }
  if ((SCOPE_KINDS.all as string[]).includes(first)) {
    return { key: first, command: reportCommand('all', first as ReportKind), scope: 'all', kind: first as ReportKind, rest: words.slice(1) };
  }
  const command = COMMANDS[first];
  if (!command) throw new UsageError(`Unknown command "${first}".`);
  return { key: first, command, rest: words.slice(1) };
}

function helpOf(c: Command): string {
  return `${c.summary}\n\nUsage:\n  ${c.usage}\n${c.details ? `\n${c.details}\n` : ''}\nOptions:\n${optionHelp(c.flags)}\n\nExamples:\n${c.examples.map((e) => `  ${e}`).join('\n')}\n`;
}

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
  // Blocks depend on the time of the run (the running block, --recent); --verbose says what the scan read.
  const cacheable = kind !== 'blocks' && !flags.verbose;
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
    const input = { store: engine.store, flags, range: { ...dayBounds(flags.tz, flags.since, flags.until), costRules: flags.costRules }, now: Date.now() };
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
  if (cacheable && output && (writer || databaseBefore !== undefined)) storeReport(flags.dataDir, inputs, query, output, writer ? undefined : databaseBefore);
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

/** The words among the options (the command and its arguments), with where each is in argv. */
function positionalWords(argv: string[]): { words: string[]; at: number[] } {
  const all: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(OPTIONS)) all[name] = { type: o.type, ...('short' in o ? { short: o.short } : {}), ...('multiple' in o ? { multiple: true } : {}) };
  // Not strict: the command's own strict parse reports unknown flags, naming the command.
  const positional = parseArgs({ args: argv, options: all, allowPositionals: true, strict: false, tokens: true }).tokens.filter((t) => t.kind === 'positional');
  return { words: positional.map((t) => (t as { value: string }).value), at: positional.map((t) => t.index) };
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
      process.stdout.write(`${label} reports:\n${kinds.map((k) => `  token-cost ${words[0]} ${k.padEnd(8)} ${KIND_SUMMARY[k]}`).join('\n')}\n\n`
        + `Run "token-cost ${words[0]} <report> --help" for a report's options and examples.\n`);
      return 0;
    }
    const c = commandFor(words);
    key = c.key;
    // The command's own words leave argv; its arguments stay for its parse.
    const commandAt = new Set(at.slice(0, words.length - c.rest.length));
    const parsed = parseFor(c.key, c.command.flags, argv.filter((_, i) => !commandAt.has(i)));
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
