// The status bar badge as a person sees it: normal, near the daily budget (warning colour) and
// over it (error colour), driven by the "Token Cost: Set Budget…" command from the palette, as a
// user would. Screenshots: artifacts/screenshots/badge-{ok,warning,error}-{theme}.png.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { cliReport, localDay, openWorkbench, runCommand, shots } from './helpers.mjs';

for (const theme of ['dark', 'light']) {
  describe(`the status bar badge against a daily budget (${theme})`, function () {
    let wb, page, cost;

    before(async function () {
      const home = makeFixtureHome(mkdtempSync(join(tmpdir(), `tcd-badge-${theme}-`)));
      cost = cliReport(home).daily.find((d) => d.date === localDay(0)).totalCost;
      wb = await openWorkbench({ name: 'badge', theme, home, viewport: { width: 1200, height: 700 } });
      page = wb.page;
    });

    after(async function () {
      await wb?.close();
    });

    const badge = () => page.locator('.statusbar-item', { hasText: 'today' }).filter({ hasText: '$' }).first();

    async function shot(state) {
      const box = await page.locator('.part.statusbar').boundingBox();
      await page.screenshot({
        path: join(shots, `badge-${state}-${theme}.png`),
        clip: { x: box.width - 600, y: box.y - 2, width: 600, height: box.height + 4 },
      });
    }

    // Headless Chromium never has window focus, so VS Code files notifications in the
    // notification centre instead of showing toasts; a user opens it from the bell.
    async function expectNotification(text) {
      await page
        .locator('.statusbar-item', { has: page.locator('.codicon-bell-dot') })
        .first()
        .click();
      const item = page.locator('.notifications-center .notification-list-item', { hasText: text });
      await item.first().waitFor({ timeout: 20_000 });
      await page.screenshot({
        path: join(shots, `notification-${text.includes('over') ? 'error' : 'warning'}-${theme}.png`),
        clip: { x: 600, y: 400, width: 600, height: 300 },
      });
      await page.keyboard.press('Escape');
      await page.locator('.notifications-center').waitFor({ state: 'hidden' });
    }

    async function setBudget(daily) {
      await runCommand(page, 'Token Cost: Set Budget');
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Daily budget' }).first().waitFor();
      await input.fill('Daily budget');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: 'in USD' }).waitFor();
      await input.fill(String(daily));
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    }

    it('shows today in the normal colours without a budget', async function () {
      // The badge appears at once and fills in when the background scan ends.
      const expected = `$${cost.toFixed(2)} today`;
      await page.locator('.statusbar-item', { hasText: expected }).first().waitFor({ timeout: 60_000 });
      assert.equal((await badge().innerText()).trim(), expected);
      const cls = await badge().getAttribute('class');
      assert.ok(!/warning-kind|error-kind/.test(cls), cls);
      await shot('ok');
    });

    it('turns to the warning colour at 80 % of the daily budget', async function () {
      await setBudget(Math.ceil((cost / 0.9) * 100) / 100);
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('.statusbar-item')].some(
            (e) => e.textContent.includes('today') && e.className.includes('warning-kind'),
          ),
        null,
        { timeout: 20_000 },
      );
      await expectNotification("Token Cost: 80 % of today's budget");
      await shot('warning');
    });

    it('turns to the error colour over the budget', async function () {
      await setBudget(Math.max(0.01, Math.floor((cost / 2) * 100) / 100));
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('.statusbar-item')].some(
            (e) => e.textContent.includes('today') && e.className.includes('error-kind'),
          ),
        null,
        { timeout: 20_000 },
      );
      await expectNotification("Token Cost: over today's budget");
      await shot('error');
    });
  });
}
