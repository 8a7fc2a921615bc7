// The dashboard's Team tab in the real workbench, against a real Prometheus (Debian's package,
// started here on loopback with its remote-write receiver) that two machines pushed to with
// `token-cost push`: cost by user and by model equal what each machine's CLI reports.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureHome } from '../fixtures/makeHome.mjs';
import { repoRoot } from '../runner/vscodeServer.mjs';
import { choose, cliReport, openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

const PROMETHEUS = '/usr/bin/prometheus';

async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function push(home, user, machine, url) {
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'dist/cli.js'),
      'push',
      '--remote-write',
      url,
      '--user',
      user,
      '--machine',
      machine,
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'tcd-team-data-')),
    ],
    { env: { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: '', CODEX_HOME: '' } },
  );
}

describe('the Team tab against a real Prometheus', function () {
  let prom, base, wb, frame;
  const expected = { users: new Map(), models: new Map() };

  before(async function () {
    assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing: apt-get install -y prometheus (npm test installs it)`);
    const dir = mkdtempSync(join(tmpdir(), 'tcd-team-prom-'));
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
      ],
      { stdio: 'ignore' },
    );
    let ready = false;
    for (let i = 0; i < 200 && !ready; i++) {
      ready = await new Promise((r) =>
        http
          .get(`${base}/-/ready`, (res) => {
            res.resume();
            r(res.statusCode === 200);
          })
          .on('error', () => r(false)),
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ready, 'Prometheus became ready');

    // Two machines: the fixture HOME twice, as two people.
    for (const user of ['alice', 'bob']) {
      const home = makeFixtureHome(mkdtempSync(join(tmpdir(), `tcd-team-${user}-`)));
      push(home, user, `${user}-laptop`, `${base}/api/v1/write`);
      const report = cliReport(home);
      expected.users.set(user, report.totals.totalCost);
      for (const d of report.daily)
        for (const m of d.modelBreakdowns) expected.models.set(m.modelName, (expected.models.get(m.modelName) ?? 0) + m.cost);
    }

    // The person looking at the dashboard is a third machine with the fixture's own usage.
    wb = await openWorkbench({
      name: 'team',
      home: makeFixtureHome(mkdtempSync(join(tmpdir(), 'tcd-team-viewer-'))),
      settings: { 'tokenCost.team.prometheusUrl': base },
    });
    await runCommand(wb.page, 'Token Cost: Open Dashboard');
    frame = await webviewFrame(wb.page, 'panel');
    await settled(frame);
  });

  after(async () => {
    await wb?.close();
    if (prom && prom.exitCode === null) prom.kill('SIGTERM');
  });

  it("shows the team tab; all time, cost by user and by model equal the two CLIs' reports", async () => {
    await choose(frame, 'filter-range', 'All time');
    await frame.locator('#tab-team').click();
    await frame.locator('#team').waitFor({ state: 'visible' });
    const rows = frame.locator('#team-users tbody tr');
    await frame.waitForFunction(() => document.querySelectorAll('#team-users tbody tr').length === 2);
    for (const [user, cost] of expected.users) {
      const row = rows.filter({ has: frame.locator('td:first-child', { hasText: user }) }).first();
      const shown = Number((await row.locator('td').nth(1).getAttribute('title')).slice(1));
      assert.ok(Math.abs(shown - cost) < 1e-9 * Math.max(1, cost), `${user}: the Team tab shows $${shown}, the CLI $${cost}`);
    }
    const modelRows = frame.locator('#team-models tbody tr');
    assert.equal(await modelRows.count(), expected.models.size);
    for (const [model, cost] of expected.models) {
      const row = modelRows.filter({ has: frame.locator('td:first-child', { hasText: model }) }).first();
      const shown = Number((await row.locator('td').nth(1).getAttribute('title')).slice(1));
      assert.ok(Math.abs(shown - cost) < 1e-9 * Math.max(1, cost), `${model}: $${shown} vs $${cost}`);
    }
    const total = [...expected.users.values()].reduce((a, b) => a + b, 0);
    const kpi = Number((await frame.locator('[data-kpi="team-cost"]').getAttribute('title')).slice(1));
    assert.ok(Math.abs(kpi - total) < 1e-9 * total, `team cost KPI ${kpi} vs ${total}`);
    assert.equal((await frame.locator('[data-kpi="team-people"]').innerText()).trim(), '2');
    assert.equal((await frame.locator('[data-kpi="team-machines"]').innerText()).trim(), '2');
    await wb.page.screenshot({ path: join(shots, 'team-tab.png') });
    // Back to the personal view: its figures are still there.
    await frame.locator('#tab-personal').click();
    await frame.locator('#personal').waitFor({ state: 'visible' });
    assert.equal(await frame.locator('#team').isHidden(), true);
  });
});
