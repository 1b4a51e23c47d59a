/**
 * Benchmarks 5 and 7: makespan and server memory. 200 jobs of ~50 ms on 3
 * simulated workers, through comfy-multi (its own process) and posted straight
 * to the same workers; the ratio is what comfy-multi costs the GPU. Rounds
 * alternate the three paths so drift on the machine hits all of them alike.
 * Memory is the comfy-multi process's, after a GC, once its 200 jobs are done.
 */
import { runDirect } from './direct.ts';
import type { Benchmark, Section } from './harness.ts';
import type { Memory } from './pool-host.ts';
import { type PoolRunResult, runPoolHost, startSimHost } from './processes.ts';
import { fmt } from './stats.ts';

const WORKERS = 3;
const STEP_MS = 50;
const TARGET = 1.02;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export const makespan: Benchmark = {
  id: 'makespan',
  async run(ctx) {
    const jobs = ctx.quick ? 30 : 200;
    const rounds = ctx.quick ? 1 : 5;
    const warmup = WORKERS * 2;
    const direct: number[] = [];
    const plain: PoolRunResult[] = [];
    const ahead: PoolRunResult[] = [];
    const sims = await startSimHost(WORKERS);
    try {
      for (let round = 1; round <= rounds; round++) {
        ctx.log(`makespan round ${round}/${rounds}: straight to the workers`);
        direct.push((await runDirect(sims.urls, jobs, STEP_MS, warmup, round * 1_000_000)).makespanMs);
        ctx.log(`makespan round ${round}/${rounds}: comfy-multi`);
        plain.push(await runPoolHost({ urls: sims.urls, jobs, stepMs: STEP_MS, preSubmit: false, warmup, holdDispatch: false, firstSeed: round * 1_000_000 + 300_000 }));
        ctx.log(`makespan round ${round}/${rounds}: comfy-multi with preSubmit`);
        ahead.push(await runPoolHost({ urls: sims.urls, jobs, stepMs: STEP_MS, preSubmit: true, warmup, holdDispatch: false, firstSeed: round * 1_000_000 + 600_000 }));
      }
    } finally {
      await sims.close();
    }
    return report(jobs, rounds, direct, plain, ahead);
  },
};

function report(jobs: number, rounds: number, direct: number[], plain: PoolRunResult[], ahead: PoolRunResult[]): Section {
  const ideal = (Math.ceil(jobs / WORKERS) * STEP_MS) / 1000;
  const ratios = (runs: PoolRunResult[]) => runs.map((run, i) => run.makespanMs / direct[i]!);
  const plainRatio = median(ratios(plain));
  const aheadRatio = median(ratios(ahead));
  const seconds = (values: number[]) => values.map((v) => fmt(v / 1000, 3)).join(' / ');
  const memoryRows = (label: string, runs: PoolRunResult[]) => {
    const last = runs[runs.length - 1]!;
    const row = (when: string, m: Memory) => [`${label}, ${when}`, mib(m.rss), mib(m.heapUsed), mib(m.heapTotal), mib(m.external)];
    return [row('before the jobs', last.memoryBefore), row(`after ${jobs} jobs`, last.memoryAfter)];
  };
  const runs = [...plain, ...ahead];
  const growth = Math.max(...runs.map((run) => run.memoryAfter.heapUsed - run.memoryBefore.heapUsed));
  const worstRss = Math.max(...runs.map((run) => run.memoryAfter.rss));
  const peakRss = Math.max(...runs.map((run) => run.maxRss));
  return {
    title: `Makespan of ${jobs} jobs × ${STEP_MS} ms on ${WORKERS} workers, and server memory`,
    tables: [
      {
        headers: ['path', `makespan s (${rounds === 1 ? 'one run' : `${rounds} rounds`})`, 'median ratio to direct', 'all submits answered after s (median)'],
        rows: [
          ['clients posting straight to the workers', seconds(direct), '1.000', ''],
          ['comfy-multi, preSubmit off (default)', seconds(plain.map((r) => r.makespanMs)), fmt(plainRatio, 3), fmt(median(plain.map((r) => r.submitMs)) / 1000, 3)],
          ['comfy-multi, preSubmit on', seconds(ahead.map((r) => r.makespanMs)), fmt(aheadRatio, 3), fmt(median(ahead.map((r) => r.submitMs)) / 1000, 3)],
        ],
      },
      {
        headers: ['comfy-multi process (last round)', 'RSS MiB', 'heap used MiB', 'heap total MiB', 'external MiB'],
        rows: [...memoryRows('preSubmit off', plain), ...memoryRows('preSubmit on', ahead)],
      },
    ],
    notes: [
      `Each job: EmptyImage (new colour per job, so no cache hit) → RigSlowProgress (1 step of ${STEP_MS} ms) → SaveImage; previews off. Lower bound ≈ ${fmt(ideal, 2)} s.`,
      'Direct: one client per worker (socket with its client_id, POST /prompt, wait for execution_success, next job). comfy-multi: all jobs submitted at once (concurrent queue.submit calls) to a queue on SQLite, worker pool with canary off; the clock stops when the last job is finished in the queue (outputs copied).',
      `${WORKERS * 2} warm-up jobs per run are not timed. Memory: process.memoryUsage() after a forced GC, "before" = started, workers ready, warm-up done. ` +
        `Peak RSS over all runs: ${mib(peakRss)} MiB. RSS includes Node's TypeScript stripper (the server runs .ts directly) and the heap's free space.`,
    ],
    verdicts: [
      { target: `makespan ratio ≤ ${TARGET} (preSubmit off, the default)`, measured: `${fmt(plainRatio, 3)}`, pass: plainRatio <= TARGET },
      { target: `makespan ratio ≤ ${TARGET} (preSubmit on)`, measured: `${fmt(aheadRatio, 3)}`, pass: aheadRatio <= TARGET },
      {
        target: `server heap does not grow with jobs: heap used after ${jobs} jobs ≤ before + 8 MiB`,
        measured: `largest growth ${mib(growth)} MiB; RSS after the run ${mib(worstRss)} MiB`,
        pass: growth <= 8 * 2 ** 20,
      },
    ],
  };
}
