// Every agent a user runs, in one dashboard: a HOME holding every agent sample
// (../shared/corpora/agents/*), the fixtures of the agents without public samples
// (test/fixtures/agents), a Claude Desktop local-agent-mode transcript and a little of the real
// Claude Code and Codex corpus, opened in the real workbench. Each agent with data is in the
// source filter, and choosing it shows the CLI's figures for that agent
// (`token-cost <agent> daily --json`); Droid (no token totals in its samples) and Cursor (no
// usable local counts) are not there, and the dashboard says Cursor cannot be read locally.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../runner/vscodeServer.mjs';
import { choose, openWorkbench, runCommand, settled, shots, webviewFrame } from './helpers.mjs';

const require = createRequire(import.meta.url);
const corpora = join(repoRoot, '..', 'shared', 'corpora');
const fixtures = join(repoRoot, 'test', 'fixtures', 'agents');
const SQLITE = { goose: '.local/share/goose/sessions/sessions.db', kilo: '.local/share/kilo/kilo.db', hermes: '.hermes/state.db' };
/** The agents with data in this HOME, by their CLI scope, and the source each is shown as. */
const WITH_DATA = {
  claude: 'claude-code',
  codex: 'codex',
  gemini: 'gemini-cli',
  copilot: 'copilot-cli',
  opencode: 'opencode',
  pi: 'pi-agent',
  openclaw: 'openclaw:main',
  amp: 'amp',
  goose: 'goose',
  kilo: 'kilo',
  qwen: 'qwen',
  kimi: 'kimi',
  codebuff: 'codebuff',
  hermes: 'hermes',
  'claude-desktop': 'claude-desktop',
};

function writable(p) {
  chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) writable(join(p, e));
}

async function allAgentsHome() {
  const home = mkdtempSync(join(tmpdir(), 'tcd-e2e-agents-'));
  for (const agent of readdirSync(join(corpora, 'agents'))) {
    if (statSync(join(corpora, 'agents', agent)).isDirectory()) cpSync(join(corpora, 'agents', agent), home, { recursive: true });
  }
  for (const agent of readdirSync(fixtures)) if (agent !== 'sql') cpSync(join(fixtures, agent), home, { recursive: true });
  const initSqlJs = require('sql.js');
  const SQL = await initSqlJs({ wasmBinary: readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')) });
  for (const [agent, target] of Object.entries(SQLITE)) {
    const db = new SQL.Database();
    db.exec(readFileSync(join(fixtures, 'sql', `${agent}.sql`), 'utf8'));
    mkdirSync(dirname(join(home, target)), { recursive: true });
    writeFileSync(join(home, target), db.export());
    db.close();
  }
  // A little of the real corpus: one Claude Code project's smallest transcript with usage, one Codex rollout.
  const project = '-Users-dmytroshamsiiev-Projects-metrics';
  const claudeDir = join(corpora, 'real', 'home', '.claude', 'projects', project);
  const smallest = readdirSync(claudeDir)
    .filter((f) => f.endsWith('.jsonl') && readFileSync(join(claudeDir, f), 'utf8').includes('"usage":{'))
    .sort((a, b) => statSync(join(claudeDir, a)).size - statSync(join(claudeDir, b)).size)[0];
  mkdirSync(join(home, '.claude', 'projects', project), { recursive: true });
  cpSync(join(claudeDir, smallest), join(home, '.claude', 'projects', project, smallest));
  const rollout = 'rollout-2026-06-17T22-44-39-019ed7c2-0e29-7b52-b92a-ff8e6f9573a0.jsonl';
  mkdirSync(join(home, '.codex', 'sessions', '2026', '06', '17'), { recursive: true });
  cpSync(
    join(corpora, 'real', 'home', '.codex', 'sessions', '2026', '06', '17', rollout),
    join(home, '.codex', 'sessions', '2026', '06', '17', rollout),
  );
  // Claude Desktop's local agent mode: a Claude Code transcript under the app's folder.
  const cowork = join(
    home,
    '.config',
    'Claude',
    'local-agent-mode-sessions',
    'a1',
    'local_b2',
    '.claude',
    'projects',
    '-sessions-cowork',
    'c1.jsonl',
  );
  mkdirSync(dirname(cowork), { recursive: true });
  writeFileSync(
    cowork,
    `${JSON.stringify({
      type: 'assistant',
      timestamp: '2026-05-02T10:00:00.000Z',
      requestId: 'req_cowork_1',
      sessionId: 'c1',
      cwd: '/sessions/cowork',
      message: {
        id: 'msg_cowork_1',
        model: 'claude-sonnet-4-5-20250929',
        usage: { input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 5000, cache_creation_input_tokens: 800 },
      },
    })}\n`,
  );
  writable(home);
  return home;
}

/** `token-cost <agent> daily --json` for the HOME: the figures the dashboard must show. */
function cliAgent(home, agent) {
  const out = execFileSync(
    process.execPath,
    [join(repoRoot, 'dist/cli.js'), agent, 'daily', '--json', '--data-dir', mkdtempSync(join(tmpdir(), 'tcd-cli-'))],
    {
      env: { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: '', CODEX_HOME: '', XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' },
      encoding: 'utf8',
    },
  );
  return JSON.parse(out);
}

describe("every agent in one dashboard, each with the CLI's figures", function () {
  let wb, frame, home;

  before(async function () {
    home = await allAgentsHome();
    wb = await openWorkbench({ name: 'agents', theme: 'dark', home, viewport: { width: 1400, height: 1000 } });
    await runCommand(wb.page, 'Token Cost: Open Dashboard');
    frame = await webviewFrame(wb.page, 'panel');
    await settled(frame);
    await choose(frame, 'filter-range', 'All time');
  });

  after(async function () {
    await wb?.close();
  });

  it('lists each agent with data in the source filter, and nothing for Droid and Cursor', async function () {
    const values = await frame.locator('#filter-source vscode-option').evaluateAll((os) => os.map((o) => o.getAttribute('value')));
    for (const [agent, source] of Object.entries(WITH_DATA)) {
      assert.ok(cliAgent(home, agent).totals.totalTokens > 0, `${agent} has data in this HOME`);
      assert.ok(values.includes(source), `${source} (${agent}) is in the source filter: ${values.join(', ')}`);
    }
    assert.ok(!values.includes('droid') && !values.includes('cursor'), values.join(', '));
  });

  it('says that Cursor usage cannot be read locally', async function () {
    const note = frame.locator('[data-alert^="agent-note"]', { hasText: 'Cursor usage cannot be read locally' });
    await note.waitFor({ timeout: 30_000 });
    assert.match(await note.innerText(), /token counts on its servers/);
  });

  for (const agent of ['amp', 'codebuff']) {
    it(`shows ${agent}'s credits as \`token-cost ${agent} daily --json\` counts them, not as dollars`, async function () {
      const { totals } = cliAgent(home, agent);
      assert.ok(totals.credits > 0, `${agent} has credits in this HOME`);
      const alert = frame.locator(`[data-alert="credits-${agent}"]`);
      await alert.waitFor({ timeout: 30_000 });
      const text = await alert.innerText();
      assert.ok(text.includes(`${totals.credits.toLocaleString('en-US', { maximumFractionDigits: 2 })} credits`), text);
      assert.match(text, /No published rate turns them into dollars/);
    });
  }

  for (const [agent, source] of Object.entries(WITH_DATA)) {
    it(`${agent}: chosen in the source filter, the KPIs equal \`token-cost ${agent} daily --json\``, async function () {
      const { totals } = cliAgent(home, agent);
      // ccusage's Codex JSON (which ours follows) calls the total cost `costUSD`.
      const cost = totals.totalCost ?? totals.costUSD;
      const label = await frame.locator(`#filter-source vscode-option[value="${source}"]`).innerText();
      await frame.locator('#filter-source').click();
      await frame
        .locator('#filter-source .option', { hasText: new RegExp(`^\\s*${label.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) })
        .first()
        .click();
      await settled(frame);
      await frame.waitForFunction((s) => document.getElementById('filter-source')?.value === s, source);
      await settled(frame);
      // The same sum, added in another order by the CLI and the dashboard, can differ in the last
      // bit of a double ($0.31323 vs $0.31322999999999995).
      const shown = Number((await frame.locator('[data-kpi="cost"]').getAttribute('title')).replace(/^\$/, ''));
      assert.ok(cost > 0 && Math.abs(shown - cost) <= 1e-12 * cost, `${agent} cost: $${shown} shown, $${cost} in the CLI`);
      assert.equal(await frame.locator('[data-kpi="tokens"]').getAttribute('title'), String(totals.totalTokens), `${agent} tokens`);
      if (agent === 'openclaw' || agent === 'kimi') await wb.page.screenshot({ path: join(shots, `agents-${agent}.png`) });
    });
  }
});
