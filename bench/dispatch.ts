/**
 * Benchmark 4: dispatch gap, the time a worker sits idle between two jobs
 * while work is waiting: execution_success of one prompt -> execution_start of
 * the next on the same worker, both stamped by the worker itself. Measured on
 * 3 simulated workers (their own process) for comfy-multi with and without
 * `preSubmit`, and for clients posting straight to the workers.
 */
import { runDirect } from './direct.ts';
import type { Benchmark, Section } from './harness.ts';
import { runPoolHost, startSimHost } from './processes.ts';
import { ms, type Summary, summarize } from './stats.ts';

const WORKERS = 3;
const STEP_MS = 50;

export const dispatchGap: Benchmark = {
  id: 'dispatch',
  async run(ctx) {
    const jobs = ctx.quick ? 15 : 150;
    const warmup = WORKERS * 2;
    const sims = await startSimHost(WORKERS);
    try {
      ctx.log(`dispatch gap: ${jobs} jobs straight to the workers`);
      const direct = await runDirect(sims.urls, jobs, STEP_MS, warmup, 1_000_000);
      ctx.log(`dispatch gap: ${jobs} jobs through comfy-multi`);
      const plain = await runPoolHost({ urls: sims.urls, jobs, stepMs: STEP_MS, preSubmit: false, warmup, holdDispatch: true, firstSeed: 2_000_000 });
      ctx.log(`dispatch gap: ${jobs} jobs through comfy-multi with preSubmit`);
      const ahead = await runPoolHost({ urls: sims.urls, jobs, stepMs: STEP_MS, preSubmit: true, warmup, holdDispatch: true, firstSeed: 3_000_000 });
      return report(jobs, summarize(direct.gaps), summarize(plain.gaps), summarize(ahead.gaps));
    } finally {
      await sims.close();
    }
  },
};

function report(jobs: number, direct: Summary, plain: Summary, ahead: Summary): Section {
  const row = (label: string, s: Summary) => [label, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)];
  return {
    title: 'Dispatch gap (worker free → next job started on it)',
    tables: [
      {
        headers: ['path', 'gaps', 'p50 ms', 'p99 ms', 'max ms'],
        rows: [
          row('comfy-multi, preSubmit off (default)', plain),
          row('comfy-multi, preSubmit on', ahead),
          row('clients posting straight to the workers', direct),
        ],
      },
    ],
    notes: [
      `${jobs} jobs of ~${STEP_MS} ms on ${WORKERS} simulated workers (separate process); the pool runs in its own process on SQLite. ` +
        'All jobs are queued with dispatch paused, then dispatch resumes: this is the steady state, the submission burst is in the makespan benchmark.',
      'Gap = execution_success of a prompt → execution_start of the next prompt on the same worker, from the timestamps the worker puts in those messages (whole ms, as ComfyUI does).',
      'Without preSubmit the gap holds: result relay, output copy, markSucceeded, claimNext, input staging, POST /prompt. With preSubmit the next prompt already waits in the worker\'s own queue.',
    ],
    verdicts: [
      { target: 'preSubmit off: p50 ≤ 5 ms and p99 ≤ 20 ms', measured: `p50 ${ms(plain.p50)} ms, p99 ${ms(plain.p99)} ms`, pass: plain.p50 <= 5 && plain.p99 <= 20 },
      { target: 'preSubmit on: p99 ≤ 2 ms (the worker never waits for us)', measured: `p99 ${ms(ahead.p99)} ms`, pass: ahead.p99 <= 2 },
      { target: 'straight to the workers, for reference', measured: `p50 ${ms(direct.p50)} ms, p99 ${ms(direct.p99)} ms`, pass: null },
    ],
  };
}
