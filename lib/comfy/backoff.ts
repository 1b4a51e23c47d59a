/**
 * Exponential reconnect delays with "equal jitter": half of each step is fixed,
 * half random. The fixed half keeps a floor under the delay (so a flapping
 * worker is never hammered), the random half spreads the reconnects of many
 * clients that lost the same worker at the same moment.
 */
export interface BackoffOptions {
  /** First delay before jitter, in ms. */
  initialMs?: number;
  /** Ceiling for any delay, in ms. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 10_000 } as const;

/** The delay before reconnect attempt number `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initialMs = Math.max(0, options.initialMs ?? DEFAULT_BACKOFF.initialMs);
  const maxMs = Math.max(initialMs, options.maxMs ?? DEFAULT_BACKOFF.maxMs);
  // 2 ** 40 already exceeds any sane ceiling; capping the exponent avoids Infinity.
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt), 40));
  const half = step / 2;
  return Math.round(half + half * random());
}

/** Counts attempts so callers only say "failed again" or "succeeded". */
export class Backoff {
  #attempt = 0;
  readonly #options: BackoffOptions;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** The delay to wait now; the next call returns a longer one. */
  next(): number {
    const delay = backoffDelay(this.#attempt, this.#options, this.#random);
    this.#attempt += 1;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
