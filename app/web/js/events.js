// A minimal event emitter for the few app-wide notifications (tokens changed, sessions changed, ...).

export class Emitter {
  #listeners = new Map();

  on(event, listener) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(listener);
    return () => this.#listeners.get(event)?.delete(listener);
  }

  emit(event, ...args) {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // One broken listener must not stop the others; the console still shows it.
        console.error(error);
      }
    }
  }
}
