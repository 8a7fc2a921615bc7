/**
 * Work for a card that is off screen waits until after the frame that shows the new figures (or
 * until it scrolls into view): a filter change draws what the user sees first. A page makes one
 * `Deferral` (one IntersectionObserver for all its cards) and learns when nothing waits any more
 * (the panel keeps `aria-busy` until then).
 */
export class Deferral {
  private observer: IntersectionObserver | undefined;
  private readonly cards = new WeakMap<Element, LazyCard>();
  private waiting = 0;
  private readonly settledListeners: (() => void)[] = [];

  /** A card for `section`, watched for being on screen. */
  card(section: HTMLElement): LazyCard {
    const c = new LazyCard(this);
    if (typeof IntersectionObserver !== 'undefined') {
      this.observer ??= new IntersectionObserver((entries) => {
        for (const e of entries) this.cards.get(e.target)?.setOnScreen(e.isIntersecting);
      });
      this.cards.set(section, c);
      this.observer.observe(section);
    }
    return c;
  }

  /** Calls `fn` once no card has an update waiting (at once when none has). */
  whenSettled(fn: () => void): void {
    if (this.waiting === 0) fn();
    else this.settledListeners.push(fn);
  }

  /** Called by the cards: one more (1) or one less (-1) update waiting. */
  changeWaiting(delta: number): void {
    this.waiting += delta;
    if (this.waiting === 0) this.settledListeners.splice(0).forEach((fn) => fn());
  }
}

/** After the frame being drawn, when the page is idle (at most half a second later). */
function afterFrame(fn: () => void): void {
  requestAnimationFrame(() => ('requestIdleCallback' in window ? window.requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 50)));
}

/** Runs a card's latest update at once when on screen, else after the frame or when it comes into view. */
export class LazyCard {
  private pending: (() => void) | undefined;
  /** An update waits (and is counted by the owner). */
  private deferred = false;
  private scheduled = false;
  /** Unknown (undefined) until the observer first reports; unknown counts as on screen. */
  private onScreen: boolean | undefined;

  constructor(private readonly owner: Deferral) {}

  /** `update` replaces any update still waiting. */
  run(update: () => void): void {
    this.pending = update;
    if (this.onScreen !== false) {
      this.flush();
      return;
    }
    if (!this.deferred) {
      this.deferred = true;
      this.owner.changeWaiting(1);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      afterFrame(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  setOnScreen(on: boolean): void {
    this.onScreen = on;
    if (on) this.flush();
  }

  private flush(): void {
    const update = this.pending;
    this.pending = undefined;
    update?.();
    if (this.deferred) {
      this.deferred = false;
      this.owner.changeWaiting(-1);
    }
  }
}
