/**
 * THE place where the server builds its worker pool from the config's
 * provider block. `start` and `demo` both call `createPool`; tests build an
 * app without a pool (or with their own emitter) through buildApp directly.
 */
import type { OutputStore } from '../lib/outputs/output-store.ts';
import type { InputStager } from '../lib/pool/input-stager.ts';
import { createWorkerPool } from '../lib/pool/worker-pool.ts';
import { createProvider } from '../lib/providers/create-provider.ts';
import type { Queue } from '../lib/queue.ts';
import { RedisLeases } from '../lib/store/redis-leases.ts';
import type { Config } from './config.ts';
import type { PoolHandle } from './context.ts';

export interface PoolFactoryContext {
  config: Config;
  queue: Queue;
  outputs: OutputStore;
  inputs: InputStager;
}

export async function createPool(context: PoolFactoryContext): Promise<PoolHandle> {
  const { config } = context;
  const provider = createProvider(config.provider);
  // Cloud providers may have nothing running yet: bring up what the config allows
  // (a Verda instance, a warm Modal container) before the pool looks for workers.
  if (config.provider.kind === 'verda' || config.provider.kind === 'modal') {
    const existing = await provider.listWorkers();
    if (existing.length === 0) {
      const { max } = await provider.capacity();
      await provider.startWorkers(max);
    }
  }
  // Several server processes on one Redis: each worker is driven by one of them at a time.
  const leases = config.store.kind === 'redis' ? new RedisLeases({ url: config.store.url, prefix: config.store.prefix }) : undefined;
  const pool = await createWorkerPool({
    queue: context.queue,
    provider,
    outputs: context.outputs,
    inputs: context.inputs,
    ...(leases ? { leases } : {}),
  });
  return {
    events: pool.events,
    workers: () => pool.workers(),
    drain: (id) => pool.drain(id),
    enable: (id) => pool.enable(id),
    async stop() {
      await pool.stop();
      await leases?.close();
    },
  };
}
