// Accessibility of the dashboard and the sidebar in the real workbench, light, dark and high
// contrast: axe-core (its source injected into the webview's frame) finds no serious or critical
// violation; every control is reached with Tab alone and shows where the focus is; each chart is
// reachable through its table; the KPI cards never leave one card alone on a row, from the
// editor's width down to the sidebar's. Screenshots: artifacts/screenshots/a11y-*.png.
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { choose, openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const UNPRICED = 'acme-coder-7b';
const ZERO = 'claude-probe-zero';

/** The fixture HOME plus an unpriced model (the alert shows) and a request that used no tokens. */
function home() {
  const root = makeFixtureHome(mkdtempSync(join(tmpdir(), 'tcd-home-a11y-')));
  const dir = join(root, '.claude', 'projects', '-home-me-tools');
  mkdirSync(dir, { recursive: true });
  const line = (id, model, input, output) =>
    JSON.stringify({
      type: 'assistant',
      cwd: '/home/me/tools',
      sessionId: 'sess-tools',
      timestamp: new Date(Date.now() - 5 * 60_000).toISOString(),
      requestId: `req_${id}`,
      message: {
        id: `msg_${id}`,
        role: 'assistant',
        model,
        usage: { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
  writeFileSync(join(dir, 'sess-tools.jsonl'), `${line('u1', UNPRICED, 900, 100)}\n${line('z1', ZERO, 0, 0)}\n`);
  return root;
}

/** axe-core's serious and critical violations in `frame`, one line each. */
async function axeViolations(frame) {
  if (!(await frame.evaluate(() => typeof window.axe === 'object'))) await frame.evaluate(axeSource);
  const violations = await frame.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`).slice(0, 5),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Rows of KPI cards as laid out now: how many cards each row holds, and the page's width. */
async function kpiRows(frame) {
  return frame.evaluate(() => {
    const rows = new Map();
    for (const c of document.querySelectorAll('.kpis > .kpi')) {
      const r = c.getBoundingClientRect();
      if (!r.width) continue;
      const top = Math.round(r.top);
      rows.set(top, (rows.get(top) ?? 0) + 1);
    }
    return { width: window.innerWidth, rows: [...rows.values()] };
  });
}

/**
 * Sets the width of the webview's outer frame (the one the workbench sizes), in CSS pixels, with
 * the KPI cards scrolled into view; `undefined` gives the workbench its width back.
 */
async function setWebviewWidth(frame, width) {
  const outer = await frame.parentFrame().frameElement();
  await outer.evaluate((e, w) => {
    if (e.dataset.workbenchWidth === undefined) e.dataset.workbenchWidth = e.style.width;
    e.style.width = w === undefined ? e.dataset.workbenchWidth : `${w}px`;
  }, width);
  if (width !== undefined) await frame.waitForFunction((w) => Math.abs(window.innerWidth - w) <= 2, width);
  await frame.evaluate(() => {
    document.activeElement?.blur?.();
    window.scrollTo(0, 0);
  });
  return outer;
}

/**
 * Presses Tab from the page's start until focus leaves the frame or comes round again. For each
 * control reached: what it is, and whether focusing it changed its pixels (a visible focus).
 */
async function walkByKeyboard(page, frame) {
  await frame.evaluate(() => {
    for (const e of document.querySelectorAll('[data-walk]')) e.removeAttribute('data-walk');
    window.scrollTo(0, 0);
    document.activeElement?.blur?.();
  });
  await frame.locator('h1').click();
  const stops = [];
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const stop = await frame.evaluate((n) => {
      const a = document.activeElement;
      if (!document.hasFocus() || !a || a === document.body) return { left: true };
      if (a.hasAttribute('data-walk')) return { again: true };
      a.setAttribute('data-walk', String(n));
      const label = a.getAttribute('aria-label') || a.textContent?.trim().replace(/\s+/g, ' ').slice(0, 50) || '';
      return { tag: a.tagName.toLowerCase(), id: a.id, label, inTable: !!a.closest('table'), chart: a.closest('.chart-card')?.id ?? null };
    }, i);
    if (stop.left || stop.again) break;
    const handle = await frame.evaluateHandle(() => document.activeElement);
    const box = await handle.boundingBox();
    let visible = false;
    if (box && box.width > 0) {
      const clip = { x: Math.max(0, box.x - 4), y: Math.max(0, box.y - 4), width: box.width + 8, height: box.height + 8 };
      const focused = await page.screenshot({ clip });
      await handle.evaluate((e) => e.blur());
      const blurred = await page.screenshot({ clip });
      await handle.evaluate((e) => e.focus());
      visible = !focused.equals(blurred);
    }
    stops.push({ ...stop, visible });
  }
  // Every control a mouse could use was among the stops.
  const missed = await frame.evaluate(() =>
    [
      ...document.querySelectorAll(
        'button, summary, a[href], input, select, textarea, vscode-button, vscode-single-select, vscode-textfield, [tabindex]:not([tabindex="-1"])',
      ),
    ]
      .filter(
        (e) => e.getClientRects().length > 0 && !e.hasAttribute('disabled') && !e.hasAttribute('data-walk') && !e.closest('[data-walk]'),
      )
      .map((e) => e.id || e.outerHTML.slice(0, 80)),
  );
  return { stops, missed };
}

for (const theme of ['light', 'dark', 'high-contrast']) {
  describe(`accessibility of the dashboard and the sidebar (${theme})`, function () {
    let wb, panel;

    before(async function () {
      wb = await openWorkbench({ name: 'a11y', theme, home: home(), viewport: { width: 1400, height: 1000 } });
      await runCommand(wb.page, 'Token Cost: Open Dashboard');
      panel = await webviewFrame(wb.page, 'panel');
      await settled(panel);
    });

    after(async function () {
      await wb?.close();
    });

    it('has no serious or critical axe violation on the dashboard', async function () {
      await panel.locator('[data-alert="unpriced"]').waitFor();
      const found = await axeViolations(panel);
      await wb.page.screenshot({ path: join(shots, `a11y-dashboard-${theme}.png`) });
      await panel.locator('#insights').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await wb.page.screenshot({ path: join(shots, `a11y-charts-${theme}.png`) });
      await panel.locator('#table-providers').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await wb.page.screenshot({ path: join(shots, `a11y-tables-${theme}.png`) });
      await panel.evaluate(() => window.scrollTo(0, 0));
      assert.deepEqual(found, [], JSON.stringify(found, null, 2));
    });

    it('names an unpriced model once, with the action that fixes it', async function () {
      const text = await panel.locator('#app').innerText();
      assert.equal(
        text.split(UNPRICED).length - 1 - (await panel.locator('td', { hasText: UNPRICED }).count()),
        1,
        'once outside the tables',
      );
      const alert = panel.locator('[data-alert="unpriced"]');
      assert.equal((await alert.locator('vscode-button').innerText()).trim(), 'Add a price');
    });

    it('reaches every control by Tab alone, each with a visible focus, and every chart through its table', async function () {
      const { stops, missed } = await walkByKeyboard(wb.page, panel);
      console.log(`      ${stops.length} tab stops on the dashboard`);
      assert.deepEqual(missed, [], 'no control is skipped by Tab');
      const names = stops.map((s) => s.id || s.label);
      for (const id of [
        'refresh',
        'export-csv',
        'export-json',
        'filter-range',
        'filter-source',
        'filter-provider',
        'filter-model',
        'filter-project',
        'filter-agent',
        'filter-clear',
      ]) {
        assert.ok(names.includes(id), `${id} is reached by Tab: ${names.join(', ')}`);
      }
      for (const q of ['Hour', 'Day', 'Week', 'Month']) assert.ok(names.includes(q), `the ${q} button is reached`);
      const charts = ['chart-trend', 'chart-types', 'chart-sources', 'chart-models', 'chart-share', 'chart-efficiency'];
      for (const c of charts)
        assert.ok(
          stops.some((s) => s.chart === c && s.tag === 'summary'),
          `the table of ${c} is reached`,
        );
      assert.ok(stops.filter((s) => s.inTable).length >= 7 * 5, 'the sort buttons of the tables are reached');
      const invisible = stops.filter((s) => !s.visible);
      assert.deepEqual(invisible, [], 'every focused control looks focused');
      // Enter on a chart's "Show as table" opens the same figures as a table.
      await panel.locator('#chart-trend summary').focus();
      await wb.page.keyboard.press('Enter');
      assert.ok(await panel.locator('#chart-trend table').isVisible(), 'the trend as a table');
      assert.ok((await panel.locator('#chart-trend table tbody tr').count()) > 1);
      await wb.page.keyboard.press('Enter');
    });

    it('shows the agents ranked by efficiency, and says when a chart has no daily usage', async function () {
      // Each cell's title holds its exact figure (the text rounds it).
      const rows = [];
      for (const tr of await panel.locator('#table-agents tbody tr').all()) {
        const cells = tr.locator('td');
        const texts = await cells.allInnerTexts();
        const titles = await cells.evaluateAll((tds) => tds.map((td) => td.title));
        rows.push({
          agent: texts[0],
          cost: Number(titles[1].slice(1)),
          requests: Number(texts[3]),
          tasks: Number(texts[4]),
          perRequest: Number(titles[5]),
          perTask: Number(titles[6]),
        });
      }
      assert.deepEqual(rows.map((r) => r.agent).sort(), ['Claude Code', 'Claude Code subagents'], "the fixture's two agents");
      for (const r of rows) {
        assert.ok(Math.abs(r.requests / r.cost - r.perRequest) < 1e-6, `${r.agent}: requests per $ ${JSON.stringify(r)}`);
        assert.ok(Math.abs(r.tasks / r.cost - r.perTask) < 1e-6, `${r.agent}: tasks per $ ${JSON.stringify(r)}`);
      }
      const perTask = rows.map((r) => r.perTask);
      assert.deepEqual(
        perTask,
        [...perTask].sort((a, b) => b - a),
        'the most tasks per dollar first',
      );
      await choose(panel, 'filter-model', ZERO);
      assert.equal(await panel.locator('[data-kpi="requests"]').innerText(), '1');
      assert.equal(
        (await panel.locator('#chart-types .chart-empty').innerText()).trim(),
        'No daily usage to chart for the current filters.',
      );
      await panel.locator('#chart-types').screenshot({ path: join(shots, `a11y-no-daily-usage-${theme}.png`) });
      await panel.locator('#filter-clear').click();
      await settled(panel);
    });

    it('lays the KPI cards out without a lone card on a row, from wide to narrow', async function () {
      try {
        for (const width of [1000, 900, 800, 620, 480, 340, 300]) {
          const outer = await setWebviewWidth(panel, width);
          const { rows } = await kpiRows(panel);
          await outer.screenshot({ path: join(shots, `a11y-kpis-${width}-${theme}.png`) });
          assert.ok(
            rows.every((n) => n >= 2),
            `at ${width}px the rows hold ${rows.join(' + ')} cards`,
          );
        }
      } finally {
        await setWebviewWidth(panel, undefined);
      }
    });

    it('has no serious or critical axe violation in the sidebar, and walks it by keyboard', async function () {
      await wb.page.locator('.activitybar [aria-label^="Token Cost"]').first().click();
      const side = await webviewFrame(wb.page, 'sidebar');
      await settled(side);
      const found = await axeViolations(side);
      await wb.page.screenshot({ path: join(shots, `a11y-sidebar-${theme}.png`) });
      assert.deepEqual(found, [], JSON.stringify(found, null, 2));
      const { stops, missed } = await walkByKeyboard(wb.page, side);
      console.log(`      ${stops.length} tab stops in the sidebar`);
      assert.deepEqual(missed, [], 'no control is skipped by Tab');
      const names = stops.map((s) => s.id || s.label);
      for (const id of ['refresh', 'sidebar-range', 'open-dashboard'])
        assert.ok(names.includes(id), `${id} is reached by Tab: ${names.join(', ')}`);
      assert.deepEqual(
        stops.filter((s) => !s.visible),
        [],
        'every focused control looks focused',
      );
      try {
        for (const width of [640, 420, 300, 220, 170]) {
          const outer = await setWebviewWidth(side, width);
          const { rows } = await kpiRows(side);
          await outer.screenshot({ path: join(shots, `a11y-sidebar-${width}-${theme}.png`) });
          assert.ok(
            rows.every((n) => n >= 2),
            `at ${width}px the sidebar's rows hold ${rows.join(' + ')} cards`,
          );
        }
      } finally {
        await setWebviewWidth(side, undefined);
      }
    });
  });
}
