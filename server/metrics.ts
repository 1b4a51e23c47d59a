/**
 * Prometheus metrics (one registry per app, so several apps in one process,
 * as in tests, never clash): queue depth by state, wait and run times,
 * worker states, the dispatch gap and frames sent on the event streams.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATES } from '../lib/job.ts';
import { WORKER_STATES } from '../lib/pool/types.ts';
import type { Queue } from '../lib/queue.ts';
import type { PoolHandle } from './context.ts';

const TIME_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];
const GAP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

export class Metrics {
  readonly registry = new Registry();
  readonly #events: Counter<'type'>;
  readonly #offs: (() => void)[] = [];
  /** Worker -> when its last job finished while others were waiting. */
  readonly #freeSince = new Map<string, number>();

  constructor(options: { queue: Queue; pool: () => PoolHandle | null }) {
    const { queue, pool } = options;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'comfy_multi_' });
    new Gauge({
      name: 'comfy_multi_jobs',
      help: 'Jobs in the store by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await queue.store.counts();
        for (const state of JOB_STATES) this.set({ state }, counts.byState[state]);
      },
    });
    new Gauge({
      name: 'comfy_multi_workers',
      help: 'Workers by state',
      labelNames: ['state'],
      registers,
      collect() {
        const workers = pool()?.workers() ?? [];
        for (const state of WORKER_STATES) this.set({ state }, workers.filter((w) => w.state === state).length);
      },
    });
    const wait = new Histogram({ name: 'comfy_multi_job_wait_seconds', help: 'Queued until started', buckets: TIME_BUCKETS, registers });
    const run = new Histogram({ name: 'comfy_multi_job_run_seconds', help: 'Started until succeeded', buckets: TIME_BUCKETS, registers });
    const gap = new Histogram({
      name: 'comfy_multi_dispatch_gap_seconds',
      help: 'A worker finished a job while others waited, until it got the next one',
      buckets: GAP_BUCKETS,
      registers,
    });
    this.#events = new Counter({ name: 'comfy_multi_events_sent_total', help: 'Frames sent on event streams', labelNames: ['type'], registers });

    this.#offs.push(
      queue.events.on('job.state', ({ job }) => {
        if (job.state === 'dispatching' && job.worker) {
          const since = this.#freeSince.get(job.worker);
          if (since !== undefined) gap.observe((Date.now() - since) / 1000);
          this.#freeSince.delete(job.worker);
        }
        if (job.state === 'running' && job.startedAt !== null) wait.observe((job.startedAt - job.queuedAt) / 1000);
        if (job.state === 'succeeded' && job.startedAt !== null && job.finishedAt !== null) run.observe((job.finishedAt - job.startedAt) / 1000);
      }),
      queue.events.on('job.finished', ({ job }) => {
        void queue.snapshot().then((snapshot) => {
          if (job.worker && snapshot.queued.length > 0) this.#freeSince.set(job.worker, job.finishedAt ?? Date.now());
        });
      }),
    );
  }

  eventSent(type: string): void {
    this.#events.inc({ type });
  }

  stop(): void {
    for (const off of this.#offs.splice(0)) off();
  }
}
