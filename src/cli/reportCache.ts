/**
 * The report cache: a report command run again when nothing it reads has changed prints what the
 * last run printed, without loading sql.js or the database (a warm run then costs node's start,
 * this bundle's parse and one stat per transcript).
 *
 * An entry is valid for one state and one query:
 * - the state: every input a scan would read (scanner.ts's inputSignature: each file's path, size,
 *   time and inode, Codex's config.toml, which roots exist) and the database's own files (the
 *   snapshot and its journal, so records that agents POSTed to a server, or a `log`, change it);
 *   nothing may wait in the inbox;
 * - the query: the command, every flag (time zone, cost rules, mode, range, order…), and the
 *   running bundle (its prices are bundled, so a new build is a new price table).
 * Reports whose output depends on the current time (blocks: the running block, --recent) are not
 * cached. The file is written atomically (temporary file, then rename) and a file that cannot be
 * read or parsed is ignored, never an error.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { version as packageVersion } from '../../package.json';
import { inputSignature, type ScanRoot } from '../core/ingest/scanner';
import type { Flags } from './options';

const CACHE_FILE = 'report-cache.json';
const FORMAT = 1;
/** Entries kept for one state (different commands and flags over the same data). */
const MAX_ENTRIES = 16;

/** What a report run printed. */
export interface CachedOutput {
  stdout: string;
  stderr: string;
}

interface CacheFile {
  format: number;
  state: string;
  entries: ({ query: string } & CachedOutput)[];
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

function statLine(file: string): string {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? `${st.size} ${st.mtimeMs} ${st.ino}` : '-';
  } catch {
    return '?';
  }
}

/** The database's files as the next run will find them; undefined while the inbox holds records not yet stored. */
export function databaseSignature(dataDir: string): string | undefined {
  const db = path.join(dataDir, 'usage.sqlite');
  try {
    if (fs.readdirSync(path.join(dataDir, 'inbox')).length > 0) return undefined;
  } catch {
    // No inbox: nothing waits in it.
  }
  return `db ${statLine(db)}\njournal ${statLine(`${db}.journal`)}`;
}

/**
 * The code that answers: the main bundle (dist/cliMain.js, beside this module's bundle), whose
 * prices are bundled; unbundled (tests), this module's own file.
 */
function codeSignature(): string {
  const main = path.join(__dirname, 'cliMain.js');
  return fs.existsSync(main) ? statLine(main) : statLine(__filename);
}

/** Reports whose output depends only on the data and the query: blocks depend on the time of the run, --verbose says what the scan read. */
export function isCacheable(kind: string, flags: Flags): boolean {
  return kind !== 'blocks' && !flags.verbose;
}

/** The query half of the key: command, flags and the code (with its price table) that answers it. */
export function queryKey(command: string, flags: Flags): string {
  const sorted = Object.fromEntries(Object.entries(flags).sort(([a], [b]) => a.localeCompare(b)));
  return sha1(JSON.stringify({ command, flags: sorted, version: packageVersion, code: codeSignature() }));
}

/**
 * The transcripts' half of the state. Taken before a run's scan: a file that grows while it is
 * read then differs next time, and misses.
 */
export function inputState(roots: readonly ScanRoot[]): Promise<string> {
  return inputSignature(roots);
}

function stateKey(inputs: string, dataDir: string): string | undefined {
  const db = databaseSignature(dataDir);
  return db === undefined ? undefined : sha1(`${inputs}\n${db}`);
}

function readCacheFile(dataDir: string): CacheFile | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dataDir, CACHE_FILE), 'utf8')) as CacheFile;
    if (parsed?.format !== FORMAT || typeof parsed.state !== 'string' || !Array.isArray(parsed.entries)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** The output cached for `query` in the current state, if any. */
export function cachedReport(dataDir: string, inputs: string, query: string): CachedOutput | undefined {
  const file = readCacheFile(dataDir);
  if (!file) return undefined;
  const state = stateKey(inputs, dataDir);
  if (state === undefined || file.state !== state) return undefined;
  const hit = file.entries.find((e) => e && e.query === query);
  return hit && typeof hit.stdout === 'string' && typeof hit.stderr === 'string' ? { stdout: hit.stdout, stderr: hit.stderr } : undefined;
}

/**
 * Keeps `output` for `query`. `inputs` is the input state taken before the run's scan; the
 * database's signature is taken now, after the run closed it (its own snapshot included). Best
 * effort: a cache that cannot be written is simply not there next time. With `unchangedSince`
 * (the database's signature before the run) nothing is kept unless the database is still as it was.
 */
export function storeReport(dataDir: string, inputs: string, query: string, output: CachedOutput, unchangedSince?: string): void {
  // A reader's database is written by another process: only what did not change while it ran is known to match.
  if (unchangedSince !== undefined && databaseSignature(dataDir) !== unchangedSince) return;
  const state = stateKey(inputs, dataDir);
  if (state === undefined) return;
  const old = readCacheFile(dataDir);
  const kept = old && old.state === state ? old.entries.filter((e) => e && e.query !== query) : [];
  const next: CacheFile = { format: FORMAT, state, entries: [{ query, ...output }, ...kept].slice(0, MAX_ENTRIES) };
  const target = path.join(dataDir, CACHE_FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(next));
    fs.renameSync(tmp, target);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
