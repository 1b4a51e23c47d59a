/**
 * The comfy-multi side of the worker benchmarks, alone in its process like a
 * server: a queue on a SQLite file, a worker pool on the given workers, then
 * `jobs` jobs submitted at once and run to the end.
 *   node --expose-gc bench/pool-host.ts '<PoolRunConfig as JSON>'
 * Prints one JSON line (PoolRunResult).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputStore } from '../lib/outputs/output-store.ts';
import { InputStager } from '../lib/pool/input-stager.ts';
import { createWorkerPool } from '../lib/pool/worker-pool.ts';
import { LocalProvider } from '../lib/providers/local-provider.ts';
import { slowPrompt, untilReady } from '../tests/helpers/pool.ts';
import { seatOf } from './harness.ts';
import { newStore, openQueue } from './store-loops.ts';
import { dispatchGaps, isWorkerMark, type WorkerMark } from './timeline.ts';

export interface PoolRunConfig {
  urls: string[];
  jobs: number;
  /** Simulated run time of one job (one RigSlowProgress step). */
  stepMs: number;
  preSubmit: boolean;
  /** Jobs run first and left out of every number (sockets, caches, JIT). */
  warmup: number;
  /** Queue every job with dispatch paused, then resume: times the steady state, not the submission burst. */
  holdDispatch: boolean;
  /** Colours of this run's prompts start here, so no two runs on the same workers send the same prompt. */
  firstSeed: number;
}

export interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export interface PoolRunResult {
  /** First submit (or the resume, with holdDispatch) -> last job finished in the queue (outputs copied), ms. */
  makespanMs: number;
  /** First submit -> every submit answered, ms. */
  submitMs: number;
  gaps: number[];
  /** After start-up and warm-up, and after the measured jobs; both after a forced GC. */
  memoryBefore: Memory;
  memoryAfter: Memory;
  /** Peak RSS of the process, from the OS. */
  maxRss: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PoolRunConfig;
const dir = await mkdtemp(join(tmpdir(), 'cm-bench-pool-'));
const store = newStore({ kind: 'sqlite', target: join(dir, 'queue.db'), prefix: '' });
const queue = await openQueue(store);
const pool = await createWorkerPool({
  queue,
  provider: new LocalProvider({ workers: config.urls.map((url, i) => ({ id: `w${i + 1}`, url })) }),
  outputs: new OutputStore({ root: join(dir, 'outputs') }),
  inputs: new InputStager({ root: join(dir, 'inputs') }),
  preSubmit: config.preSubmit,
  canary: false,
  previewMethod: 'none',
});

let seed = config.firstSeed;
let submitMs = 0;
/** Submits `count` jobs at once and resolves when all of them finished, with the time it took. */
async function batch(count: number, hold: boolean): Promise<number> {
  const done = new Set<string>();
  let ids: string[] | null = null;
  const all = Promise.withResolvers<void>();
  // Jobs may finish before every submit has answered, so finishes are collected first and checked against the ids.
  const check = () => {
    if (ids?.every((id) => done.has(id))) all.resolve();
  };
  const off = queue.events.on('job.finished', ({ job }) => {
    if (job.state !== 'succeeded') all.reject(new Error(`job ${job.id} ${job.state}: ${job.error?.message ?? ''}`));
    done.add(job.id);
    check();
  });
  if (hold) await queue.updateSettings({ paused: { dispatch: true } });
  let start = performance.now();
  // All at once, as many browsers pressing Run together; a new colour per job, so the worker's cache never short-circuits a run.
  const submissions = Array.from({ length: count }, () => queue.submit({ seat: seatOf(seed), prompt: slowPrompt(++seed, 1, config.stepMs, 'bench') }));
  ids = (await Promise.all(submissions)).map(({ job }) => job.id);
  submitMs = performance.now() - start;
  if (hold) {
    start = performance.now();
    await queue.updateSettings({ paused: { dispatch: false } });
  }
  check();
  await all.promise;
  const elapsed = performance.now() - start;
  off();
  return elapsed;
}

function memory(): Memory {
  globalThis.gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
}

try {
  await untilReady(pool, config.urls.length);
  if (config.warmup > 0) await batch(config.warmup, false);
  const memoryBefore = memory();
  const marks: WorkerMark[] = [];
  pool.events.on('job.comfy', ({ job, type, data }) => {
    if (isWorkerMark(type) && job.worker) marks.push({ worker: job.worker, type, at: Number(data['timestamp']) });
  });
  const makespanMs = await batch(config.jobs, config.holdDispatch);
  const result: PoolRunResult = {
    makespanMs,
    submitMs,
    gaps: dispatchGaps(marks),
    memoryBefore,
    memoryAfter: memory(),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.stop();
  await queue.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
