// The packaged .vsix, installed the way a user installs it, in a real VS Code workbench driven in
// headless Chromium as a person would: read the status bar, open the dashboard from the command
// palette, read the KPI cards, open the sidebar. Screenshots of each, light and dark, land in
// artifacts/screenshots/ to be looked at.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { cliReport, localDay, openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

for (const theme of ['light', 'dark']) {
  describe(`the installed .vsix in a ${theme} workbench, as a new user opens a folder`, function () {
    let wb, expected;

    before(async function () {
      const home = makeFixtureHome(mkdtempSync(join(tmpdir(), `tcd-e2e-${theme}-`)));
      const report = cliReport(home);
      expected = { totals: report.totals, today: report.daily.find((d) => d.date === localDay(0)) };
      assert.ok(expected.today && expected.today.totalCost > 0, 'the fixture has spend today');
      // Workspace trust stays at its default: the folder opens in Restricted Mode.
      wb = await openWorkbench({ name: 'e2e', theme, home });
      console.log(`      ${wb.installed}`);
    });

    after(async function () {
      await wb?.close();
    });

    it("shows today's spend in the status bar, equal to the CLI's today total", async function () {
      const text = `$${expected.today.totalCost.toFixed(2)} today`;
      const item = wb.page.locator('.statusbar-item', { hasText: text }).first();
      await item.waitFor({ timeout: 60_000 });
      assert.equal((await item.innerText()).trim(), text);
      const box = await wb.page.locator('.part.statusbar').boundingBox();
      await wb.page.screenshot({
        path: join(shots, `statusbar-${theme}.png`),
        clip: { x: Math.max(0, box.width - 700), y: box.y - 2, width: 700, height: box.height + 4 },
      });
    });

    it('opens the dashboard from the command palette with KPIs equal to the CLI totals', async function () {
      await runCommand(wb.page, 'Token Cost: Open Dashboard');
      const frame = await webviewFrame(wb.page, 'panel');
      await settled(frame);
      assert.equal(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${expected.totals.totalCost}`);
      assert.equal(await frame.locator('[data-kpi="tokens"]').getAttribute('title'), String(expected.totals.totalTokens));
      const requests = Number(await frame.locator('[data-kpi="requests"]').getAttribute('title'));
      assert.equal(
        requests,
        6,
        'six distinct requests: streamed duplicates, user lines, the corrupt and the half-written line are not requests',
      );
      assert.equal((await frame.locator('[data-kpi="today-cost"]').innerText()).trim(), `$${expected.today.totalCost.toFixed(2)}`);
      const chart = await frame.locator('#chart-trend-canvas').boundingBox();
      assert.ok(chart && chart.width > 200 && chart.height > 100, `the trend chart is drawn (${JSON.stringify(chart)})`);
      await wb.page.screenshot({ path: join(shots, `dashboard-${theme}.png`) });
    });

    it('shows the same KPIs in its own activity-bar view', async function () {
      await wb.page.locator('.activitybar [aria-label^="Token Cost"]').first().click();
      const frame = await webviewFrame(wb.page, 'sidebar');
      await settled(frame);
      assert.equal(
        await frame.locator('[data-kpi="cost"]').getAttribute('title'),
        `$${expected.totals.totalCost}`,
        'the last 30 days hold the whole fixture',
      );
      assert.equal((await frame.locator('[data-kpi="today-cost"]').innerText()).trim(), `$${expected.today.totalCost.toFixed(2)}`);
      assert.ok((await frame.locator('#top-models li').count()) > 0, 'top models are listed');
      // Short names (opus-4-5), whole; the exact id on hover.
      for (const li of await frame.locator('#top-models li').all()) {
        const id = (await li.getAttribute('title')).split(': $')[0];
        const shown = (await li.locator('.top-model > span').first().innerText()).trim();
        assert.ok(shown.length < id.length && id.includes(shown), `${shown} is ${id} shortened`);
      }
      await wb.page.screenshot({ path: join(shots, `sidebar-${theme}.png`) });
    });
  });
}
