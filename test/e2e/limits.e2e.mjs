// The plan limits as a subscriber sees them in the real workbench: readings the status-line
// command recorded over the last hours (a 5-hour window that reset on the way), shown in the
// status bar and in the dashboard's Plan limits section with the pace the CLI computes.
// Screenshot: artifacts/screenshots/limits-dark.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { repoRoot } from '../runner/vscodeServer.mjs';
import { openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

const H = 3_600_000;

/** Readings every 30 minutes for 7 hours: the first 5-hour window ended 2 h ago at 96 %, the next is at 48 % now (24 %/h: full before its reset). */
function homeWithReadings() {
  const home = makeFixtureHome(mkdtempSync(join(tmpdir(), 'tcd-home-limits-')));
  const dir = join(home, '.local', 'share', 'token-cost-dashboard');
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const firstReset = Math.round((now - 2 * H) / 1000) * 1000;
  const weekReset = Math.round((now + 80 * H) / 1000) * 1000;
  const lines = [];
  for (let at = now - 7 * H; at <= now; at += H / 2) {
    const inFirst = at < firstReset;
    const used = inFirst ? Math.round((96 * (at - (firstReset - 5 * H))) / (5 * H)) : Math.round((24 * (at - firstReset)) / H);
    lines.push(
      JSON.stringify({
        v: 1,
        source: 'claude',
        at,
        sessionId: 's',
        sessionCost: 1,
        windows: [
          { minutes: 300, usedPct: used, resetsAt: inFirst ? firstReset : firstReset + 5 * H },
          { minutes: 10080, usedPct: 30 + Math.round((at - (now - 7 * H)) / H), resetsAt: weekReset },
        ],
      }),
    );
  }
  writeFileSync(join(dir, 'limits.jsonl'), `${lines.join('\n')}\n`);
  return home;
}

describe('plan limits in the workbench', function () {
  let wb, frame, home;

  before(async function () {
    home = homeWithReadings();
    wb = await openWorkbench({ name: 'limits', theme: 'dark', home, viewport: { width: 1400, height: 1000 } });
    await runCommand(wb.page, 'Token Cost: Open Dashboard');
    frame = await webviewFrame(wb.page, 'panel');
    await settled(frame);
  });

  after(async function () {
    await wb?.close();
  });

  it("shows the nearest limit in the status bar and the windows with the CLI's pace in the dashboard", async function () {
    const cli = JSON.parse(
      execFileSync(process.execPath, [join(repoRoot, 'dist/cli.js'), 'limits', '--json'], {
        env: { ...process.env, HOME: home, XDG_DATA_HOME: '', CODEX_HOME: '' },
        encoding: 'utf8',
      }),
    );
    const five = cli.windows.find((w) => w.minutes === 300);
    const week = cli.windows.find((w) => w.minutes === 10080);
    assert.equal(five.usedPct, 48);
    await wb.page
      .locator('.statusbar-item', { hasText: `5h 48 % · 7d ${week.usedPct} %` })
      .first()
      .waitFor({ timeout: 10_000 });
    const row = frame.locator('#limits tr[data-window="claude-300"]');
    await row.waitFor({ timeout: 10_000 });
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[0].trim(), '48 %');
    assert.equal(cells[2].trim(), `${Math.round(five.projectedPctAtReset)} %`);
    assert.ok(five.limitAt, 'at 24 %/h the window runs out before its reset');
    assert.notEqual(cells[3].trim(), 'not before the reset');
    assert.equal(await frame.locator('#chart-limits canvas').count(), 1);
    const tableText = await frame.locator('#chart-limits table').textContent();
    assert.match(tableText, /reset/, 'the reset between the windows is marked');
    await frame.locator('#limits').scrollIntoViewIfNeeded();
    await wb.page.screenshot({ path: join(shots, 'limits-dark.png') });
  });
});
