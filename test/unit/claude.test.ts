import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { claudeProjectRoots, describeTranscript, parseClaudeLine } from '../../src/core/ingest/claude';
import { PriceTable } from '../../src/core/pricing/pricing';
import { assistantLine } from './helpers';

describe('claude: discovery and parsing', () => {
  it('reads both default roots', () => {
    assert.deepEqual(claudeProjectRoots({ env: {}, home: '/h' }), ['/h/.config/claude/projects', '/h/.claude/projects']);
    assert.deepEqual(claudeProjectRoots({ env: { XDG_CONFIG_HOME: '/x' }, home: '/h' }), ['/x/claude/projects', '/h/.claude/projects']);
  });

  it('lets CLAUDE_CONFIG_DIR (a trimmed, comma-separated list with ~) replace the defaults', () => {
    assert.deepEqual(claudeProjectRoots({ env: { CLAUDE_CONFIG_DIR: ' ~/a , /b ,' }, home: '/h' }), ['/h/a/projects', '/b/projects']);
  });

  it('lets the setting win over the environment', () => {
    assert.deepEqual(claudeProjectRoots({ configDirs: ['/s'], env: { CLAUDE_CONFIG_DIR: '/b' }, home: '/h' }), ['/s/projects']);
  });

  it('recognises subagent transcripts and their session', () => {
    const root = '/h/.claude/projects';
    const t = describeTranscript(root, path.join(root, '-home-me-app', 'sess-9', 'subagents', 'agent-1.jsonl'));
    assert.equal(t.isSubagent, true);
    assert.equal(t.sessionFromPath, 'sess-9');
    assert.equal(t.projectDir, '-home-me-app');
    const main = describeTranscript(root, path.join(root, '-home-me-app', 'sess-9.jsonl'));
    assert.equal(main.isSubagent, false);
    assert.equal(main.sessionFromPath, 'sess-9');
  });

  it('parses an assistant line into a deduplicable, priced record', () => {
    const file = describeTranscript('/r', '/r/-p/s.jsonl');
    const out = parseClaudeLine(
      assistantLine({ id: 'msg_1', requestId: 'req_1', input: 5, output: 7, cacheWrite: 11, cacheRead: 13 }),
      0,
      file,
      new PriceTable(),
      'auto',
    );
    assert.equal(out.kind, 'record');
    if (out.kind !== 'record') return;
    assert.equal(out.record.dedupKey, 'm:msg_1:req_1');
    assert.equal(out.record.project, '/home/me/app');
    assert.equal(out.record.source, 'claude-code');
    assert.deepEqual(
      [out.record.inputTokens, out.record.outputTokens, out.record.cacheWriteTokens, out.record.cacheReadTokens],
      [5, 7, 11, 13],
    );
    assert.ok(out.record.cost > 0);
  });

  it('keys a message id without requestId by its instant (copies written together are one)', () => {
    const file = describeTranscript('/r', '/r/-p/s.jsonl');
    const key = (ts: string) => {
      const out = parseClaudeLine(assistantLine({ id: 'msg_1', timestamp: ts }), 0, file, new PriceTable(), 'auto');
      return out.kind === 'record' ? out.record.dedupKey : undefined;
    };
    assert.equal(key('2026-11-20T10:00:00Z'), key('2026-11-20T10:00:00.000Z'));
    assert.notEqual(key('2026-11-20T10:00:00Z'), key('2026-11-20T10:00:01Z'));
  });

  it('keys lines without message id by their position, and flags malformed lines', () => {
    const file = describeTranscript('/r', '/r/-p/s.jsonl');
    const out = parseClaudeLine(assistantLine({}), 42, file, new PriceTable(), 'auto');
    assert.equal(out.kind === 'record' && out.record.dedupKey, 'l:/r/-p/s.jsonl:42');
    assert.equal(parseClaudeLine('{"usage":{', 0, file, new PriceTable(), 'auto').kind, 'malformed');
    assert.equal(parseClaudeLine('{"message":{"usage":{}}}', 0, file, new PriceTable(), 'auto').kind, 'no-usage');
  });
});
