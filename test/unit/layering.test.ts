import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../../..');
/** Paths in the messages are relative to the folder the check runs in. */
const check = (cwd: string, ...dirs: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'scripts/check-cycles.mjs'), ...dirs], { cwd, encoding: 'utf8' });

function tree(files: Record<string, string>): string {
  const dir = tempDir('tcd-layering-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('layering: the import check npm test runs first', () => {
  it('passes on this repository: no import cycle in src/ and webview/, no vscode in src/core', () => {
    const r = check(root);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /no cycle/);
  });

  it('names every file of a cycle, type-only imports and re-exports included, and vscode in src/core', () => {
    const dir = tree({
      'src/core/a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'src/core/b.ts': "export { c } from './sub/c';\nexport interface B { n: number }\n",
      'src/core/sub/c.ts': "import { type A } from '../a';\nexport const c = (a: A) => a;\n",
      'src/core/ui.ts': "import * as vscode from 'vscode';\nexport const v = vscode;\n",
      'src/vscode/ok.ts': "import * as vscode from 'vscode';\nimport { c } from '../core/sub/c';\nexport const w = [vscode, c];\n",
    });
    const r = check(dir, 'src');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /import cycle among 3 files: src\/core\/a\.ts <-> src\/core\/b\.ts <-> src\/core\/sub\/c\.ts/);
    assert.match(r.stderr, /src\/core\/ui\.ts imports 'vscode'/);
    assert.doesNotMatch(r.stderr, /ok\.ts/, 'src/vscode may import vscode and the core');
  });

  it('passes a tree whose imports point one way', () => {
    const dir = tree({
      'src/core/a.ts': 'export const a = 1;\n',
      'src/core/b.ts': "import { a } from './a';\nexport const b = a + 1;\n",
      'src/index.ts': "import { b } from './core/b';\nexport default b;\n",
    });
    assert.equal(check(dir, 'src').status, 0);
  });
});
