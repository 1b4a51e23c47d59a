/** Sliding-window attempt counting for logins: per client address and per seat. */
import { QueueError } from '../../lib/errors.ts';

export class AttemptLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();
  #lastSweep = 0;

  constructor(options: { limit: number; windowMs: number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
  }

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, now = Date.now()): number {
    const hits = this.#recent(key, now);
    if (hits.length < this.#limit) return 0;
    return Math.max(1, Math.ceil((hits[0]! + this.#windowMs - now) / 1000));
  }

  record(key: string, now = Date.now()): void {
    const hits = this.#recent(key, now);
    hits.push(now);
    this.#hits.set(key, hits);
    this.#sweep(now);
  }

  /** Throws a 429 `rate_limited` error (with `details.retry_after` seconds) when `key` is over its limit. */
  check(key: string, what: string, now = Date.now()): void {
    const wait = this.retryAfter(key, now);
    if (wait > 0) {
      throw new QueueError('rate_limited', `too many ${what}; try again in ${wait} s`, { details: { retry_after: wait } });
    }
  }

  #recent(key: string, now: number): number[] {
    const hits = this.#hits.get(key);
    if (!hits) return [];
    const fresh = hits.filter((at) => at > now - this.#windowMs);
    if (fresh.length === 0) this.#hits.delete(key);
    else this.#hits.set(key, fresh);
    return fresh;
  }

  /** Bounded memory: forget keys whose window has passed. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#windowMs) return;
    this.#lastSweep = now;
    for (const key of [...this.#hits.keys()]) this.#recent(key, now);
  }
}
