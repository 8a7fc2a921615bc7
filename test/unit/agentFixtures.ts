// HOMEs holding the fixtures written from ../shared/docs/agent-formats.md for the agents without
// public samples (test/fixtures/agents/<agent>/ mirrors each agent's default layout under HOME;
// the SQLite stores are built from test/fixtures/agents/sql/<agent>.sql with sql.js).
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadSqlJs } from '../../src/core/sqljs';
import { tempDir } from './helpers';

const repo = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(repo, 'test', 'fixtures', 'agents');

/** Where each SQLite fixture goes below HOME (the agent's default place). */
export const SQLITE_FIXTURES: Record<string, string> = {
  goose: path.join('.local', 'share', 'goose', 'sessions', 'sessions.db'),
  kilo: path.join('.local', 'share', 'kilo', 'kilo.db'),
  hermes: path.join('.hermes', 'state.db'),
};

export const FIXTURE_AGENTS = ['amp', 'goose', 'kilo', 'qwen', 'kimi', 'codebuff', 'hermes'] as const;

function writable(p: string): void {
  chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) writable(path.join(p, e));
}

/** Builds a database file from SQL text. */
export async function buildDb(sql: string, file: string): Promise<void> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.exec(sql);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, db.export());
  db.close();
}

/** A fixture agent's files put into `home` (a new temp HOME when none is given). */
export async function fixtureHome(agents: readonly string[], home = tempDir('tcd-agentfx-')): Promise<string> {
  for (const agent of agents) {
    const dir = path.join(FIXTURES, agent);
    if (existsSync(dir)) cpSync(dir, home, { recursive: true });
    const target = SQLITE_FIXTURES[agent];
    if (target) await buildDb(readFileSync(path.join(FIXTURES, 'sql', `${agent}.sql`), 'utf8'), path.join(home, target));
  }
  writable(home);
  return home;
}
