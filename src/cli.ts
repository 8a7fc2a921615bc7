#!/usr/bin/env node
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageEngine } from './core/engine';
import { usageRoots } from './core/ingest/roots';
import { PriceTable, type CostMode } from './core/pricing/pricing';
import { dailyReport, dayBounds, periodReport, sessionReport, totals, type DailyEntry } from './core/query';
import { parseDayKey, systemTimeZone, validateTimeZone } from './core/time';

const USAGE = `token-cost: what your coding agents cost, from the same engine as the VS Code extension.

Usage:
  token-cost report daily|weekly|monthly|session [--json] [--since YYYY-MM-DD] [--until YYYY-MM-DD]
                          [--tz ZONE] [--mode auto|calculate|display] [--data-dir DIR]
                          [--workspace DIR [--glob GLOB]…] [--verbose]

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
  workspaces: string[];
  globs: string[];
}

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME?.trim() || path.join(process.env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'token-cost-dashboard');
}

function parseFlags(args: string[]): { positional: string[]; flags: Flags } {
  const flags: Flags = { json: false, verbose: false, tz: systemTimeZone(), mode: 'auto', dataDir: defaultDataDir(), workspaces: [], globs: [] };
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

type Figures = Pick<DailyEntry, 'inputTokens' | 'outputTokens' | 'cacheCreationTokens' | 'cacheReadTokens' | 'totalTokens' | 'totalCost'>;
const figures = (d: Figures) => [fmtInt(d.inputTokens), fmtInt(d.outputTokens), fmtInt(d.cacheCreationTokens), fmtInt(d.cacheReadTokens),
  fmtInt(d.totalTokens), `$${d.totalCost.toFixed(2)}`];
const FIGURE_HEAD = ['Input', 'Output', 'Cache write', 'Cache read', 'Total tokens', 'Cost'];

async function report(kind: string, flags: Flags): Promise<void> {
  if (!(REPORTS as readonly string[]).includes(kind)) throw new UsageError(`Unknown report "${kind}" (available: ${REPORTS.join(', ')})`);
  const log = flags.verbose ? (m: string) => process.stderr.write(`${m}\n`) : undefined;
  const prices = new PriceTable();
  const engine = await UsageEngine.open({
    dbFile: path.join(flags.dataDir, 'usage.sqlite'),
    roots: () => usageRoots({ workspaces: flags.workspaces.map((folder) => ({ folder, globs: flags.globs })) }),
    prices: () => prices,
    costMode: () => flags.mode,
    log,
  });
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
    process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : text);
  } finally {
    await engine.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { positional, flags } = parseFlags(argv);
    const [command, sub] = positional;
    switch (command) {
      case 'report':
        await report(sub ?? 'daily', flags);
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
