// The browser VS Code is a remote window: the extension runs on the server, the settings a person
// writes are their User settings. Two things a new user of a remote window checks: a daily budget
// written in User settings.json turns the badge yellow (machine-scoped settings are read only
// from the remote's own settings, so it used to be ignored), and VS Code does not offer to
// forward the API port 8787, which is for agents on the same machine. Also the dashboard's
// export as seed 000 names it. Port 8787 must be free (the test waits for it); on a shared
// machine, `unshare -n` (as root, with `ip link set lo up`) gives the run its own loopback.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { cliReport, localDay, openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

/** The first `name` under `dir`, depth-first. */
function findFile(dir, name, depth = 0) {
  if (depth > 8 || !existsSync(dir)) return undefined;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === name) return p;
    if (statSync(p).isDirectory()) {
      const found = findFile(p, name, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether something listens on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('a remote window (the browser VS Code) with the budget in User settings.json', function () {
  let wb, page, cost, budget, control;

  before(async function () {
    // The default port must be ours to test what VS Code does with it: another VS Code under
    // test on this machine may hold it for a while.
    for (let i = 0; i < 180 && (await listening(8787)); i++) await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await listening(8787), false, 'port 8787 stayed taken by another program for 3 minutes');
    const home = makeFixtureHome(mkdtempSync(join(tmpdir(), 'tcd-remote-')));
    cost = cliReport(home).daily.find((d) => d.date === localDay(0)).totalCost;
    // 90 % spent: past the first alert threshold (80 %), not over.
    budget = Math.ceil((cost / 0.9) * 100) / 100;
    wb = await openWorkbench({
      name: 'remote',
      home,
      settings: { 'tokenCost.budget.daily': budget },
      viewport: { width: 1200, height: 700 },
    });
    page = wb.page;
  });

  after(async function () {
    await wb?.close();
    await new Promise((r) => (control ? control.close(r) : r()));
  });

  /** The texts of every notification in the notification centre (opened from the bell, as a person does). */
  async function notifications() {
    await page
      .locator('.statusbar-item', { has: page.locator('.codicon-bell, .codicon-bell-dot') })
      .first()
      .click();
    await page.locator('.notifications-center').waitFor();
    const texts = await page.locator('.notifications-center .notification-list-item').allInnerTexts();
    await page.keyboard.press('Escape');
    await page.locator('.notifications-center').waitFor({ state: 'hidden' });
    return texts.map((t) => t.replace(/\s+/g, ' ').trim());
  }

  it('turns the badge to the warning colour and notifies at 80 % of the budget', async function () {
    await page
      .locator('.statusbar-item', { hasText: `$${cost.toFixed(2)} today` })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.statusbar-item')].some(
          (e) => e.textContent.includes('today') && e.className.includes('warning-kind'),
        ),
      null,
      { timeout: 20_000 },
    );
    const box = await page.locator('.part.statusbar').boundingBox();
    await page.screenshot({
      path: join(shots, 'badge-warning-remote-user-settings.png'),
      clip: { x: box.width - 600, y: box.y - 2, width: 600, height: box.height + 4 },
    });
    await page
      .locator('.statusbar-item', { has: page.locator('.codicon-bell-dot') })
      .first()
      .waitFor({ timeout: 20_000 });
    const shown = await notifications();
    assert.ok(
      shown.some((t) => t.includes(`Token Cost: 80 % of today's budget: $${cost.toFixed(2)} of $${budget.toFixed(2)}`)),
      shown.join('\n'),
    );
    // Shown once for every window on this machine: the marker other windows (and reloads) see.
    assert.ok(findFile(dirname(wb.folder), `daily-${localDay(0)}-80.mark`), 'the "already notified" marker in the data folder');
  });

  it('does not offer to forward the API port 8787, while it does offer an ordinary application port', async function () {
    this.timeout(360_000);
    // Our server listens (the window writes the database) on the default port.
    const dataDirs = dirname(wb.folder);
    let info;
    for (let i = 0; i < 120 && !info; i++) {
      const file = findFile(dataDirs, 'server.json');
      if (file) info = JSON.parse(readFileSync(file, 'utf8'));
      else await page.waitForTimeout(500);
    }
    assert.ok(info, `the heartbeat server never wrote server.json under ${dataDirs} (is port 8787 taken by another program?)`);
    assert.equal(info.port, 8787);
    // The control: an application listening after our server did. VS Code scans for listening
    // ports every few seconds; once it reports this one, it has seen 8787 too.
    // (Below 10000: VS Code notifies those at once and waits for a "better" one above.)
    control = createServer((_q, s) => s.end('hi'));
    let controlPort = 9123;
    while (await listening(controlPort)) controlPort++;
    await new Promise((r) => control.listen(controlPort, '127.0.0.1', r));
    const offered = (t, port) => new RegExp(`running on port ${port} is available`).test(t);
    let shown = [];
    // Scans run every 2 s or 20 times as long as the last one took, whichever is longer.
    for (let i = 0; i < 150; i++) {
      shown = await notifications();
      if (shown.some((t) => offered(t, controlPort) || offered(t, 8787))) break;
      await page.waitForTimeout(1000);
    }
    assert.deepEqual(
      shown.filter((t) => /port 8787\b/.test(t)),
      [],
      'VS Code offered to forward the API port',
    );
    assert.ok(
      shown.some((t) => offered(t, controlPort)),
      `VS Code never reported the control port ${controlPort}:\n${shown.join('\n')}`,
    );
    await page.screenshot({ path: join(shots, 'remote-no-port-toast.png') });
  });

  it("exports the dashboard's Week as token-usage-week-{date}.csv with the reference's columns first", async function () {
    await runCommand(page, 'Token Cost: Open Dashboard');
    const frame = await webviewFrame(page, 'panel');
    await frame.locator('[data-quick="week"]').click();
    await settled(frame);
    await frame.locator('#export-csv').click();
    // The browser VS Code's save dialog: a path in the quick input, the proposed name last.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    const name = `token-usage-week-${localDay(0)}.csv`;
    await page.waitForFunction((n) => document.querySelector('.quick-input-widget input')?.value.endsWith(n), name, { timeout: 20_000 });
    assert.equal(await input.inputValue(), join(wb.folder, name));
    await page.keyboard.press('Enter');
    const file = join(wb.folder, name);
    for (let i = 0; i < 40 && !existsSync(file); i++) await page.waitForTimeout(250);
    await page
      .locator('.statusbar-item', { has: page.locator('.codicon-bell-dot') })
      .first()
      .waitFor({ timeout: 20_000 });
    assert.ok(
      (await notifications()).some((t) => t.includes(`to ${name}`)),
      'the export says where it wrote',
    );
    const [header] = readFileSync(file, 'utf8').split('\n');
    assert.match(header, /^Timestamp,Model,Session ID,Input tokens,Output tokens,Total tokens,Cost,/);
  });
});
