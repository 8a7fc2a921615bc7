import * as assert from 'node:assert/strict';
import { DisposableStore } from '../../src/vscode/lifecycle';

describe('lifecycle: the one disposal tree of the extension', () => {
  it('tears down once, last made first, each waiting for the asynchronous one after it', async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const tree = new DisposableStore((m) => errors.push(m));
    tree.add({ dispose: () => void order.push('log') });
    tree.add({
      dispose: async () => {
        await new Promise((r) => setTimeout(r, 20));
        order.push('engine closed');
      },
    });
    tree.add({
      dispose: () => {
        throw new Error('the server was gone');
      },
    });
    tree.add({ dispose: () => void order.push('commands') });
    tree.dispose(); // context.subscriptions
    const again = tree.disposeAll(); // deactivate(), at the same time
    await again;
    assert.deepEqual(order, ['commands', 'engine closed', 'log'], 'the log outlives the engine, which closes before the log goes');
    assert.deepEqual(errors, ['While shutting down: the server was gone'], 'one failure is logged and the rest still run');
    await tree.disposeAll();
    assert.equal(order.length, 3, 'nothing is disposed twice');
    tree.add({ dispose: () => void order.push('late') });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order.at(-1), 'late', 'what arrives after teardown is disposed at once');
  });
});
