/**
 * The CLI's commands, their flags and help, and how argv names one: shared by main.ts and by the
 * report cache's early answer (cachedMain.ts), which must read a command exactly as main does.
 * Only data and the flag parser here: loading it loads no engine, server or database code.
 */
import { parseArgs } from 'node:util';
import type { AgentId } from '../core/ingest/agents';
import { AGENTS, agentById } from '../core/ingest/registry';
import { usageRoots } from '../core/ingest/roots';
import { OPTIONS, optionHelp, parseFor, UsageError, type Flags, type OptionName } from './options';
import type { AgentScope, ReportKind } from './reports';

export const REPORT_FLAGS: OptionName[] = [
  'json',
  'since',
  'until',
  'timezone',
  'tz',
  'mode',
  'cost-rules',
  'breakdown',
  'order',
  'offline',
  'no-offline',
  'color',
  'no-color',
  'compact',
  'all',
  'single-thread',
  'data-dir',
  'workspace',
  'glob',
  'verbose',
];
export const SOURCE_FLAGS: OptionName[] = ['timezone', 'tz', 'mode', 'cost-rules', 'data-dir', 'workspace', 'glob', 'verbose'];

export const KIND_FLAGS: Record<ReportKind, OptionName[]> = {
  daily: REPORT_FLAGS,
  weekly: [...REPORT_FLAGS, 'start-of-week'],
  monthly: REPORT_FLAGS,
  session: [...REPORT_FLAGS, 'id'],
  blocks: [...REPORT_FLAGS, 'active', 'recent', 'token-limit'],
};

export const KIND_SUMMARY: Record<ReportKind, string> = {
  daily: 'usage per day',
  weekly: 'usage per week',
  monthly: 'usage per month',
  session: 'usage per session',
  blocks: "Claude Code's 5-hour billing blocks: the running one with time left and projection",
};

/** Which reports each agent form offers, as ccusage 20.0.24 does. */
export const SCOPE_KINDS: Record<AgentScope | 'report', ReportKind[]> = {
  all: ['daily', 'weekly', 'monthly', 'session', 'blocks'],
  claude: ['daily', 'weekly', 'monthly', 'session', 'blocks'],
  codex: ['daily', 'monthly', 'session'],
  report: ['daily', 'weekly', 'monthly', 'session'],
  // The other agents (registry.ts): ccusage's per-agent reports, in its `claude` JSON shape.
  ...(Object.fromEntries(AGENTS.map((a) => [a.id, ['daily', 'weekly', 'monthly', 'session']])) as Record<AgentId, ReportKind[]>),
};

/** A word that names an agent scope or `report`. */
export const isScopeWord = (w: string | undefined): w is AgentScope | 'report' =>
  w === 'claude' || w === 'codex' || w === 'report' || agentById(w ?? '') !== undefined;

export interface Command {
  usage: string;
  summary: string;
  flags: OptionName[];
  details?: string;
  examples: string[];
}

export function reportCommand(scope: AgentScope | 'report', kind: ReportKind): Command {
  const prefix = scope === 'all' ? '' : `${scope} `;
  const who =
    kind === 'blocks'
      ? ''
      : scope === 'claude'
        ? 'Claude Code '
        : scope === 'codex'
          ? 'Codex CLI '
          : agentById(scope)
            ? `${agentById(scope)!.label} `
            : "every agent's ";
  const shape =
    scope === 'report'
      ? `JSON: ccusage's \`claude ${kind}\` shape over every agent (this CLI's own form; weeks start on Monday).`
      : `JSON: the keys ccusage 20.0.24 prints for \`ccusage ${prefix}${kind} --json\`.`;
  return {
    usage: `token-cost ${prefix}${kind} [options]`,
    summary: `${who}${KIND_SUMMARY[kind]}.`,
    flags: KIND_FLAGS[kind],
    details:
      shape +
      (kind === 'weekly' && scope === 'claude' ? ' Weeks start on Sunday unless --start-of-week says otherwise, as in ccusage.' : ''),
    examples:
      kind === 'blocks'
        ? [`token-cost ${prefix}blocks --active`, `token-cost ${prefix}blocks --recent --token-limit max --json`]
        : [
            `token-cost ${prefix}${kind} --since 20261101 --until 20261130`,
            `token-cost ${prefix}${kind} --json -z Europe/Berlin --breakdown`,
          ],
  };
}

export const COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'token-cost serve [options]',
    summary: 'Read transcripts continuously and serve the heartbeat endpoint and API on 127.0.0.1.',
    flags: ['port', ...SOURCE_FLAGS],
    details:
      'The API key is $TOKEN_COST_API_KEY, else DIR/api-key (created with mode 0600 on first run). The URL is written to DIR/server.json.',
    examples: ['token-cost serve', 'token-cost serve --port 0 --data-dir /tmp/tc'],
  },
  log: {
    usage: 'token-cost log <project> <task> <tokens> [options]',
    summary: 'Record a manual usage entry (token-tracker.sh log of the reference scripts).',
    flags: ['model', 'url', 'data-dir', 'json'],
    details:
      "Sent to the running server when one answers (this CLI's, found through server.json, or the VS Code extension's, with $TOKEN_COST_API_KEY); " +
      "otherwise written through the database's inbox, so it works with no server running. Without --model the tokens cost $0.",
    examples: [
      'token-cost log calm-ai-pm "Add AGENTS.md" 3500 --model claude-haiku-4-5',
      'token-cost log qa-automation "Fix flaky test" 2800',
    ],
  },
  today: {
    usage: 'token-cost today [options]',
    summary:
      "Today's spending (token-tracker.sh today): cost, tokens and requests, per agent; burn rate, active sessions, the month's projection and budget use.",
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
    summary:
      'Send all-time counters (tokens by type, cost, requests by user, machine, project, model and source) to Prometheus or an OTLP collector.',
    flags: ['remote-write', 'otlp', 'machine', 'user', 'project-label', 'json', ...SOURCE_FLAGS],
    details:
      'Reads the transcripts first, then sends cumulative totals from the database (never deltas), so pushing again, from a restart or a second ' +
      'window, changes nothing. Sent: the metric names token_cost_tokens_total, token_cost_cost_usd_total, token_cost_requests_total with the labels ' +
      'user, machine, project (the folder name; --project-label path for the whole path, none for no project), model, source (and type for tokens), and their values. No prompts, paths or session ids. Nothing is sent without a URL.',
    examples: [
      'token-cost push --remote-write http://prometheus:9090/api/v1/write',
      'token-cost push --otlp http://collector:4318/v1/metrics --user alice --machine ci-7',
    ],
  },
  limits: {
    usage: 'token-cost limits [options]',
    summary: 'Plan limits as the agents report them: the 5-hour and 7-day windows, used %, reset, and the pace.',
    flags: ['json', 'data-dir'],
    details:
      "Claude Code's readings come from `token-cost statusline` (DIR/limits.jsonl), Codex's from the newest token_count events of " +
      'its rollouts ($CODEX_HOME, else ~/.codex). Pace: at the rate so far in the window, the use at its reset and when it would reach 100 %. ' +
      'The JSON is the same as GET /api/limits.',
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

export function commandFor(words: string[]): {
  key: string;
  command: Command;
  scope?: AgentScope | 'report';
  kind?: ReportKind;
  rest: string[];
} {
  const [first, second, ...others] = words;
  if (isScopeWord(first)) {
    const kinds = SCOPE_KINDS[first];
    const kind = (second ?? (first === 'report' ? 'daily' : undefined)) as ReportKind | undefined;
    if (kind === undefined) throw new UsageError(`"${first}" needs a report: ${kinds.join(', ')}.`);
    if (!kinds.includes(kind))
      throw new UsageError(`Unknown report "${first} ${kind}" (available: ${kinds.map((k) => `${first} ${k}`).join(', ')}).`);
    return { key: `${first} ${kind}`, command: reportCommand(first, kind), scope: first, kind, rest: others };
  }
  if ((SCOPE_KINDS.all as string[]).includes(first)) {
    return {
      key: first,
      command: reportCommand('all', first as ReportKind),
      scope: 'all',
      kind: first as ReportKind,
      rest: words.slice(1),
    };
  }
  const command = COMMANDS[first];
  if (!command) throw new UsageError(`Unknown command "${first}".`);
  return { key: first, command, rest: words.slice(1) };
}

export function helpOf(c: Command): string {
  return `${c.summary}\n\nUsage:\n  ${c.usage}\n${c.details ? `\n${c.details}\n` : ''}\nOptions:\n${optionHelp(c.flags)}\n\nExamples:\n${c.examples.map((e) => `  ${e}`).join('\n')}\n`;
}

/** The words among the options (the command and its arguments), with where each is in argv. */
export function positionalWords(argv: string[]): { words: string[]; at: number[] } {
  const all: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(OPTIONS))
    all[name] = { type: o.type, ...('short' in o ? { short: o.short } : {}), ...('multiple' in o ? { multiple: true } : {}) };
  // Not strict: the command's own strict parse reports unknown flags, naming the command.
  const positional = parseArgs({ args: argv, options: all, allowPositionals: true, strict: false, tokens: true }).tokens.filter(
    (t) => t.kind === 'positional',
  );
  return { words: positional.map((t) => (t as { value: string }).value), at: positional.map((t) => t.index) };
}

/**
 * The report a command line runs, with its flags, when it runs one (not for help, --version,
 * other commands or a usage error, which main.ts answers): the same steps as main().
 */
export function reportInvocation(argv: string[]): { scope: AgentScope | 'report'; kind: ReportKind; flags: Flags } | undefined {
  try {
    const { words, at } = positionalWords(argv);
    if (words[0] === 'statusline' || words[0] === 'help') return undefined;
    if (words.length === 0) {
      if (argv.length === 0) return undefined;
      const bare = parseFor('', [...REPORT_FLAGS], argv);
      return bare.version || bare.help ? undefined : { scope: 'all', kind: 'daily', flags: bare.flags };
    }
    const c = commandFor(words);
    if (c.scope === undefined) return undefined;
    const commandAt = new Set(at.slice(0, words.length - c.rest.length));
    const parsed = parseFor(
      c.key,
      c.command.flags,
      argv.filter((_, i) => !commandAt.has(i)),
    );
    if (parsed.version || parsed.help || parsed.positionals.length) return undefined;
    return { scope: c.scope, kind: c.kind!, flags: parsed.flags };
  } catch {
    return undefined;
  }
}

/** Claude Code and Codex folders as the extension reads them, plus any --workspace folders. */
export function cliRoots(flags: Flags) {
  return usageRoots({ workspaces: flags.workspaces.map((folder) => ({ folder, globs: flags.globs })) });
}
