/**
 * Worker leases in Redis: each worker is driven by one server process at a
 * time. A holder renews its lease every health check; when it dies the key
 * expires and another process takes the worker over within one TTL.
 */
import { Redis } from 'ioredis';
import type { WorkerLeases } from '../pool/leases.ts';

// Take the lease if free or already ours, and (re)arm its expiry, atomically.
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisLeases implements WorkerLeases {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: { url: string; prefix?: string }) {
    this.#redis = new Redis(options.url, { maxRetriesPerRequest: 1 });
    this.#redis.on('error', () => {}); // failures surface as rejected acquire() calls
    this.#prefix = `${options.prefix ?? 'cm:'}lease:`;
  }

  async acquire(worker: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.eval(ACQUIRE, 1, this.#prefix + worker, holder, String(Math.max(1, Math.round(ttlMs))))) === 1;
  }

  async release(worker: string, holder: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#prefix + worker, holder);
  }

  async holder(worker: string): Promise<string | null> {
    return this.#redis.get(this.#prefix + worker);
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
