import { DatabaseSync, StatementSync } from 'node:sqlite';
for (const [proto, names] of [[DatabaseSync.prototype, ['exec']], [StatementSync.prototype, ['run', 'get', 'all']]] as const) {
  for (const name of names) {
    const orig = (proto as any)[name];
    (proto as any)[name] = function (...a: unknown[]) { const t = performance.now(); try { return orig.apply(this, a); } finally { const d = performance.now() - t; if (d > 1e9) process.stderr.write(`slow sqlite ${name} ${d.toFixed(1)}ms ${String((this as any).sourceSQL ?? a[0]).slice(0, 60).replace(/\s+/g, ' ')}\n`); } };
  }
}
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
import { seatOf } from '../bench/harness.ts';
import { newStore, openQueue } from '../bench/store-loops.ts';
import { dispatchGaps, isWorkerMark, type WorkerMark } from '../bench/timeline.ts';

export interface PoolRunConfig {
  urls: string[];
  jobs: number;
  /** Simulated run time of one job (one RigSlowProgress step). */
  stepMs: number;
  preSubmit: boolean;
  /** Jobs run first and left out of every number (sockets, caches, JIT). */
  warmup: number;
}

export interface PoolRunResult {
  /** First submit -> last job finished in the queue (outputs copied), ms. */
  makespanMs: number;
  gaps: number[];
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; maxRss: number };
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

let seed = 0;
/** Submits `count` jobs at once and resolves when all of them finished, with the time it took. */
async function batch(count: number): Promise<number> {
  const pending = new Set<string>();
  const all = Promise.withResolvers<void>();
  const off = queue.events.on('job.finished', ({ job }) => {
    if (job.state !== 'succeeded') all.reject(new Error(`job ${job.id} ${job.state}: ${job.error?.message ?? ''}`));
    if (pending.delete(job.id) && pending.size === 0) all.resolve();
  });
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    // A new colour per job, so the worker's cache never short-circuits a run.
    const { job } = await queue.submit({ seat: seatOf(seed), prompt: slowPrompt(++seed, 1, config.stepMs, 'bench') });
    pending.add(job.id);
  }
  await all.promise;
  const elapsed = performance.now() - start;
  off();
  return elapsed;
}

try {
  await untilReady(pool, config.urls.length);
  if (config.warmup > 0) await batch(config.warmup);
  const marks: WorkerMark[] = [];
  pool.events.on('job.comfy', ({ job, type, data }) => {
    if (isWorkerMark(type) && job.worker) marks.push({ worker: job.worker, type, at: Number(data['timestamp']) });
  });
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 1 }); h.enable();
  const marksT: [string, string, number, number][] = [];
  pool.events.on('job.comfy', ({ job, type, data }) => { if (isWorkerMark(type)) marksT.push([job.worker!, type, Number(data['timestamp']), Date.now()]);  });

  const cpu0 = process.cpuUsage(); const w0 = performance.now();
  const makespanMs = await batch(config.jobs);
  const cpu = process.cpuUsage(cpu0); process.stderr.write(`cpu user ${cpu.user/1000} sys ${cpu.system/1000} wall ${performance.now()-w0}\n`);
  h.disable();
  process.stderr.write(`loop delay max ${h.max/1e6} p99 ${h.percentile(99)/1e6} mean ${h.mean/1e6}\n`);
  const byW = new Map<string, [string,string,number,number][]>();
  for (const m of marksT) { const l = byW.get(m[0]) ?? []; l.push(m); byW.set(m[0], l); }
  const t0 = Math.min(...marksT.map(m => m[2]));
  for (const [w, l] of byW) { l.sort((a,b)=>a[2]-b[2] || (a[1]==='execution_success' ? -1 : 1)); let free: number|null = null; for (const m of l) { if (m[1]==='execution_success') free=m[2]; else if (free!==null) { const g=m[2]-free; if (g>20) process.stderr.write(`${w} gap ${g} at +${free-t0} (recv lag ${m[3]-m[2]})\n`); free=null; } } }
  globalThis.gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const result: PoolRunResult = {
    makespanMs,
    gaps: dispatchGaps(marks),
    memory: { rss, heapUsed, heapTotal, external, maxRss: process.resourceUsage().maxRSS * 1024 },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.stop();
  await queue.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
