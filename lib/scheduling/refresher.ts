/**
 * Keeps an expensive derived value (the queue snapshot) fresh without letting it
 * pile up: one computation runs at a time, callers during it share a single
 * follow-up, and `soon()` folds a burst of changes into one run per delay.
 */
export class CoalescingRefresher<T> {
  readonly #compute: () => Promise<T>;
  readonly #delayMs: number;
  readonly #onError: (error: unknown) => void;
  #current: Promise<T> | null = null;
  #followUp: Promise<T> | null = null;
  #scheduled: Promise<T> | null = null;
  #last: T | null = null;
  #closed = false;

  constructor(compute: () => Promise<T>, options: { delayMs: number; onError: (error: unknown) => void }) {
    this.#compute = compute;
    this.#delayMs = options.delayMs;
    this.#onError = options.onError;
  }

  /** A value computed after this call. */
  now(): Promise<T> {
    if (!this.#current) {
      this.#current = this.#compute()
        .then((value) => {
          this.#last = value;
          return value;
        })
        .finally(() => {
          this.#current = null;
        });
      return this.#current;
    }
    this.#followUp ??= this.#current
      .catch(() => undefined)
      .then(() => {
        this.#followUp = null;
        return this.now();
      });
    return this.#followUp;
  }

  /** Asks for a run within the delay, off the caller's path. */
  soon(): void {
    if (this.#scheduled || this.#closed) return;
    const scheduled = new Promise((resolve) => setTimeout(resolve, this.#delayMs)).then(() => {
      this.#scheduled = null;
      return this.now();
    });
    scheduled.catch(this.#onError);
    this.#scheduled = scheduled;
  }

  /** The value reflecting every change asked for so far: the pending one, else the last one. */
  latest(): Promise<T> {
    return this.#scheduled ?? this.#followUp ?? this.#current ?? (this.#last === null ? this.now() : Promise.resolve(this.#last));
  }

  /** Lets pending runs finish; no new scheduled ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#scheduled?.catch(() => undefined);
    await this.#current?.catch(() => undefined);
  }
}
