/**
 * The storage contract behind a queue. Two implementations (SQLite and Redis)
 * pass one conformance suite (tests/store/conformance.ts).
 *
 * Scheduling is split in two so a policy can stay plain JavaScript while claims
 * stay atomic across processes:
 *  1. `candidates()` returns the head of every non-empty lane (one lane per
 *     seat and priority class) plus seat service counters: small, bounded by
 *     the number of seats, never by the number of queued jobs;
 *  2. the policy picks one head, and `claim()` moves it queued -> dispatching
 *     only if it is still queued (compare-and-set). A lost race returns null
 *     and the caller asks again.
 */
import type { Job, JobState, OutputFile, JobError, PriorityClass } from '../job.ts';
import type { SchedulerSettings } from '../scheduling/settings.ts';

export interface QueueCaps {
  /** Queued (not yet running) jobs one seat may have; 0 = unlimited. */
  maxQueuedPerSeat: number;
  /** Queued jobs in total; 0 = unlimited. */
  maxDepth: number;
}

export type InsertResult =
  | { ok: true; job: Job; duplicate: boolean }
  | { ok: false; reason: 'seat_cap' | 'queue_full'; count: number; limit: number };

/** The first queued job of one lane, as the policy sees it. */
export interface LaneHead {
  id: string;
  seat: string;
  priority: PriorityClass;
  rank: number;
  pin: number | null;
  queuedAt: number;
}

export interface SeatService {
  /** Claim sequence number of the seat's latest claim; 0 = never served. */
  lastServed: number;
  /** Claims so far. */
  served: number;
}

export interface ClaimCandidates {
  /** Head of every non-empty (seat, priority) lane. Pinned jobs are not lane heads. */
  heads: LaneHead[];
  /** The queued job with the lowest pin, if any job is pinned. */
  pinned: LaneHead | null;
  seats: Record<string, SeatService>;
}

/** A queued job's place data, for computing positions and ETAs. No prompt body. */
export interface QueuedEntry extends LaneHead {
  shape: string;
}

export interface JobQuery {
  seat?: string;
  states?: JobState[];
  /** Newest first by queue time; default 50, max 500. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

/** Fields `update` may change. `state: 'queued'` puts the job back into its lane. */
export interface JobPatch {
  state?: JobState;
  worker?: string | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  error?: JobError | null;
  outputs?: OutputFile[];
  cancelRequested?: boolean;
  /** Pin to the very front (lower than every current pin). Only with state 'queued'. */
  pinFront?: boolean;
}

export interface QueueCounts {
  byState: Record<JobState, number>;
  queuedBySeat: Record<string, number>;
  activeBySeat: Record<string, number>;
}

/**
 * Cross-process notifications (Redis pub/sub; in-process for SQLite). Stores
 * deliver a signal as an opaque JSON value: every field, `origin` included, arrives unchanged.
 */
export type StoreSignal = (
  | { kind: 'job'; id: string; state: JobState }
  | { kind: 'settings' }
  | { kind: 'cancel'; id: string; worker: string | null }
  | { kind: 'custom'; topic: string; payload: unknown }
) & { origin?: string };

export interface QueueStore {
  readonly kind: string;
  init(): Promise<void>;
  close(): Promise<void>;

  /**
   * Atomically: dedupe by (seat, clientRequestId) -> existing job with duplicate true;
   * else check caps against current queued counts; else store the job as given
   * (state queued, rank set by the store: after every rank in the seat's lane,
   * or before all of them when job.options.front).
   */
  insert(job: Job, caps: QueueCaps): Promise<InsertResult>;
  get(id: string): Promise<Job | null>;
  list(query: JobQuery): Promise<JobPage>;

  candidates(): Promise<ClaimCandidates>;
  /** queued -> dispatching, worker set, attempts + 1, pin cleared, seat service bumped. Null if not queued any more. */
  claim(id: string, worker: string, now: number): Promise<Job | null>;
  /** Compare-and-set: applies the patch only when the job's state is one of `from`. */
  update(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null>;
  /** Moves a queued job to another priority lane (keeps its rank). */
  setPriority(id: string, priority: PriorityClass): Promise<Job | null>;
  /** Pins the given queued jobs in this order (pin 1, 2, …) and unpins every other queued job. */
  setPins(ids: readonly string[]): Promise<void>;

  /** Every queued job, cheap form, in no particular order. */
  queued(): Promise<QueuedEntry[]>;
  /** Jobs in dispatching or running, e.g. to reconcile after a restart. */
  active(): Promise<Job[]>;
  counts(): Promise<QueueCounts>;
  /** Run times (finishedAt - startedAt, ms) of the latest succeeded jobs with this shape, newest first. */
  runTimes(shape: string, limit: number): Promise<number[]>;

  getSettings(): Promise<SchedulerSettings | null>;
  setSettings(settings: SchedulerSettings): Promise<void>;

  publish(signal: StoreSignal): Promise<void>;
  /** Receives signals from every process sharing the store, this one included. */
  watch(listener: (signal: StoreSignal) => void): () => void;
}
