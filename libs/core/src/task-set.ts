/**
 * The promises an object has in flight (sends, deliveries, fetches), so it
 * can wait for room, drain on close, or count them. A promise leaves the set
 * when it settles; a rejection is the caller's to handle, the set never
 * reports it.
 *
 * @example
 * ```ts
 * const sends = new TaskSet();
 * sends.track(producer.send(batch).catch(onError));
 * while (sends.size >= 4) await sends.any();
 * await sends.drain();
 * ```
 */
export class TaskSet {
  private readonly tasks = new Set<Promise<unknown>>();

  /** How many tracked promises have not settled yet. */
  get size(): number {
    return this.tasks.size;
  }

  /** Tracks `promise` until it settles and returns it unchanged. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.tasks.add(promise);
    const forget = () => void this.tasks.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Resolves when any tracked promise settles (at once when none is tracked). Never rejects. */
  async any(): Promise<void> {
    if (this.tasks.size === 0) return;
    await Promise.race([...this.tasks].map((task) => task.then(settled, settled)));
  }

  /** Resolves once no promise is in flight, including ones tracked while waiting. Never rejects. */
  async drain(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** A snapshot of the promises in flight. */
  snapshot(): Array<Promise<unknown>> {
    return [...this.tasks];
  }
}

/** Turns any outcome into a plain resolution. */
function settled(): undefined {
  return undefined;
}
