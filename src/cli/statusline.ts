/**
 * `token-cost statusline`: Claude Code's status-line command. Claude Code runs it after every
 * reply with a JSON object on stdin; it records the plan-limit reading in limits.jsonl (the
 * running extension follows that file), and prints one line. It never opens the database: this
 * module and its imports are node built-ins plus src/core/limits.ts and limitsLog.ts, bundled on
 * their own into dist/statuslineMain.js (bench/statusline.mjs measures it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { limitsReport, limitsShort, parseStatusLine } from '../core/limits';
import { appendLimitSnapshot, defaultDataDir, readTodayCache } from '../core/limitsLog';

export const STATUSLINE_HELP = `Claude Code's status line: records the plan limits it reports and prints a compact line.

Usage:
  token-cost statusline [--data-dir DIR] [--chain "<command>"]

Set it in ~/.claude/settings.json as {"statusLine": {"type": "command", "command": "token-cost statusline"}}
(or run "Token Cost: Set Up Claude Code Status Line" in VS Code). It reads the JSON Claude Code
pipes on stdin, appends the 5-hour and 7-day readings to DIR/limits.jsonl, and prints e.g.
  $3.42 today · $0.81 session · 5h 42% (2h 05m) · 7d 18% (3d 4h)
Today's cost comes from DIR/today.json, which VS Code and the CLI reports keep current; it is left
out when that file is not from today.

Options:
  --data-dir DIR       Folder of limits.jsonl and today.json (default: $XDG_DATA_HOME/token-cost-dashboard).
  --chain "<command>"  Also run your previous status-line command with the same stdin and print its
                       output after ours (it is stopped after 2 seconds).
  -h, --help           Show this help.
`;

/** A chained command that has not answered by then is stopped, with everything it started. */
const CHAIN_TIMEOUT_MS = 2000;

function runChain(command: string, input: string): Promise<string> {
  // Loaded only with --chain: every module counts on this path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve) => {
    // Its own process group, so a timeout stops the shell and whatever it started.
    const child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'ignore'], detached: process.platform !== 'win32' });
    let out = '';
    const timer = setTimeout(() => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }, CHAIN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', () => {
      clearTimeout(timer);
      resolve('');
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out.replace(/\s+$/, ''));
    });
    child.stdin.on('error', () => undefined); // a command that does not read stdin
    child.stdin.end(input);
  });
}

const usd = (v: number) => `$${v.toFixed(2)}`;

/** The line for one status-line JSON, and the reading recorded. Exported for tests. */
export function statusLineText(input: string, dataDir: string, now = Date.now()): string {
  const parsed = parseStatusLine(input, now);
  if (parsed.snapshot) appendLimitSnapshot(dataDir, parsed.snapshot);
  const parts: string[] = [];
  const today = readTodayCache(dataDir);
  if (today && now >= today.start && now < today.end) parts.push(`${usd(today.cost)} today`);
  if (parsed.sessionCost !== undefined) parts.push(`${usd(parsed.sessionCost)} session`);
  // The current windows from this reading alone, through the same report as everywhere else.
  const snaps = parsed.snapshot ? [parsed.snapshot] : [];
  const limits = limitsShort(limitsReport(snaps, now), now, { withReset: true });
  if (limits) parts.push(limits);
  return parts.join(' · ');
}

export async function statusline(argv: string[]): Promise<number> {
  let values: { 'data-dir'?: string; chain?: string; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, chain: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`token-cost: ${(err as Error).message}\nRun "token-cost statusline --help" for its options.\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(STATUSLINE_HELP);
    return 0;
  }
  if (process.stdin.isTTY) {
    process.stderr.write('token-cost: statusline reads the JSON Claude Code pipes to it on stdin; nothing is piped here.\n');
    return 2;
  }
  const input = fs.readFileSync(0, 'utf8');
  const chained = values.chain ? runChain(values.chain, input) : Promise.resolve('');
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
  let ours: string;
  let code = 0;
  try {
    ours = statusLineText(input, dataDir);
  } catch (err) {
    // Claude Code shows whatever we print: a short reason beats an empty line.
    ours = `token-cost: ${(err as Error).message.slice(0, 120)}`;
    process.stderr.write(`token-cost: ${(err as Error).message}\n`);
    code = 1;
  }
  const theirs = await chained;
  process.stdout.write(`${[ours, theirs].filter(Boolean).join('  ')}\n`);
  return code;
}
