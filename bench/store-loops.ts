/**
 * The submit -> claim -> running -> succeeded loop, three ways: straight on a
 * QueueStore, through createQueue, and the same shape on BullMQ. Used by the
 * in-process clients of bench/store-throughput.ts and by bench/store-client.ts
 * (one client per child process).
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { createQueue, type Queue } from '../lib/queue.ts';
import { roundRobinPolicy } from '../lib/scheduling/policy.ts';
import type { QueueStore } from '../lib/store/queue-store.ts';
import { RedisQueueStore } from '../lib/store/redis-store.ts';
import { SqliteQueueStore } from '../lib/store/sqlite-store.ts';
import { benchJob, NO_CAPS, promptFor, seatOf } from './harness.ts';

export type LoopPath = 'api' | 'queue' | 'bullmq';

/** Where a loop runs: a SQLite file or a Redis URL, plus the key prefix on Redis. */
export interface StoreSpec {
  kind: 'sqlite' | 'redis';
  target: string;
  prefix: string;
}

/** A store not yet initialised: createQueue initialises the store it is given (SQLite's init opens the file once). */
export function newStore(spec: StoreSpec): QueueStore {
  return spec.kind === 'sqlite' ? new SqliteQueueStore({ path: spec.target }) : new RedisQueueStore({ url: spec.target, prefix: spec.prefix });
}

export async function openStore(spec: StoreSpec): Promise<QueueStore> {
  const store = newStore(spec);
  await store.init();
  return store;
}

/** A queue over a store from `newStore` (not yet initialised). */
export function openQueue(store: QueueStore): Promise<Queue> {
  return createQueue({ store, settings: { caps: NO_CAPS } });
}

/**
 * One job's life on the store API, as a dispatcher drives it: insert, read the
 * lane heads, let the policy pick, claim (again on a lost race), then two
 * compare-and-set updates. The job claimed may be another client's.
 * Returns how many claims lost a race to another client.
 */
export async function apiLoop(store: QueueStore, jobs: number, worker: string, offset = 0): Promise<number> {
  let lost = 0;
  for (let i = 0; i < jobs; i++) {
    const inserted = await store.insert(benchJob(seatOf(offset + i), offset + i), NO_CAPS);
    if (!inserted.ok) throw new Error(`insert refused: ${inserted.reason}`);
    let claimed = null;
    while (!claimed) {
      const head = roundRobinPolicy.pick(await store.candidates());
      claimed = head ? await store.claim(head.id, worker, Date.now()) : null;
      if (!claimed) {
        lost++;
        await yieldToLoop();
      }
    }
    await store.update(claimed.id, ['dispatching'], { state: 'running', startedAt: Date.now() });
    await store.update(claimed.id, ['running'], { state: 'succeeded', finishedAt: Date.now(), outputs: [] });
  }
  return lost;
}

/** The same life through the public queue: validation, events, snapshots and signals included. */
export async function queueLoop(queue: Queue, jobs: number, worker: string, offset = 0): Promise<void> {
  for (let i = 0; i < jobs; i++) {
    await queue.submit({ seat: seatOf(offset + i), prompt: promptFor(offset + i) });
    let claimed = null;
    while (!claimed) {
      claimed = await queue.claimNext(worker);
      if (!claimed) await yieldToLoop();
    }
    await queue.markRunning(claimed.id);
    await queue.markSucceeded(claimed.id, []);
  }
}

export interface BullPair {
  queue: BullQueue;
  worker: BullWorker;
  close(): Promise<void>;
}

/** A BullMQ queue and a manual (non-running) worker on the given Redis; finished jobs are kept, as ours are. */
export async function openBull(redisUrl: string, prefix: string): Promise<BullPair> {
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const queue = new BullQueue('bench', { connection, prefix });
  const worker = new BullWorker('bench', null, { connection, prefix, autorun: false });
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

/**
 * BullMQ's nearest equivalent: add, then take the next job (wait -> active, with a
 * lock: claim and "running" in one step), then complete it.
 */
export async function bullLoop(bull: BullPair, jobs: number, token: string, offset = 0): Promise<void> {
  for (let i = 0; i < jobs; i++) {
    await bull.queue.add('job', { seat: seatOf(offset + i), prompt: promptFor(offset + i) });
    let job = null;
    while (!job) {
      job = await bull.worker.getNextJob(token, { block: false });
      if (!job) await yieldToLoop();
    }
    await job.moveToCompleted('ok', token, false);
  }
}
