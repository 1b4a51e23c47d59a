/**
 * Which process drives which worker. With several server processes on one
 * Redis, each worker must be driven by exactly one of them; a lease with a
 * short TTL, renewed by its holder, lets another process take over within a
 * few seconds when the holder dies.
 */
export interface WorkerLeases {
  /** Takes or renews the lease on `worker` for `holder`; true when `holder` now holds it. */
  acquire(worker: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `holder` holds it. */
  release(worker: string, holder: string): Promise<void>;
  holder(worker: string): Promise<string | null>;
}

/** One process: every lease is granted to the first holder that asks and kept until it expires. */
export class LocalLeases implements WorkerLeases {
  readonly #leases = new Map<string, { holder: string; until: number }>();
  readonly #now: () => number;

  constructor(clock: () => number = Date.now) {
    this.#now = clock;
  }

  async acquire(worker: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const current = this.#leases.get(worker);
    if (current && current.holder !== holder && current.until > now) return false;
    this.#leases.set(worker, { holder, until: now + ttlMs });
    return true;
  }

  async release(worker: string, holder: string): Promise<void> {
    if (this.#leases.get(worker)?.holder === holder) this.#leases.delete(worker);
  }

  async holder(worker: string): Promise<string | null> {
    const current = this.#leases.get(worker);
    return current && current.until > this.#now() ? current.holder : null;
  }
}
