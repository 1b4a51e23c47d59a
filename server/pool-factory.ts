/**
 * THE place where the server builds its worker pool from the config's
 * provider block. `start` and `demo` both call `createPool`; tests build an
 * app without a pool (or with their own emitter) through buildApp directly.
 */
import type { OutputStore } from '../lib/outputs/output-store.ts';
import type { InputStager } from '../lib/pool/input-stager.ts';
import { createWorkerPool } from '../lib/pool/worker-pool.ts';
import { LocalProvider } from '../lib/providers/local-provider.ts';
import type { InferenceProvider } from '../lib/providers/provider.ts';
import type { Queue } from '../lib/queue.ts';
import type { Config, ProviderConfig } from './config.ts';
import type { PoolHandle } from './context.ts';

export interface PoolFactoryContext {
  config: Config;
  queue: Queue;
  outputs: OutputStore;
  inputs: InputStager;
}

/** One case per provider kind in config.ts's ProviderSchema. */
export function providerFor(config: ProviderConfig): InferenceProvider {
  switch (config.kind) {
    case 'local':
      return new LocalProvider({ workers: config.workers });
  }
}

export async function createPool(context: PoolFactoryContext): Promise<PoolHandle> {
  return createWorkerPool({
    queue: context.queue,
    provider: providerFor(context.config.provider),
    outputs: context.outputs,
    inputs: context.inputs,
  });
}
