// A new user's first scan of a long history, as they see it: a progress notification with files
// and MB read, today's spend in the status bar before the scan ends (the newest transcripts are
// read first), and Cancel, after which what was read stays and the message says how to go on.
// Screenshot: artifacts/screenshots/first-scan-stopped.png.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCorpus } from '../../bench/corpus.mjs';
import { cliReport, localDay, openWorkbench, shots } from './helpers.mjs';

/** A line of today worth exactly $1.00 (40,000 output tokens of Opus 4.5 at $25 per million). */
const dollarLine = (i) =>
  JSON.stringify({
    type: 'assistant',
    cwd: '/home/me/live',
    sessionId: 'live-session',
    timestamp: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
    requestId: `req_today_${i}`,
    message: {
      id: `msg_today_${i}`,
      model: 'claude-opus-4-5-20251101',
      usage: { input_tokens: 0, output_tokens: 40_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });

describe('the first scan of a long history', function () {
  let wb, page, home, today;

  before(async function () {
    home = mkdtempSync(join(tmpdir(), 'tcd-firstscan-'));
    // Large enough that reading it takes a few seconds on a fast idle machine: the notification shows
    // after one, and Cancel is clicked as soon as it shows.
    generateCorpus({ out: home, sizeMb: 600 });
    const live = join(home, '.claude', 'projects', '-home-me-live', 'live-session.jsonl');
    mkdirSync(join(live, '..'), { recursive: true });
    writeFileSync(live, [0, 1, 2].map(dollarLine).join('\n') + '\n');
    today = cliReport(home).daily.find((d) => d.date === localDay(0))?.totalCost;
    assert.equal(today, 3, 'the history has $3.00 today, all in the newest transcript');
    wb = await openWorkbench({ name: 'firstscan', home, viewport: { width: 1400, height: 900 } });
    page = wb.page;
  });

  after(async function () {
    await wb?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  // Headless Chromium never has window focus, so VS Code files notifications in the notification
  // centre instead of showing toasts; a user opens it from the bell.
  async function openCentre() {
    if (await page.locator('.notifications-center.visible').count()) return;
    await page
      .locator('.statusbar-item', { has: page.locator('.codicon-bell, .codicon-bell-dot') })
      .first()
      .click();
    await page.locator('.notifications-center').waitFor();
  }

  it("shows files and MB read in a cancellable notification, and today's spend before the scan ends; Cancel keeps what was read", async function () {
    await openCentre();
    const progress = page
      .locator('.notifications-center .notification-list-item', { hasText: 'Token Cost: reading usage history' })
      .first();
    await progress.waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => /\d[\d,]* of [\d,]+ files, [\d.]+ of [\d.]+ MB/.test(document.querySelector('.notifications-center')?.textContent ?? ''),
      null,
      { timeout: 30_000 },
    );
    await progress.getByRole('button', { name: 'Cancel' }).click();
    await openCentre();
    const stopped = page.locator('.notifications-center .notification-list-item', { hasText: 'stopped reading usage history' }).first();
    await stopped.waitFor({ timeout: 30_000 });
    const text = await stopped.innerText();
    const [, read, listed] = /after ([\d,]+) of ([\d,]+) files/.exec(text).map((v) => Number(String(v).replace(/,/g, '')));
    assert.ok(read > 0 && read < listed, `stopped after ${read} of ${listed} files`);
    assert.match(text, /What was read is kept/);
    assert.match(text, /Refresh/);
    // Today's transcript is the newest, so it was read first: its $3.00 shows although most of the history was not read.
    await page.locator('.statusbar-item', { hasText: '$3.00 today' }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(shots, 'first-scan-stopped.png') });
  });
});
