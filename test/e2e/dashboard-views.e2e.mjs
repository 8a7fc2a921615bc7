// The dashboard as a cost-conscious user works with it, in the real workbench: every section with
// figures equal to the CLI's for the same range, filters that change them, the three empty
// states, a transcript line appended while the page is open, and names carrying HTML shown as
// text. Screenshots of each state land in artifacts/screenshots/views-*.png.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { answerPrompts, choose, cliReport, localDay, openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

const EVIL_PROJECT = '/home/me/<img src=x onerror="window.pwned=1">';
const EVIL_MODEL = '<script>window.pwned=2</script>';

/** The fixture HOME plus a project and a model whose names are HTML, as a hostile repo could make. */
function homeWithHostileNames() {
  const home = makeFixtureHome(mkdtempSync(join(tmpdir(), 'tcd-home-views-')));
  const dir = join(home, '.claude', 'projects', '-home-me-evil');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'sess-evil.jsonl'),
    `${JSON.stringify({
      type: 'assistant',
      cwd: EVIL_PROJECT,
      sessionId: 'sess-evil',
      timestamp: new Date(Date.now() - 60_000).toISOString(),
      requestId: 'req_evil',
      message: {
        id: 'msg_evil',
        role: 'assistant',
        model: EVIL_MODEL,
        usage: { input_tokens: 100, output_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    })}\n`,
  );
  return home;
}

function modelTotals(report) {
  const byModel = new Map();
  for (const d of report.daily) {
    for (const m of d.modelBreakdowns) {
      const t = byModel.get(m.modelName) ?? { cost: 0, tokens: 0 };
      t.cost += m.cost;
      t.tokens += m.inputTokens + m.outputTokens + m.cacheCreationTokens + m.cacheReadTokens;
      byModel.set(m.modelName, t);
    }
  }
  return byModel;
}

const money4 = (v) => `$${v.toLocaleString('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 })}`;

for (const theme of ['dark', 'light', 'high-contrast']) {
  describe(`the dashboard, section by section, against the CLI (${theme})`, function () {
    let wb, frame, home;

    before(async function () {
      home = homeWithHostileNames();
      wb = await openWorkbench({ name: 'views', theme, home, viewport: { width: 1400, height: 1000 } });
      await runCommand(wb.page, 'Token Cost: Open Dashboard');
      frame = await webviewFrame(wb.page, 'panel');
      await settled(frame);
    });

    after(async function () {
      await wb?.close();
    });

    it('shows KPIs, the provider table, model rows and insights equal to the CLI for the last 30 days', async function () {
      const report = cliReport(home, ['daily', '--since', localDay(-29), '--until', localDay(0)]);
      assert.equal(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${report.totals.totalCost}`);
      assert.equal(await frame.locator('[data-kpi="tokens"]').getAttribute('title'), String(report.totals.totalTokens));
      const totalsRow = frame.locator('#table-providers tfoot tr');
      assert.equal((await totalsRow.locator('td').last().innerText()).trim(), money4(report.totals.totalCost));
      const models = modelTotals(report);
      const rows = frame.locator('#table-models tbody tr');
      assert.equal(await rows.count(), models.size, 'one row per model');
      for (const [model, t] of models) {
        const row = rows.filter({ has: frame.locator('td:first-child', { hasText: model }) }).first();
        assert.equal((await row.locator('td').nth(1).innerText()).trim(), money4(t.cost), `cost of ${model}`);
      }
      const priced = [...models].filter(([, t]) => t.cost > 0).sort((a, b) => a[1].cost / a[1].tokens - b[1].cost / b[1].tokens);
      // Cards show a model's short name (haiku-4-5), whole; hovering shows the exact id.
      const efficient = frame.locator('[data-insight="efficient"] .insight-value');
      assert.equal(await efficient.getAttribute('title'), priced[0][0]);
      const shortName = (await efficient.innerText()).trim();
      assert.ok(
        shortName.length > 0 && shortName.length < priced[0][0].length && priced[0][0].includes(shortName),
        `${shortName} is ${priced[0][0]} shortened`,
      );
      for (const id of ['chart-trend', 'chart-types', 'chart-sources', 'chart-models', 'chart-share', 'chart-efficiency']) {
        assert.equal(await frame.locator(`#${id}`).getAttribute('data-empty'), 'false', `${id} has something to draw`);
        const box = await frame.locator(`#${id}-canvas`).boundingBox();
        assert.ok(box && box.width > 150 && box.height > 100, `${id} is drawn: ${JSON.stringify(box)}`);
      }
      assert.ok(
        (await frame.locator('[data-alert="unpriced"]').innerText()).includes(EVIL_MODEL),
        'the unpriced model is named in an alert',
      );
      const bodyClass = await frame.evaluate(() => document.body.className);
      assert.ok(
        bodyClass.includes(theme === 'high-contrast' ? 'vscode-high-contrast' : `vscode-${theme}`),
        `the page follows the ${theme} theme: ${bodyClass}`,
      );
      await wb.page.screenshot({ path: join(shots, `views-top-${theme}.png`) });
      await frame.locator('#chart-sources').scrollIntoViewIfNeeded();
      await wb.page.screenshot({ path: join(shots, `views-charts-${theme}.png`) });
      await frame.locator('#table-sessions').scrollIntoViewIfNeeded();
      await wb.page.screenshot({ path: join(shots, `views-tables-${theme}.png`) });
      await frame.locator('.header').scrollIntoViewIfNeeded();
    });

    it('renders project and model names that contain HTML as inert text', async function () {
      const projects = await frame.locator('#table-projects tbody td:first-child').allInnerTexts();
      assert.ok(projects.includes(EVIL_PROJECT), `the project name is shown verbatim: ${JSON.stringify(projects)}`);
      const models = await frame.locator('#table-models tbody td:first-child').allInnerTexts();
      assert.ok(models.includes(EVIL_MODEL), 'the model name is shown verbatim');
      assert.equal(await frame.locator('#app img, #app script').count(), 0, 'no element was created from a name');
      assert.equal(await frame.evaluate(() => window.pwned), undefined, 'no script ran');
      await frame.locator('#table-projects').screenshot({ path: join(shots, `views-hostile-names-${theme}.png`) });
    });

    it('narrows every figure to a chosen range, provider and model', async function () {
      await choose(frame, 'filter-range', 'Today');
      const today = cliReport(home, ['daily', '--since', localDay(0), '--until', localDay(0)]);
      assert.equal(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${today.totals.totalCost}`);
      await choose(frame, 'filter-range', 'Yesterday');
      const yesterday = cliReport(home, ['daily', '--since', localDay(-1), '--until', localDay(-1)]);
      assert.equal(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${yesterday.totals.totalCost}`);
      await choose(frame, 'filter-range', 'Last 7 days');
      const week = modelTotals(cliReport(home, ['daily', '--since', localDay(-6), '--until', localDay(0)]));
      const opus = [...week.keys()].find((m) => m.startsWith('claude-opus-4-5'));
      await choose(frame, 'filter-provider', 'Anthropic');
      await choose(frame, 'filter-model', opus);
      assert.equal(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${week.get(opus).cost}`);
      assert.equal(await frame.locator('#table-models tbody tr').count(), 1);
      await wb.page.screenshot({ path: join(shots, `views-filtered-${theme}.png`) });
      // Choosing a provider clears the model: the figures widen to the whole provider again.
      await choose(frame, 'filter-provider', 'All providers');
      assert.notEqual(await frame.locator('[data-kpi="cost"]').getAttribute('title'), `$${week.get(opus).cost}`);
      await frame.locator('#filter-clear').click();
      await settled(frame);
    });

    it("draws the Hour view's trend in 2-minute steps", async function () {
      await frame.locator('vscode-button[data-quick="hour"]').click();
      await settled(frame);
      await frame.locator('#chart-trend summary').click();
      const labels = await frame.locator('#chart-trend table tbody th').allInnerTexts();
      assert.ok(labels.length >= 30 && labels.length <= 31, `${labels.length} steps in the last hour`);
      const minutes = labels.map((l) => Number(l.slice(0, 2)) * 60 + Number(l.slice(3, 5)));
      assert.ok(
        minutes.every((m, i) => i === 0 || (m - minutes[i - 1] + 1440) % 1440 === 2),
        `2 minutes apart: ${labels.join(' ')}`,
      );
      await frame.locator('#chart-trend').scrollIntoViewIfNeeded();
      await wb.page.screenshot({ path: join(shots, `views-hour-${theme}.png`) });
      await frame.locator('#chart-trend summary').click();
      await frame.locator('#filter-clear').click();
      await settled(frame);
    });

    it('says when no usage matches the filters, and clears them', async function () {
      await choose(frame, 'filter-range', 'Custom…');
      await frame.locator('#filter-from').click();
      await frame.locator('#filter-from input').fill('2020-01-01');
      await frame.locator('#filter-until input').fill('2020-01-31');
      await frame.locator('#filter-apply').click();
      await frame.locator('#empty-filtered').waitFor({ state: 'visible' });
      assert.match(await frame.locator('#empty-filtered').innerText(), /No usage matches these filters/);
      assert.equal(await frame.locator('[data-kpi="requests"]').innerText(), '0', 'the KPI row stays, at zero');
      await wb.page.screenshot({ path: join(shots, `views-empty-filtered-${theme}.png`) });
      await frame.locator('#empty-clear').click();
      await frame.locator('#empty-filtered').waitFor({ state: 'hidden' });
      await settled(frame);
    });

    it('shows a line an agent appends while the page is open, without a refresh', async function () {
      const before = Number(await frame.locator('[data-kpi="requests"]').getAttribute('title'));
      appendFileSync(
        join(home, '.claude', 'projects', '-home-me-app', 'sess-app-1.jsonl'),
        `${JSON.stringify({
          type: 'assistant',
          cwd: '/home/me/app',
          sessionId: 'sess-app-1',
          timestamp: new Date().toISOString(),
          requestId: 'req_live',
          message: {
            id: 'msg_live',
            role: 'assistant',
            model: 'claude-sonnet-4-5-20250929',
            usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
          },
        })}\n`,
      );
      await frame.waitForFunction((n) => Number(document.querySelector('[data-kpi="requests"]')?.getAttribute('title')) === n, before + 1, {
        timeout: 15_000,
      });
      // Tables below the fold catch up after the frame that shows the KPIs; the page is busy until then.
      await settled(frame);
      const recent = await frame.locator('#table-recent tbody tr').first().innerText();
      assert.match(recent, /claude-sonnet-4-5-20250929/, 'the newest request heads Recent activity');
    });

    it('marks a chart with nothing to draw: manual logs without a model cost nothing', async function () {
      await runCommand(wb.page, 'Token Cost: Log Usage Manually');
      await answerPrompts(wb.page, ['docs-site', 'write release notes', '4000', '']);
      await choose(frame, 'filter-source', 'Manual logs');
      assert.equal(await frame.locator('[data-kpi="tokens"]').getAttribute('title'), '4000');
      assert.equal(await frame.locator('#chart-share').getAttribute('data-empty'), 'true');
      assert.match(await frame.locator('#chart-share .chart-empty').innerText(), /No cost to chart/);
      const tasks = await frame.locator('#table-tasks tbody td:first-child').allInnerTexts();
      assert.deepEqual(tasks, ['write release notes']);
      await frame.locator('#chart-share').screenshot({ path: join(shots, `views-nothing-to-chart-${theme}.png`) });
    });
  });

  describe(`the dashboard before any usage exists (${theme})`, function () {
    let wb;

    after(async function () {
      await wb?.close();
    });

    it('explains where usage comes from', async function () {
      const home = mkdtempSync(join(tmpdir(), 'tcd-home-empty-'));
      wb = await openWorkbench({ name: 'empty', theme, home });
      await runCommand(wb.page, 'Token Cost: Open Dashboard');
      const frame = await webviewFrame(wb.page, 'panel');
      await frame.locator('#empty-all').waitFor({ state: 'visible', timeout: 30_000 });
      const text = await frame.locator('#empty-all').innerText();
      assert.match(text, /No token usage yet/);
      assert.ok(text.includes(join(home, '.claude', 'projects')), 'names the folder transcripts are read from');
      // Neither the personal KPIs nor the Team tab's (no tokenCost.team.prometheusUrl here) show zeros.
      const kpiRows = await frame.locator('.kpis').all();
      assert.ok(kpiRows.length >= 1);
      for (const k of kpiRows) assert.ok(await k.isHidden(), 'no zero KPIs on a first start');
      await wb.page.screenshot({ path: join(shots, `views-empty-all-${theme}.png`) });
    });
  });
}
