/** Callbacks to notify of something; `add` returns the function that removes the callback again. */
export class Listeners<Args extends unknown[]> {
  readonly #listeners = new Set<(...args: Args) => void>();

  add(listener: (...args: Args) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(...args: Args): void {
    for (const listener of [...this.#listeners]) listener(...args);
  }
}
