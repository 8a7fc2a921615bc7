/**
 * The CLI's flags, on `node:util` parseArgs. Every command names the flags it takes; its help is
 * generated from the same table, so the help and the parser cannot disagree. Flag names and short
 * forms follow ccusage 20.0.24 where ccusage has the flag, so scripts written for it run unchanged.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../core/limitsLog';
import { parseDayKey, systemTimeZone, validateTimeZone } from '../core/time';

/** A mistake in how the command was called: exit code 2, with the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  value?: string;
  help: string;
}

/** Every flag any command takes. */
export const OPTIONS = {
  json: { type: 'boolean', short: 'j', help: 'Print JSON (the same keys as ccusage prints for the same command).' },
  since: { type: 'string', short: 's', value: 'DATE', help: 'First day to include, YYYYMMDD or YYYY-MM-DD (a day in --timezone).' },
  until: { type: 'string', short: 'u', value: 'DATE', help: 'Last day to include (inclusive), YYYYMMDD or YYYY-MM-DD.' },
  timezone: {
    type: 'string',
    short: 'z',
    value: 'ZONE',
    help: 'IANA time zone that decides the day of each request (default: the system zone).',
  },
  tz: { type: 'string', value: 'ZONE', help: 'Same as --timezone.' },
  mode: { type: 'string', short: 'm', value: 'MODE', help: 'Cost mode: auto (a cost the agent wrote, else prices), calculate or display.' },
  'cost-rules': {
    type: 'string',
    value: 'RULES',
    help: 'ccusage (default: price each request as ccusage does) or api (as the provider bills).',
  },
  breakdown: { type: 'boolean', short: 'b', help: 'A row per model under each period or session in the table (the JSON always has them).' },
  order: { type: 'string', short: 'o', value: 'ORDER', help: 'asc (default, oldest first) or desc.' },
  'start-of-week': { type: 'string', short: 'w', value: 'DAY', help: 'First day of a week: sunday … saturday.' },
  offline: { type: 'boolean', short: 'O', help: 'Accepted for ccusage compatibility: prices always come from the bundled table.' },
  'no-offline': { type: 'boolean', help: 'Accepted for ccusage compatibility; nothing is fetched either way.' },
  color: { type: 'boolean', help: 'Accepted for ccusage compatibility (the output has no colours).' },
  'no-color': { type: 'boolean', help: 'Accepted for ccusage compatibility (the output has no colours).' },
  compact: { type: 'boolean', help: 'Accepted for ccusage compatibility (the table is already compact).' },
  all: { type: 'boolean', help: 'Accepted for ccusage compatibility: every agent is included anyway.' },
  'single-thread': { type: 'boolean', help: 'Read and parse transcripts in one thread (no worker threads), as in ccusage.' },
  id: { type: 'string', short: 'i', value: 'ID', help: 'Only this session.' },
  active: { type: 'boolean', short: 'a', help: 'Only the running block, with its projection.' },
  recent: { type: 'boolean', short: 'r', help: 'Only blocks of the last 3 days (and the running one).' },
  'token-limit': {
    type: 'string',
    short: 't',
    value: 'N',
    help: 'Token limit of a block, a number or "max" (the largest past block): adds tokenLimitStatus.',
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    help: 'Folder of the database this CLI keeps (default: $XDG_DATA_HOME/token-cost-dashboard).',
  },
  workspace: { type: 'string', multiple: true, value: 'DIR', help: 'Also read JSONL files in this folder (repeatable).' },
  glob: {
    type: 'string',
    multiple: true,
    value: 'GLOB',
    help: "Which files of --workspace to read (repeatable; default: the extension's defaults).",
  },
  verbose: { type: 'boolean', help: 'Print what was read and, per file, the lines skipped.' },
  port: { type: 'string', value: 'N', help: 'Port to listen on, 0 to 65535 (default 8787; 0 = any free port).' },
  model: { type: 'string', value: 'MODEL', help: 'Model the tokens were used with (prices them).' },
  url: { type: 'string', value: 'URL', help: 'Server to send to (default: found through server.json).' },
  'daily-budget': {
    type: 'string',
    value: 'USD',
    help: "Daily budget: adds how much of it today used (the extension's tokenCost.budget.daily).",
  },
  'monthly-budget': {
    type: 'string',
    value: 'USD',
    help: 'Monthly budget: adds how much of it this month used (tokenCost.budget.monthly).',
  },
  'remote-write': {
    type: 'string',
    value: 'URL',
    help: 'Prometheus remote-write endpoint to push the counters to (e.g. http://prometheus:9090/api/v1/write).',
  },
  otlp: {
    type: 'string',
    value: 'URL',
    help: 'OTLP/HTTP metrics endpoint to push the counters to (e.g. http://collector:4318/v1/metrics).',
  },
  machine: { type: 'string', value: 'NAME', help: 'The machine label of what is pushed (default: the host name).' },
  user: { type: 'string', value: 'NAME', help: 'The user label of what is pushed (default: the OS user name).' },
  'project-label': {
    type: 'string',
    value: 'WHAT',
    help: "The project label push sends: name (default: the project folder's name), path (the whole path) or none (all projects as one).",
  },
  help: { type: 'boolean', short: 'h', help: 'Show this help.' },
  version: { type: 'boolean', short: 'v', help: 'Print the version.' },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** What a command is called with, once checked. */
export interface Flags {
  json: boolean;
  verbose: boolean;
  /** --single-thread: no parse workers. */
  singleThread: boolean;
  since?: string;
  until?: string;
  tz: string;
  mode: 'auto' | 'calculate' | 'display';
  costRules: 'ccusage' | 'api';
  breakdown: boolean;
  order: 'asc' | 'desc';
  /** 0 Sunday … 6 Saturday; undefined: the report's own default. */
  startOfWeek?: number;
  sessionId?: string;
  active: boolean;
  recent: boolean;
  tokenLimit?: number | 'max';
  dataDir: string;
  /** --data-dir was given (log then writes only there). */
  dataDirGiven: boolean;
  port: number;
  model?: string;
  url?: string;
  workspaces: string[];
  globs: string[];
  budget: { daily?: number; monthly?: number };
  remoteWrite?: string;
  otlp?: string;
  machine: string;
  user: string;
  projectLabel: 'name' | 'path' | 'none';
}

// The status-line command, which must not load this module's imports, shares the definition.
export { defaultDataDir };

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** `YYYYMMDD` or `YYYY-MM-DD` of a real calendar day, as `YYYY-MM-DD`. */
export function parseDay(flag: string, value: string, command: string): string {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  const day = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : value;
  try {
    const p = parseDayKey(day);
    // parseDayKey allows the 31st of every month; a real day survives the round trip.
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day));
    if (d.getUTCMonth() !== p.month - 1) throw new Error('no such day');
  } catch {
    throw new UsageError(`${flag} "${value}" is not a date: use YYYYMMDD or YYYY-MM-DD, e.g. 20261101 or 2026-11-01.`, command);
  }
  return day;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[], command: string): T {
  const v = value.toLowerCase() as T;
  if (!allowed.includes(v))
    throw new UsageError(`${flag} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)} (got "${value}").`, command);
  return v;
}

function httpUrl(flag: string, value: string | undefined, command: string): string | undefined {
  if (value === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} "${value}" is not a URL: give http://host:port/path.`, command);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`${flag} must be an http:// or https:// URL (got "${value}").`, command);
  return u.toString();
}

function label(flag: string, value: string, command: string): string {
  const v = value.trim();
  // eslint-disable-next-line no-control-regex
  if (v === '' || v.length > 128 || /[\u0000-\u001f\u007f]/.test(v))
    throw new UsageError(`${flag} must be 1 to 128 characters without control characters.`, command);
  return v;
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** parseArgs with the command's flags only; an unknown flag or a missing value is a UsageError. */
export function parseFor(
  command: string,
  allowed: readonly OptionName[],
  args: string[],
): { positionals: string[]; flags: Flags; help: boolean; version: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const name of [...allowed, 'help', 'version'] as OptionName[]) {
    const o: OptionSpec = OPTIONS[name];
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs' messages are clear ("Unknown option '--x'", "Option '-s, --since <value>' argument missing").
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'), command);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const str = (k: OptionName) => v[k] as string | undefined;
  const flags: Flags = {
    json: v.json === true,
    verbose: v.verbose === true,
    singleThread: v['single-thread'] === true,
    tz: systemTimeZone(),
    mode: 'auto',
    costRules: 'ccusage',
    breakdown: v.breakdown === true,
    order: 'asc',
    active: v.active === true,
    recent: v.recent === true,
    dataDir: defaultDataDir(),
    dataDirGiven: false,
    port: 8787,
    model: str('model'),
    url: str('url')?.replace(/\/+$/, ''),
    workspaces: ((v.workspace as string[] | undefined) ?? []).map((w) => path.resolve(w)),
    globs: (v.glob as string[] | undefined) ?? [],
    budget: {},
    remoteWrite: httpUrl('--remote-write', str('remote-write'), command),
    otlp: httpUrl('--otlp', str('otlp'), command),
    machine: label('--machine', str('machine') ?? os.hostname(), command),
    user: label('--user', str('user') ?? osUser(), command),
    projectLabel: 'name',
  };
  if (str('since') !== undefined) flags.since = parseDay('--since', str('since')!, command);
  if (str('until') !== undefined) flags.until = parseDay('--until', str('until')!, command);
  if (flags.since && flags.until && flags.since > flags.until) {
    throw new UsageError(`--since ${flags.since} is after --until ${flags.until}: nothing could match.`, command);
  }
  const zone = str('timezone') ?? str('tz');
  if (zone !== undefined) {
    try {
      flags.tz = validateTimeZone(zone);
    } catch (err) {
      throw new UsageError((err as Error).message, command);
    }
  }
  if (str('mode') !== undefined) flags.mode = oneOf('--mode', str('mode')!, ['auto', 'calculate', 'display'] as const, command);
  if (str('cost-rules') !== undefined) flags.costRules = oneOf('--cost-rules', str('cost-rules')!, ['ccusage', 'api'] as const, command);
  if (str('project-label') !== undefined)
    flags.projectLabel = oneOf('--project-label', str('project-label')!, ['name', 'path', 'none'] as const, command);
  if (str('order') !== undefined) flags.order = oneOf('--order', str('order')!, ['asc', 'desc'] as const, command);
  if (str('start-of-week') !== undefined)
    flags.startOfWeek = WEEKDAYS.indexOf(oneOf('--start-of-week', str('start-of-week')!, WEEKDAYS, command));
  if (str('id') !== undefined) flags.sessionId = str('id');
  const limit = str('token-limit');
  if (limit !== undefined) {
    if (limit === 'max') flags.tokenLimit = 'max';
    else if (/^\d{1,15}$/.test(limit) && Number(limit) > 0) flags.tokenLimit = Number(limit);
    else throw new UsageError(`--token-limit must be a whole number of tokens or "max" (got "${limit}").`, command);
  }
  if (str('data-dir') !== undefined) {
    flags.dataDir = path.resolve(str('data-dir')!);
    flags.dataDirGiven = true;
  }
  for (const [flag, key] of [
    ['daily-budget', 'daily'],
    ['monthly-budget', 'monthly'],
  ] as const) {
    const raw = str(flag);
    if (raw === undefined) continue;
    if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0)
      throw new UsageError(`--${flag} must be an amount of USD above 0, e.g. 20 or 7.5 (got "${raw}").`, command);
    flags.budget[key] = Number(raw);
  }
  const port = str('port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
      throw new UsageError('--port must be a number from 0 to 65535 (0 = any free port).', command);
    flags.port = Number(port);
  }
  return { positionals: parsed.positionals, flags, help: v.help === true, version: v.version === true };
}

/** `  -s, --since DATE   First day…` lines for a command's help. */
export function optionHelp(allowed: readonly OptionName[]): string {
  const rows = [...allowed, 'help', 'version'].map((name) => {
    const o: OptionSpec = OPTIONS[name as OptionName];
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [left, o.help];
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}
