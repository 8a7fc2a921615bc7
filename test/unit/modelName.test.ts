import * as assert from 'node:assert/strict';
import { displayModelName, displayNames } from '../../src/core/modelName';

describe('model display names: short in cards and charts, whole', () => {
  it("shortens seed 000's example and the ids agents write", () => {
    const cases: [string, string][] = [
      ['anthropic/claude-sonnet-4-20250514', 'sonnet-4'],
      ['claude-sonnet-4-5-20250929', 'sonnet-4-5'],
      ['claude-opus-4-5', 'opus-4-5'],
      ['claude-haiku-4-5-20251001', 'haiku-4-5'],
      ['claude-3-5-haiku-20241022', 'haiku-3-5'],
      ['claude-3-opus-20240229', 'opus-3'],
      ['claude-3.5-sonnet', 'sonnet-3.5'],
      ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'sonnet-4'],
      ['claude-sonnet-4@20250514', 'sonnet-4'],
      ['openai/gpt-4o-2024-08-06', 'gpt-4o'],
      ['gpt-5-codex', 'gpt-5-codex'],
      ['models/gemini-2.5-pro', 'gemini-2.5-pro'],
      ['<synthetic>', '<synthetic>'],
      ['unspecified', 'unspecified'],
    ];
    for (const [id, shown] of cases) assert.equal(displayModelName(id), shown, id);
  });

  it('names fast mode as a word after the model, not as part of it', () => {
    assert.equal(displayModelName('claude-opus-4-8-fast'), 'opus-4-8 fast');
    assert.equal(displayModelName('anthropic/claude-opus-4-6-20260115-fast'), 'opus-4-6 fast');
  });

  it('never cuts a name: the short name is a whole part of the id, and an id with nothing to drop stays whole', () => {
    const long = 'claude-sonnet-4-5-20250929';
    assert.ok(long.includes(displayModelName(long)));
    assert.equal(displayModelName('my-very-long-self-hosted-model-name-v2-instruct'), 'my-very-long-self-hosted-model-name-v2-instruct');
    assert.equal(displayModelName('claude-'), 'claude-', 'nothing left to show: the id');
    assert.equal(displayModelName('trailing/'), 'trailing/');
  });

  it('keeps the exact ids of two models a page would otherwise show under one name', () => {
    const names = displayNames(['claude-sonnet-4-20250514', 'anthropic/claude-sonnet-4-20250514', 'claude-opus-4-5']);
    assert.equal(names.get('claude-sonnet-4-20250514'), 'claude-sonnet-4-20250514');
    assert.equal(names.get('anthropic/claude-sonnet-4-20250514'), 'anthropic/claude-sonnet-4-20250514');
    assert.equal(names.get('claude-opus-4-5'), 'opus-4-5');
  });
});
