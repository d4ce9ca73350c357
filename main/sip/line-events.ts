/**
 * A small typed event emitter: several subscribers per event, `on()` returns the unsubscribe
 * function (STYLE: "one `onX(cb) → unsubscribe` per event"). A throwing listener does not stop
 * the others; its error is rethrown asynchronously so it is not lost.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();

  /** Calls `listener` for every `event` until the returned function is called. */
  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => {
      set.delete(listener as (value: never) => void);
    };
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Drops every subscriber. */
  clear(): void {
    this.listeners.clear();
  }
}
