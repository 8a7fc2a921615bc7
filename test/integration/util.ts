import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DailyReport } from '../../src/core/query';
import type { TokenCostApi } from '../../src/extension';

export const EXTENSION_ID = 'tokencost.token-cost-dashboard';
export const repo = process.env.TOKEN_COST_REPO ?? path.resolve(__dirname, '../../..');

/** The headless CLI over the same HOME: the figures a user would compare the extension with. */
export function cliDaily(): DailyReport {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tcd-cli-'));
  const out = execFileSync(process.execPath, [path.join(repo, 'dist', 'cli.js'), 'report', 'daily', '--json', '--data-dir', dataDir], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as DailyReport;
}

export function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Polls `ok` until it holds (what the user would wait for), failing after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The installed extension, activated, with its database open and the first scan done. */
export async function activatedApi(): Promise<TokenCostApi> {
  const ext = vscode.extensions.getExtension<TokenCostApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  const api = await ext.activate();
  await api.whenReady();
  return api;
}
