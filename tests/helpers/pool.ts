/**
 * A queue, a worker pool and N simulated ComfyUI workers in a temp dir, for
 * tests that run jobs end to end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputStore } from '../../lib/outputs/output-store.ts';
import { InputStager } from '../../lib/pool/input-stager.ts';
import type { PoolEvents } from '../../lib/pool/types.ts';
import { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from '../../lib/pool/worker-pool.ts';
import { LocalProvider } from '../../lib/providers/local-provider.ts';
import { createQueue, type Queue, type QueueOptions } from '../../lib/queue.ts';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../../lib/simulator/index.ts';
import type { QueueStore } from '../../lib/store/queue-store.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { finished, until } from './wait.ts';

export { finished, until };

export interface PoolFixture {
  dir: string;
  queue: Queue;
  pool: WorkerPool;
  store: QueueStore;
  sims: SimulatorHandle[];
  outputs: OutputStore;
  inputs: InputStager;
  /** Every job.comfy event the pool emitted, in order. */
  comfy: PoolEvents['job.comfy'][];
  close(): Promise<void>;
}

export interface PoolFixtureOptions {
  workers?: number;
  simulator?: SimulatorOptions;
  pool?: Partial<Omit<WorkerPoolOptions, 'queue' | 'provider' | 'outputs' | 'inputs'>>;
  queue?: Partial<Omit<QueueOptions, 'store'>>;
  /** Reuse a data dir (restart tests). */
  dir?: string;
  /** Reuse running simulators (restart tests). */
  sims?: SimulatorHandle[];
  store?: QueueStore;
}

export const FAST_TIMING = { healthIntervalMs: 100, downAfterMs: 400, leaseTtlMs: 1_000, canaryTimeoutMs: 5_000 };

export async function openPool(options: PoolFixtureOptions = {}): Promise<PoolFixture> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cm-pool-')));
  const sims = options.sims ?? (await Promise.all(Array.from({ length: options.workers ?? 3 }, () => startSimulator(options.simulator ?? {}))));
  const store = options.store ?? new SqliteQueueStore({ path: join(dir, 'queue.db') });
  const queue = await createQueue({ settings: { caps: { maxQueuedPerSeat: 0, maxDepth: 0 } }, ...options.queue, store });
  const outputs = new OutputStore({ root: join(dir, 'outputs') });
  const inputs = new InputStager({ root: join(dir, 'inputs') });
  const provider = new LocalProvider({ workers: sims.map((sim, i) => ({ id: `w${i + 1}`, url: sim.url })) });
  const pool = await createWorkerPool({ queue, provider, outputs, inputs, timing: FAST_TIMING, ...options.pool });
  const comfy: PoolEvents['job.comfy'][] = [];
  pool.events.on('job.comfy', (event) => comfy.push(event));
  return {
    dir,
    queue,
    pool,
    store,
    sims,
    outputs,
    inputs,
    comfy,
    async close() {
      await pool.stop();
      await queue.close();
      await store.close();
      if (!options.sims) await Promise.all(sims.map((sim) => sim.close()));
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `n` workers are ready. */
export async function untilReady(pool: WorkerPool, n: number, timeoutMs = 10_000): Promise<void> {
  await until(() => pool.readyCount() >= n, timeoutMs, `${n} ready workers`);
}

export function imagePrompt(color: number, prefix = 'cm') {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
    '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}

/** A prompt that runs for about steps x stepMs on the simulator, with progress and previews. */
export function slowPrompt(color: number, steps = 10, stepMs = 50, prefix = 'slow') {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
    '2': { class_type: 'RigSlowProgress', inputs: { image: ['1', 0], steps, step_ms: stepMs, fail_at: -1 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}
