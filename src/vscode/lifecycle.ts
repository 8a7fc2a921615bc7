/**
 * The extension's one disposal tree: every service and registration is added to one store, in the
 * order it was made, and torn down once, last made first, whether VS Code disposes the context's
 * subscriptions or calls deactivate() (both reach the same promise). A service whose teardown
 * is asynchronous (closing the database, the server) returns a promise from dispose(), and the
 * next one waits for it: the server stops before the engine it serves closes.
 */
export interface Teardown {
  dispose(): void | Promise<void>;
}

export class DisposableStore {
  private readonly items: Teardown[] = [];
  private done: Promise<void> | undefined;

  constructor(private readonly onError: (message: string) => void = () => undefined) {}

  /** Takes `item` into the tree; after teardown has begun, disposes it at once instead. */
  add<T extends Teardown>(item: T): T {
    if (this.done) void this.settle(item);
    else this.items.push(item);
    return item;
  }

  /** Disposes everything once, in reverse order; later calls get the same promise. */
  disposeAll(): Promise<void> {
    this.done ??= (async () => {
      for (const item of this.items.splice(0).reverse()) await this.settle(item);
    })();
    return this.done;
  }

  /** For context.subscriptions, which disposes synchronously. */
  dispose(): void {
    void this.disposeAll();
  }

  private async settle(item: Teardown): Promise<void> {
    try {
      await item.dispose();
    } catch (err) {
      this.onError(`While shutting down: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
