// What every e2e file does the same way: install the packaged .vsix into a fresh VS Code server,
// open a folder in headless Chromium, use the command palette, find the extension's webviews,
// and ask the headless CLI for the figures the UI must show.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installVsix, launchBrowser, repoRoot, startServer } from '../runner/vscodeServer.mjs';

export const shots = join(repoRoot, 'artifacts', 'screenshots');
mkdirSync(shots, { recursive: true });

export const THEMES = {
  light: 'Default Light Modern',
  dark: 'Default Dark Modern',
  'high-contrast': 'Default High Contrast',
};

export function vsixPath() {
  const found = readdirSync(repoRoot).filter((f) => /^token-cost-dashboard-.*\.vsix$/.test(f));
  assert.equal(found.length, 1, `exactly one packaged .vsix in the repo root (npm run package), found: ${found.join(', ') || 'none'}`);
  return join(repoRoot, found[0]);
}

export function localDay(offsetDays = 0) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** `token-cost report …` for the same HOME, as JSON: what the UI must agree with. */
export function cliReport(home, args = ['daily']) {
  const out = execFileSync(
    process.execPath,
    [join(repoRoot, 'dist/cli.js'), 'report', ...args, '--json', '--data-dir', mkdtempSync(join(tmpdir(), 'tcd-cli-'))],
    {
      env: { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: '', CODEX_HOME: '' },
      encoding: 'utf8',
    },
  );
  return JSON.parse(out);
}

/**
 * A fresh VS Code server with the .vsix installed, a folder opened in Restricted Mode (what a new
 * user gets), and the chosen colour theme. `settings` are added to the user settings.
 */
export async function openWorkbench({ name, theme = 'dark', home, settings = {}, viewport = { width: 1400, height: 900 } }) {
  const work = mkdtempSync(join(tmpdir(), `tcd-${name}-${theme}-`));
  const dirs = { extensionsDir: join(work, 'ext'), userDataDir: join(work, 'user'), serverDataDir: join(work, 'server') };
  const installed = installVsix({ vsix: vsixPath(), home, ...dirs });
  const folder = join(work, 'my-project');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'index.js'), 'console.log("hi");\n');
  const server = await startServer({
    home,
    ...dirs,
    settings: {
      'workbench.colorTheme': THEMES[theme],
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.disableAIFeatures': true,
      ...settings,
    },
  });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport });
  const logged = [];
  page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The badge appears when the extension has activated; its commands are in the palette by then.
  await page.locator('.statusbar-item', { hasText: 'today' }).first().waitFor({ timeout: 60_000 });
  return {
    page,
    server,
    browser,
    folder,
    installed: installed.split('\n').pop(),
    /** Everything the workbench and its webviews logged to the browser console so far. */
    console: () => [...logged],
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
    },
  };
}

/** F1, type the command's title, Enter: as a person runs a command. */
export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Answers the input boxes a command opens, one after the other. */
export async function answerPrompts(page, answers) {
  const input = page.locator('.quick-input-widget input');
  for (const a of answers) {
    await input.waitFor({ state: 'visible' });
    await input.fill(a);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(150);
  }
}

/** The frame of the extension's webview (`panel` or `sidebar`) once its KPI cards exist. */
export async function webviewFrame(page, view, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      try {
        if (await f.$(`#app[data-view="${view}"] .kpis`)) return f;
      } catch {
        /* the frame went away */
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`the ${view} webview never appeared`);
}

/** Waits until the page shows the answer to its latest query. */
export async function settled(frame) {
  await frame.waitForFunction(
    () => !document.getElementById('app')?.hasAttribute('aria-busy') && document.querySelector('[data-kpi="cost"]')?.textContent !== '–',
  );
}

/** Chooses `label` in one of the dashboard's drop-downs (a vscode-single-select), with the mouse. */
export async function choose(frame, selectId, label) {
  await frame.locator(`#${selectId}`).click();
  await frame.locator(`#${selectId} .option`, { hasText: label }).first().click();
  await settled(frame);
}
