/**
 * The queue as participants see it: every queued job's position and ETA.
 * Computed from the store after changes; shared by the server's badge updates
 * and the admin panel.
 */
import type { JobState, PriorityClass } from '../job.ts';
import type { QueueStore } from '../store/queue-store.ts';
import { estimate, median } from './eta.ts';
import type { SchedulingPolicy } from './policy.ts';
import { orderQueue } from './queue-order.ts';
import type { SchedulerSettings } from './settings.ts';

export interface QueuedPosition {
  id: string;
  seat: string;
  priority: PriorityClass;
  /** 1 = runs next. */
  position: number;
  pinned: boolean;
  /** Milliseconds from `at` until the job starts / finishes; null when unknown. */
  etaStartMs: number | null;
  etaDoneMs: number | null;
}

export interface ActiveEntry {
  id: string;
  seat: string;
  state: JobState;
  worker: string | null;
  startedAt: number | null;
  etaDoneMs: number | null;
}

export interface QueueSnapshot {
  at: number;
  policy: string;
  paused: SchedulerSettings['paused'];
  readyWorkers: number;
  /** Queued jobs, in the order they will run. */
  queued: QueuedPosition[];
  /** Jobs on workers (dispatching or running). */
  active: ActiveEntry[];
}

/** Positions beyond this are not simulated (the answer would be "a long time" anyway). */
const MAX_ORDERED = 20_000;
const HISTORY = 20;

export class SnapshotBuilder {
  readonly #store: QueueStore;
  readonly #medians = new Map<string, number | null>();

  constructor(store: QueueStore) {
    this.#store = store;
  }

  /** Forget a shape's median after a new run of it finished. */
  invalidate(shape: string): void {
    this.#medians.delete(shape);
  }

  async build(settings: SchedulerSettings, policy: SchedulingPolicy, readyWorkers: number, now: number): Promise<QueueSnapshot> {
    const [entries, candidates, active] = await Promise.all([this.#store.queued(), this.#store.candidates(), this.#store.active()]);
    const ordered = orderQueue(entries, candidates.seats, policy, MAX_ORDERED);
    const shapes = new Set<string>([...ordered.map((e) => e.shape), ...active.map((j) => j.shape)]);
    await Promise.all(
      [...shapes]
        .filter((shape) => !this.#medians.has(shape))
        .map(async (shape) => this.#medians.set(shape, median(await this.#store.runTimes(shape, HISTORY)))),
    );
    const lookup = (shape: string): number | null => this.#medians.get(shape) ?? null;
    const etas = estimate({
      now,
      readyWorkers,
      running: active.map((job) => ({ shape: job.shape, startedAt: job.startedAt })),
      queued: ordered.map((entry) => entry.shape),
      median: lookup,
    });
    return {
      at: now,
      policy: settings.policy,
      paused: { ...settings.paused },
      readyWorkers,
      queued: ordered.map((entry, index) => ({
        id: entry.id,
        seat: entry.seat,
        priority: entry.priority,
        position: index + 1,
        pinned: entry.pin !== null,
        etaStartMs: etas[index]!.startMs,
        etaDoneMs: etas[index]!.doneMs,
      })),
      active: active.map((job) => {
        const m = lookup(job.shape);
        const elapsed = job.startedAt === null ? 0 : now - job.startedAt;
        return {
          id: job.id,
          seat: job.seat,
          state: job.state,
          worker: job.worker,
          startedAt: job.startedAt,
          etaDoneMs: m === null ? null : Math.max(0, m - elapsed),
        };
      }),
    };
  }
}
