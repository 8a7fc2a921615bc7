import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { assistantLine, tempDir, writeLines } from './helpers';

// Lines the CLI skipped are reported in its JSON and on stderr, not only with --verbose.
describe('CLI: what a report skipped is said without --verbose', () => {
  it('adds a skipped field to the JSON and one line on stderr; none when nothing was skipped', function () {
    this.timeout(30_000);
    const dir = tempDir('tcd-cli-');
    const claude = path.join(dir, 'claude');
    const file = path.join(claude, 'projects', '-p', 's.jsonl');
    writeLines(file, [
      assistantLine({ id: 'm1', requestId: 'r1', output: 10, timestamp: '2026-11-20T10:00:00Z' }),
      '{"type":"assistant","message":{"usage":{"input_tokens":5,', // cut by a crash, then more was written
      assistantLine({ id: 'm2', requestId: 'r2', output: 20, timestamp: '2026-11-20T10:01:00Z' }),
    ]);
    const run = (dataDir: string) =>
      spawnSync(
        process.execPath,
        [path.join(__dirname, '..', '..', 'src', 'cli.js'), 'report', 'daily', '--json', '--data-dir', dataDir, '--tz', 'UTC'],
        {
          env: { ...process.env, HOME: dir, CLAUDE_CONFIG_DIR: claude, CODEX_HOME: path.join(dir, 'none') },
          encoding: 'utf8',
        },
      );
    const r = run(path.join(dir, 'data'));
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.totals.outputTokens, 30);
    assert.deepEqual(json.skipped, {
      malformedLines: 1,
      oversizedLines: 0,
      unreadableFiles: 0,
      files: [{ path: file, malformedLines: 1, oversizedLines: 0 }],
    });
    assert.match(r.stderr, /skipped 1 malformed and 0 oversized line\(s\) in 1 file\(s\); --verbose lists them/);
    // A warm run reads nothing new: nothing skipped, and the JSON keeps ccusage's shape.
    const again = run(path.join(dir, 'data'));
    assert.equal(JSON.parse(again.stdout).skipped, undefined);
    assert.doesNotMatch(again.stderr, /skipped/);
  });
});
