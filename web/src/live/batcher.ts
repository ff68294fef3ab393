// Collects live events and hands them on at most once per animation frame, so 100 events a
// second cost a few renders a second, not 100. A hidden tab gets no animation frames, so a
// timer flushes there instead and the queue never grows without bound.

export interface FrameScheduler {
  request(fn: () => void): () => void;
}

export const browserScheduler: FrameScheduler = {
  request(fn) {
    if (typeof document !== "undefined" && document.visibilityState === "hidden") {
      const t = setTimeout(fn, 500);
      return () => clearTimeout(t);
    }
    const id = requestAnimationFrame(fn);
    return () => cancelAnimationFrame(id);
  },
};

export class FrameBatcher<T> {
  private queue: T[] = [];
  private cancel: (() => void) | undefined;

  constructor(
    private readonly deliver: (batch: T[]) => void,
    private readonly scheduler: FrameScheduler = browserScheduler,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    this.cancel ??= this.scheduler.request(() => this.flush());
  }

  /** Delivers what is queued now (before a resync, so nothing is applied on top of it). */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.deliver(batch);
  }

  dispose(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.queue = [];
  }
}
