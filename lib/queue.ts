/**
 * The shared queue: validation, caps, pause, fair scheduling, positions/ETA and
 * typed events, over any QueueStore. No HTTP here; the server and embedders
 * are both plain consumers of this class.
 */
import { randomUUID } from 'node:crypto';
import { QueueError, zodIssueError } from './errors.ts';
import { DEFAULT_PROMPT_LIMITS, type Job, type JobError, type JobState, type OutputFile, type PriorityClass, type PromptLimits } from './job.ts';
import { BUILTIN_POLICY_LIST, type SchedulingPolicy } from './scheduling/policy.ts';
import { DEFAULT_SETTINGS, type SchedulerSettings, SchedulerSettingsSchema } from './scheduling/settings.ts';
import { CoalescingRefresher } from './scheduling/refresher.ts';
import { type QueueSnapshot, SnapshotBuilder } from './scheduling/snapshot.ts';
import type { JobPage, JobPatch, JobQuery, QueueStore, StoreSignal } from './store/queue-store.ts';
import { capError, type PromptValidator, prepareJob, type SeatStatus } from './submission.ts';
import { TypedEmitter } from './typed-emitter.ts';

export interface QueueEvents {
  'job.queued': { job: Job };
  /** Every state change. `from` is null when the change was observed from another process. */
  'job.state': { job: Job; from: JobState | null };
  'job.finished': { job: Job };
  /** A running job should be interrupted on its worker (the pool listens). */
  'job.cancel_requested': { job: Job };
  'queue.changed': QueueSnapshot;
  'settings.changed': SchedulerSettings;
  error: { error: unknown; where: string };
  [key: string]: unknown;
}

export type { PromptValidator, SeatStatus } from './submission.ts';

export interface QueueOptions {
  store: QueueStore;
  /** Extra policies an embedder registers next to fifo, round_robin and priority. */
  policies?: readonly SchedulingPolicy[];
  /** Used when the store holds no settings yet. */
  settings?: Partial<SchedulerSettings>;
  limits?: Partial<PromptLimits>;
  /** Which seats may submit; by default any well-formed seat id. */
  seatStatus?: (seat: string) => SeatStatus;
  /** Dispatch attempts before a job whose worker keeps failing is marked failed. */
  maxAttempts?: number;
  clock?: () => number;
}

export interface SubmitResult {
  job: Job;
  /** True when the same (seat, clientRequestId) was submitted before: nothing new was queued. */
  duplicate: boolean;
  snapshot: QueueSnapshot;
}

export interface Actor {
  /** Acting as this seat: other seats' jobs do not exist for it. Absent = instructor/admin. */
  seat?: string;
}

/** Longest a queue snapshot lags behind a change. */
const REFRESH_DELAY_MS = 20;

export async function createQueue(options: QueueOptions): Promise<Queue> {
  const queue = new Queue(options);
  await queue.init();
  return queue;
}

export class Queue {
  readonly events = new TypedEmitter<QueueEvents>((error, where) => {
    if (where !== 'error') this.events.emit('error', { error, where: String(where) });
  });
  readonly store: QueueStore;
  readonly #policies = new Map<string, SchedulingPolicy>();
  readonly #limits: PromptLimits;
  readonly #seatStatus: (seat: string) => SeatStatus;
  readonly #maxAttempts: number;
  readonly #now: () => number;
  readonly #origin = randomUUID();
  readonly #snapshots: SnapshotBuilder;
  readonly #validators: PromptValidator[] = [];
  readonly #initialSettings: SchedulerSettings;
  #settings: SchedulerSettings;
  #readyWorkers = 0;
  #lastStamp = 0;
  #unwatch: (() => void) | null = null;
  readonly #refresher: CoalescingRefresher<QueueSnapshot>;
  /** Signal handlers still reading the store; close() waits for them so the store can close cleanly. */
  readonly #handling = new Set<Promise<void>>();

  constructor(options: QueueOptions) {
    this.store = options.store;
    for (const policy of [...BUILTIN_POLICY_LIST, ...(options.policies ?? [])]) this.#policies.set(policy.name, policy);
    this.#limits = { ...DEFAULT_PROMPT_LIMITS, ...options.limits };
    this.#seatStatus = options.seatStatus ?? (() => 'active');
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#now = options.clock ?? Date.now;
    this.#snapshots = new SnapshotBuilder(this.store);
    // Positions and ETAs are for people: recomputed at most once per REFRESH_DELAY_MS after changes.
    this.#refresher = new CoalescingRefresher(() => this.#compute(), {
      delayMs: REFRESH_DELAY_MS,
      onError: (error) => this.events.emit('error', { error, where: 'refresh' }),
    });
    this.#initialSettings = SchedulerSettingsSchema.parse({
      ...DEFAULT_SETTINGS,
      ...options.settings,
      paused: { ...DEFAULT_SETTINGS.paused, ...options.settings?.paused },
      caps: { ...DEFAULT_SETTINGS.caps, ...options.settings?.caps },
    });
    this.#settings = this.#initialSettings;
  }

  async init(): Promise<void> {
    await this.store.init();
    const stored = await this.store.getSettings();
    if (stored && this.#policies.has(stored.policy)) this.#settings = stored;
    else await this.store.setSettings(this.#settings);
    this.#unwatch = this.store.watch((signal) => {
      const handled = this.#onSignal(signal).finally(() => this.#handling.delete(handled));
      this.#handling.add(handled);
    });
  }

  async close(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = null;
    await Promise.all(this.#handling);
    await this.#refresher.close();
  }

  // ---- submissions -------------------------------------------------------

  async submit(request: unknown): Promise<SubmitResult> {
    const rules = { seatStatus: this.#seatStatus, limits: this.#limits, paused: this.#settings.paused.submissions, validators: this.#validators };
    const job = await prepareJob(request, rules, this.#stamp());
    const result = await this.store.insert(job, this.#settings.caps);
    if (!result.ok) throw capError(result, job.seat);
    if (!result.duplicate) {
      this.events.emit('job.queued', { job: result.job });
      await this.#announce(result.job, null);
    }
    return { job: result.job, duplicate: result.duplicate, snapshot: await this.refresh() };
  }

  /** Adds a check every submission must pass, e.g. the worker pool's node/model validation. */
  addValidator(validator: PromptValidator): void {
    this.#validators.push(validator);
  }

  // ---- reading ------------------------------------------------------------

  async get(id: string, actor: Actor = {}): Promise<Job> {
    const job = await this.store.get(id);
    if (!job || (actor.seat !== undefined && job.seat !== actor.seat)) throw new QueueError('not_found', `job ${id} was not found`, { field: 'id' });
    return job;
  }

  list(query: JobQuery, actor: Actor = {}): Promise<JobPage> {
    return this.store.list(actor.seat === undefined ? query : { ...query, seat: actor.seat });
  }

  /** The snapshot after every change made so far: the one being computed, else the last one. */
  snapshot(): Promise<QueueSnapshot> {
    return this.#refresher.latest();
  }

  /** Jobs that were on a worker; after a restart these need reconciling with their workers. */
  unfinished(): Promise<Job[]> {
    return this.store.active();
  }

  // ---- instructor actions -------------------------------------------------

  async cancel(id: string, actor: Actor = {}): Promise<Job> {
    for (let tries = 0; tries < 10; tries++) {
      const job = await this.get(id, actor);
      if (job.state === 'queued') {
        const done = await this.#transition(job, ['queued'], { state: 'cancelled', finishedAt: this.#now() });
        if (done) return done;
      } else if (job.state === 'dispatching' || job.state === 'running') {
        if (job.cancelRequested) return job;
        const marked = await this.store.update(id, ['dispatching', 'running'], { cancelRequested: true });
        if (marked) {
          this.events.emit('job.cancel_requested', { job: marked });
          await this.store.publish({ kind: 'cancel', id, worker: marked.worker, origin: this.#origin });
          return marked;
        }
      } else {
        throw new QueueError('invalid_state', `job ${id} already ${job.state}; only queued or running jobs can be cancelled`);
      }
    }
    throw new QueueError('conflict', `job ${id} kept changing state; try again`);
  }

  async setPriority(id: string, priority: PriorityClass): Promise<Job> {
    const job = await this.store.setPriority(id, priority);
    if (!job) throw await this.#notQueued(id);
    await this.#announce(job, 'queued');
    return job;
  }

  /** Puts a queued job at `position` (1 = runs next) of the current order, pinning the jobs ahead of it. */
  async moveToPosition(id: string, position: number): Promise<QueueSnapshot> {
    if (!Number.isInteger(position) || position < 1) {
      throw new QueueError('invalid_request', 'position must be an integer >= 1', { field: 'position' });
    }
    const snapshot = await this.refresh();
    const order = snapshot.queued;
    const current = order.findIndex((entry) => entry.id === id);
    if (current < 0) throw await this.#notQueued(id);
    const rest = order.filter((entry) => entry.id !== id);
    const target = Math.min(position, order.length) - 1;
    const reordered = [...rest.slice(0, target), order[current]!, ...rest.slice(target)];
    let lastPinned = target;
    reordered.forEach((entry, index) => {
      if (entry.pinned) lastPinned = Math.max(lastPinned, index);
    });
    await this.store.setPins(reordered.slice(0, lastPinned + 1).map((entry) => entry.id));
    await this.store.publish({ kind: 'job', id, state: 'queued', origin: this.#origin });
    return this.refresh();
  }

  moveToFront(id: string): Promise<QueueSnapshot> {
    return this.moveToPosition(id, 1);
  }

  get settings(): SchedulerSettings {
    return structuredClone(this.#settings);
  }

  get policyNames(): string[] {
    return [...this.#policies.keys()];
  }

  registerPolicy(policy: SchedulingPolicy): void {
    this.#policies.set(policy.name, policy);
  }

  async updateSettings(change: {
    policy?: string;
    caps?: Partial<SchedulerSettings['caps']>;
    paused?: Partial<SchedulerSettings['paused']>;
  }): Promise<SchedulerSettings> {
    if (change.policy !== undefined && !this.#policies.has(change.policy)) {
      throw new QueueError('invalid_request', `unknown policy "${change.policy}"; known: ${this.policyNames.join(', ')}`, { field: 'policy' });
    }
    const next = SchedulerSettingsSchema.safeParse({
      policy: change.policy ?? this.#settings.policy,
      caps: { ...this.#settings.caps, ...change.caps },
      paused: { ...this.#settings.paused, ...change.paused },
    });
    if (!next.success) throw zodIssueError(next.error.issues[0]!, 'settings');
    this.#settings = next.data;
    await this.store.setSettings(next.data);
    await this.store.publish({ kind: 'settings', origin: this.#origin });
    this.events.emit('settings.changed', this.settings);
    this.#refresher.soon();
    return this.settings;
  }

  // ---- dispatch (used by the worker pool) --------------------------------

  /** Number of workers able to take a job now; feeds the ETA. */
  setReadyWorkers(count: number): void {
    if (count === this.#readyWorkers) return;
    this.#readyWorkers = count;
    this.#refresher.soon();
  }

  /** Claims the next job for `worker` according to the policy, or null when none may run now. */
  async claimNext(worker: string): Promise<Job | null> {
    const policy = this.#policy();
    for (let tries = 0; tries < 32; tries++) {
      if (this.#settings.paused.dispatch) return null;
      const candidates = await this.store.candidates();
      const head = candidates.pinned ?? policy.pick(candidates);
      if (!head) return null;
      const job = await this.store.claim(head.id, worker, this.#now());
      if (job) {
        await this.#announce(job, 'queued');
        return job;
      }
    }
    return null; // heavy contention: the caller tries again on the next wake-up
  }

  async markRunning(id: string): Promise<Job | null> {
    const job = await this.store.update(id, ['dispatching'], { state: 'running', startedAt: this.#now() });
    if (job) await this.#announce(job, 'dispatching');
    return job;
  }

  async markSucceeded(id: string, outputs: OutputFile[]): Promise<Job | null> {
    const job = await this.store.get(id);
    if (!job) return null;
    const now = this.#now();
    const done = await this.#transition(job, ['dispatching', 'running'], {
      state: 'succeeded',
      finishedAt: now,
      startedAt: job.startedAt ?? now,
      outputs,
    });
    if (done) this.#snapshots.invalidate(done.shape);
    return done;
  }

  markFailed(id: string, error: JobError): Promise<Job | null> {
    return this.#patch(id, ['queued', 'dispatching', 'running'], { state: 'failed', finishedAt: this.#now(), error });
  }

  markCancelled(id: string): Promise<Job | null> {
    return this.#patch(id, ['queued', 'dispatching', 'running'], { state: 'cancelled', finishedAt: this.#now() });
  }

  /**
   * The job's worker was lost: back to the front of the queue for another
   * attempt, or failed once it has used all its attempts. A cancelled job stays cancelled.
   */
  async requeue(id: string, reason: string): Promise<Job | null> {
    const job = await this.store.get(id);
    if (!job || (job.state !== 'dispatching' && job.state !== 'running')) return null;
    if (job.cancelRequested) return this.markCancelled(id);
    if (job.attempts >= this.#maxAttempts) {
      return this.markFailed(id, { code: 'worker_lost', message: `gave up after ${job.attempts} attempts: ${reason}` });
    }
    return this.#patch(id, ['dispatching', 'running'], { state: 'queued', worker: null, startedAt: null, pinFront: true });
  }

  /**
   * Hands a claimed job that has not started back to its place in the queue,
   * e.g. a job waiting in a worker's own queue when the instructor reorders.
   */
  release(id: string): Promise<Job | null> {
    return this.#patch(id, ['dispatching'], { state: 'queued', worker: null, startedAt: null });
  }

  // ---- snapshots ----------------------------------------------------------

  /** Recomputes positions and ETAs now (sharing a computation already running) and emits `queue.changed`. */
  refresh(): Promise<QueueSnapshot> {
    return this.#refresher.now();
  }

  async #compute(): Promise<QueueSnapshot> {
    const snapshot = await this.#snapshots.build(this.#settings, this.#policy(), this.#readyWorkers, this.#now());
    this.events.emit('queue.changed', snapshot);
    return snapshot;
  }

  // ---- internals ----------------------------------------------------------

  /**
   * Queue time, strictly increasing within this process (sub-millisecond steps when
   * needed), so "first come" is well defined even for a burst submitted in one millisecond.
   */
  #stamp(): number {
    const now = this.#now();
    this.#lastStamp = now > this.#lastStamp ? now : this.#lastStamp + 0.001;
    return this.#lastStamp;
  }

  #policy(): SchedulingPolicy {
    return this.#policies.get(this.#settings.policy) ?? this.#policies.get('round_robin')!;
  }

  async #patch(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null> {
    const before = await this.store.get(id);
    if (!before) return null;
    return this.#transition(before, from, patch);
  }

  async #transition(before: Job, from: readonly JobState[], patch: JobPatch): Promise<Job | null> {
    const job = await this.store.update(before.id, from, patch);
    if (job) await this.#announce(job, before.state);
    return job;
  }

  async #announce(job: Job, from: JobState | null): Promise<void> {
    if (from !== null && from !== job.state) {
      this.events.emit('job.state', { job, from });
      if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') this.events.emit('job.finished', { job });
    }
    await this.store.publish({ kind: 'job', id: job.id, state: job.state, origin: this.#origin });
    this.#refresher.soon();
  }

  async #notQueued(id: string): Promise<QueueError> {
    const job = await this.store.get(id);
    if (!job) return new QueueError('not_found', `job ${id} was not found`, { field: 'id' });
    return new QueueError('invalid_state', `job ${id} is ${job.state}; only queued jobs can be moved or re-prioritised`);
  }

  async #onSignal(signal: StoreSignal): Promise<void> {
    if (signal.origin === this.#origin) return;
    try {
      if (signal.kind === 'settings') {
        const stored = await this.store.getSettings();
        if (stored) {
          this.#settings = stored;
          this.events.emit('settings.changed', this.settings);
        }
      } else if (signal.kind === 'job' || signal.kind === 'cancel') {
        const job = await this.store.get(signal.id);
        if (!job) return;
        if (signal.kind === 'cancel') this.events.emit('job.cancel_requested', { job });
        else {
          this.events.emit('job.state', { job, from: null });
          if (job.state === 'succeeded') this.#snapshots.invalidate(job.shape);
          if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') this.events.emit('job.finished', { job });
        }
      } else return;
      this.#refresher.soon();
    } catch (error) {
      this.events.emit('error', { error, where: `signal:${signal.kind}` });
    }
  }
}
