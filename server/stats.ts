/**
 * The admin panel's numbers: queue depth and wait times over the last hour
 * (1-minute buckets), jobs and outputs per seat, worker utilisation. Sampled
 * in memory from queue and pool state; per-seat totals start from one pass
 * over the store at start-up and are then kept up to date from job events.
 */
import type { Job } from '../lib/job.ts';
import type { Queue } from '../lib/queue.ts';
import type { PoolHandle } from './context.ts';

const HOUR = 3600_000;
const MINUTE = 60_000;

interface Sample {
  at: number;
  queued: number;
  running: number;
  busy: Record<string, boolean>;
}

export interface StatsReport {
  depth_series: { at: string; queued: number; running: number }[];
  wait_series: { at: string; p50: number | null }[];
  jobs_per_seat: Record<string, number>;
  utilisation: Record<string, number>;
  totals: { jobs: number; queued: number; running: number; succeeded: number; failed: number; cancelled: number; outputs: number };
}

/** When each seat was last seen (gateway, API or events). */
export class Activity {
  readonly #last = new Map<string, number>();
  touch(seat: string, at = Date.now()): void {
    this.#last.set(seat, at);
  }
  last(seat: string): number | null {
    return this.#last.get(seat) ?? null;
  }
}

export class Stats {
  readonly #queue: Queue;
  readonly #pool: () => PoolHandle | null;
  readonly #samples: Sample[] = [];
  readonly #waits: { at: number; ms: number }[] = [];
  readonly #perSeat = new Map<string, { jobs: number; done: number; outputs: number }>();
  readonly #sampleMs: number;
  readonly #offs: (() => void)[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Ids already counted, so a job seen both by the start-up pass and by an event counts once. */
  readonly #seen = new Set<string>();
  readonly #counted = new Set<string>();

  constructor(options: { queue: Queue; pool: () => PoolHandle | null; sampleMs?: number }) {
    this.#queue = options.queue;
    this.#pool = options.pool;
    this.#sampleMs = options.sampleMs ?? 10_000;
  }

  /** Counts the jobs already in the store, then follows events. */
  async start(): Promise<void> {
    const events = this.#queue.events;
    this.#offs.push(
      events.on('job.queued', ({ job }) => this.#count(job)),
      events.on('job.state', ({ job }) => {
        if (job.state === 'running' && job.startedAt !== null) this.#waits.push({ at: job.startedAt, ms: job.startedAt - job.queuedAt });
        if (job.state === 'succeeded') this.#succeeded(job);
      }),
    );
    let cursor: string | undefined;
    do {
      const page = await this.#queue.list({ limit: 500, ...(cursor ? { cursor } : {}) });
      for (const job of page.jobs) {
        this.#count(job);
        if (job.state === 'succeeded') this.#succeeded(job);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    await this.sample();
    this.#timer = setInterval(() => void this.sample().catch(() => undefined), this.#sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const off of this.#offs.splice(0)) off();
  }

  seat(seat: string): { jobs: number; done: number; outputs: number } {
    return { ...(this.#perSeat.get(seat) ?? { jobs: 0, done: 0, outputs: 0 }) };
  }

  async sample(now = Date.now()): Promise<void> {
    const counts = await this.#queue.store.counts();
    const busy: Record<string, boolean> = {};
    for (const worker of this.#pool()?.workers() ?? []) busy[worker.id] = worker.state === 'busy';
    this.#samples.push({ at: now, queued: counts.byState.queued, running: counts.byState.dispatching + counts.byState.running, busy });
    while (this.#samples.length > 0 && this.#samples[0]!.at < now - HOUR) this.#samples.shift();
    while (this.#waits.length > 0 && this.#waits[0]!.at < now - HOUR) this.#waits.shift();
  }

  async report(now = Date.now()): Promise<StatsReport> {
    await this.sample(now);
    const counts = await this.#queue.store.counts();
    const start = Math.floor((now - HOUR) / MINUTE) * MINUTE;
    const depth: StatsReport['depth_series'] = [];
    const waits: StatsReport['wait_series'] = [];
    for (let at = start + MINUTE; at <= now + MINUTE - 1; at += MINUTE) {
      const inBucket = this.#samples.filter((s) => s.at >= at - MINUTE && s.at < at);
      const last = inBucket[inBucket.length - 1];
      if (last) depth.push({ at: new Date(at - MINUTE).toISOString(), queued: last.queued, running: last.running });
      const bucketWaits = this.#waits.filter((w) => w.at >= at - MINUTE && w.at < at).map((w) => w.ms);
      waits.push({ at: new Date(at - MINUTE).toISOString(), p50: bucketWaits.length ? Math.round(median(bucketWaits) / 100) / 10 : null });
    }
    const utilisation: Record<string, number> = {};
    for (const sample of this.#samples) {
      for (const [id, isBusy] of Object.entries(sample.busy)) utilisation[id] = (utilisation[id] ?? 0) + (isBusy ? 1 : 0);
    }
    for (const id of Object.keys(utilisation)) {
      const seen = this.#samples.filter((s) => id in s.busy).length;
      utilisation[id] = seen ? Math.round((utilisation[id]! / seen) * 1000) / 1000 : 0;
    }
    const jobsPerSeat: Record<string, number> = {};
    let outputs = 0;
    for (const [seat, value] of this.#perSeat) {
      jobsPerSeat[seat] = value.jobs;
      outputs += value.outputs;
    }
    const by = counts.byState;
    return {
      depth_series: depth,
      wait_series: waits,
      jobs_per_seat: jobsPerSeat,
      utilisation,
      totals: {
        jobs: Object.values(by).reduce((a, b) => a + b, 0),
        queued: by.queued,
        running: by.dispatching + by.running,
        succeeded: by.succeeded,
        failed: by.failed,
        cancelled: by.cancelled,
        outputs,
      },
    };
  }

  #seat(seat: string): { jobs: number; done: number; outputs: number } {
    let entry = this.#perSeat.get(seat);
    if (!entry) {
      entry = { jobs: 0, done: 0, outputs: 0 };
      this.#perSeat.set(seat, entry);
    }
    return entry;
  }

  #count(job: Job): void {
    if (this.#seen.has(job.id)) return;
    this.#seen.add(job.id);
    this.#seat(job.seat).jobs++;
  }

  #succeeded(job: Job): void {
    if (this.#counted.has(job.id)) return;
    this.#counted.add(job.id);
    const entry = this.#seat(job.seat);
    entry.done++;
    entry.outputs += job.outputs.length;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
