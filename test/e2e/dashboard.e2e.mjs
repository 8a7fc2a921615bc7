// The packaged .vsix, installed the way a user installs it, in a real VS Code workbench driven in
// headless Chromium as a person would: read the status bar, open the dashboard from the command
// palette, read the KPI cards, open the sidebar. Screenshots of each, light and dark, land in
// artifacts/screenshots/ to be looked at.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { installVsix, launchBrowser, repoRoot, startServer } from '../runner/vscodeServer.mjs';

const shots = join(repoRoot, 'artifacts', 'screenshots');
mkdirSync(shots, { recursive: true });

function vsixPath() {
  const found = readdirSync(repoRoot).filter((f) => /^token-cost-dashboard-.*\.vsix$/.test(f));
  assert.equal(found.length, 1, `exactly one packaged .vsix in the repo root (npm run package), found: ${found.join(', ') || 'none'}`);
  return join(repoRoot, found[0]);
}

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** What the headless CLI reports for the same HOME: the figures the UI must show. */
function cli(home) {
  const out = execFileSync(process.execPath, [join(repoRoot, 'dist/cli.js'), 'report', 'daily', '--json', '--data-dir', mkdtempSync(join(tmpdir(), 'tcd-cli-'))], {
    env: { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: '' }, encoding: 'utf8',
  });
  const report = JSON.parse(out);
  const today = report.daily.find((d) => d.date === localToday());
  return { totals: report.totals, today };
}

async function dashboardFrame(page, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      try {
        if (await f.$('#app[data-view="panel"] [data-kpi="cost"]')) return f;
      } catch { /* frame went away */ }
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the dashboard webview never appeared');
}

async function sidebarFrame(page, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      try {
        if (await f.$('#app[data-view="sidebar"] [data-kpi="cost"]')) return f;
      } catch { /* frame went away */ }
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the sidebar webview never appeared');
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

for (const theme of ['light', 'dark']) {
  describe(`the installed .vsix in a ${theme} workbench, as a new user opens a folder`, function () {
    let server, browser, page, home, expected;
    const vsCodeTheme = theme === 'light' ? 'Default Light Modern' : 'Default Dark Modern';

    before(async function () {
      const work = mkdtempSync(join(tmpdir(), `tcd-e2e-${theme}-`));
      home = makeFixtureHome(join(work, 'home'));
      expected = cli(home);
      assert.ok(expected.today && expected.today.totalCost > 0, 'the fixture has spend today');
      const dirs = { extensionsDir: join(work, 'ext'), userDataDir: join(work, 'user'), serverDataDir: join(work, 'server') };
      const installed = installVsix({ vsix: vsixPath(), home, ...dirs });
      console.log(`      ${installed.split('\n').pop()}`);
      const workspace = join(work, 'my-project');
      mkdirSync(workspace, { recursive: true });
      writeFileSync(join(workspace, 'index.js'), 'console.log("hi");\n');
      // Workspace trust stays at its default: the folder opens in Restricted Mode.
      server = await startServer({ home, ...dirs, settings: { 'workbench.colorTheme': vsCodeTheme, 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'chat.disableAIFeatures': true } });
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    });

    after(async function () {
      await browser?.close().catch(() => {});
      await server?.stop();
    });

    it("shows today's spend in the status bar, equal to the CLI's today total", async function () {
      const text = `$${expected.today.totalCost.toFixed(2)} today`;
      const item = page.locator('#tokenCost\\.token-cost-dashboard\\.tokenCost\\.status, .statusbar-item', { hasText: text }).first();
      await item.waitFor({ timeout: 60_000 });
      assert.equal((await item.innerText()).trim(), text);
      const box = await page.locator('.part.statusbar').boundingBox();
      await page.screenshot({ path: join(shots, `statusbar-${theme}.png`), clip: { x: Math.max(0, box.width - 700), y: box.y - 2, width: 700, height: box.height + 4 } });
    });

    it('opens the dashboard from the command palette with KPIs equal to the CLI totals', async function () {
      await runCommand(page, 'Token Cost: Open Dashboard');
      const frame = await dashboardFrame(page);
      const cost = frame.locator('[data-kpi="cost"]');
      await frame.waitForFunction(() => document.querySelector('[data-kpi="cost"]')?.textContent !== '–');
      assert.equal(await cost.getAttribute('title'), `$${expected.totals.totalCost}`);
      assert.equal(await frame.locator('[data-kpi="tokens"]').getAttribute('title'), String(expected.totals.totalTokens));
      const requests = Number(await frame.locator('[data-kpi="requests"]').getAttribute('title'));
      assert.equal(requests, 6, 'six distinct requests: streamed duplicates, user lines, the corrupt and the half-written line are not requests');
      assert.equal((await frame.locator('[data-kpi="today-cost"]').innerText()).trim(), `$${expected.today.totalCost.toFixed(2)}`);
      const chart = await frame.locator('#chart-trend-canvas').boundingBox();
      assert.ok(chart && chart.width > 200 && chart.height > 100, `the daily chart is drawn (${JSON.stringify(chart)})`);
      await page.waitForTimeout(800); // let the chart's entry animation finish before the picture
      await page.screenshot({ path: join(shots, `dashboard-${theme}.png`) });
    });

    it('shows the same KPIs in its own activity-bar view', async function () {
      await page.locator('.activitybar [aria-label^="Token Cost"]').first().click();
      const frame = await sidebarFrame(page);
      await frame.waitForFunction(() => document.querySelector('[data-kpi="cost"]')?.textContent !== '–');
      assert.equal(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${expected.totals.totalCost}`);
      assert.equal((await frame.locator('[data-kpi="today-cost"]').innerText()).trim(), `$${expected.today.totalCost.toFixed(2)}`);
      await page.screenshot({ path: join(shots, `sidebar-${theme}.png`) });
    });
  });
}
