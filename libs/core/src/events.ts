import { EventEmitter } from 'node:events';

/**
 * A strongly typed event emitter. `Events` maps an event name to its payload.
 * Payloads are built lazily: pass a function to {@link TypedEmitter.emitLazy}
 * and it runs only when someone listens.
 *
 * @example
 * ```ts
 * type SinkEvents = { 'sink.batch_written': { rows: number; durationMs: number } };
 * const events = new TypedEmitter<SinkEvents>();
 * events.on('sink.batch_written', (e) => rowsCounter.inc(e.rows));
 * ```
 */
export class TypedEmitter<Events extends Record<string, object>> {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Metrics, dashboards and tests may each subscribe; the Node default of 10 is too tight.
    this.emitter.setMaxListeners(100);
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): void {
    this.emitter.off(event, listener);
  }

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  /** Emits only when the event has listeners, building the payload on demand. */
  emitLazy<K extends keyof Events & string>(event: K, build: () => Events[K]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, build());
  }

  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }
}
