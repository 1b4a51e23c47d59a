/**
 * What this page knows about the seat: its jobs, the shared queue, live progress.
 * Fed by the event stream (snapshot, job, queue, comfy envelopes) and by submissions;
 * read by the badge, the sidebar tab, the toasts and the queue panel patches.
 */
import type { ComfyEnvelope, Job, QueueView } from './contract.ts';
import { isPending, isTerminal } from './contract.ts';
import { TERMINAL_EVENTS } from './dispatcher.ts';

interface Live {
  /** The current node's own progress (ComfyUI `progress`). */
  step: { value: number; max: number } | null;
  /** Per-node states of the last `progress_state`: node id → fraction done (0..1). */
  nodes: Map<string, number> | null;
  /** execution_start was dispatched into the UI from this page. */
  started: boolean;
  /** ComfyUI's own terminal event arrived. */
  ended: boolean;
}

export type JobTransition = (job: Job, previous: Job | null) => void;

/** How far along a job is; a REST answer never moves a job to a lower rank. */
const STATE_RANK: Record<Job['state'], number> = { queued: 0, dispatching: 1, running: 2, succeeded: 3, failed: 3, cancelled: 3 };

export class SeatState {
  readonly seat: string;
  readonly #jobs = new Map<string, Job>();
  readonly #live = new Map<string, Live>();
  readonly #cancelledHere = new Set<string>();
  #queue: QueueView | null = null;
  #connected = false;
  readonly #changeListeners = new Set<() => void>();
  readonly #transitionListeners = new Set<JobTransition>();

  constructor(seat: string) {
    this.seat = seat;
  }

  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Every job update whose state differs from what was known (previous null = first sight). */
  onTransition(listener: JobTransition): () => void {
    this.#transitionListeners.add(listener);
    return () => this.#transitionListeners.delete(listener);
  }

  get connected(): boolean {
    return this.#connected;
  }

  setConnected(connected: boolean): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    this.#changed();
  }

  get queue(): QueueView | null {
    return this.#queue;
  }

  job(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** Newest first, like the server's lists. */
  jobs(): Job[] {
    return [...this.#jobs.values()].sort((a, b) => b.queued_at.localeCompare(a.queued_at));
  }

  /** What ComfyUI calls queue_remaining, for this seat: its queued and running jobs. */
  pendingCount(): number {
    let count = 0;
    for (const job of this.#jobs.values()) if (isPending(job.state)) count += 1;
    return count;
  }

  runningJobs(): Job[] {
    return this.jobs().filter((job) => job.state === 'running' || job.state === 'dispatching');
  }

  /** The job the badge is about: a running one (not being cancelled, if possible), else the queued one closest to the front. */
  focus(): Job | null {
    const running = this.runningJobs();
    const active = running.filter((job) => !job.cancel_requested);
    if (active.length > 0) return active[active.length - 1]!;
    if (running.length > 0) return running[running.length - 1]!;
    const queued = this.jobs().filter((job) => job.state === 'queued');
    queued.sort((a, b) => (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER));
    return queued[0] ?? null;
  }

  /** Overall progress 0..100 of a running job, or null before anything was reported. */
  percent(jobId: string): number | null {
    const live = this.#live.get(jobId);
    if (!live) return null;
    if (live.nodes && live.nodes.size > 0) {
      let done = 0;
      for (const fraction of live.nodes.values()) done += fraction;
      return Math.round((done / live.nodes.size) * 100);
    }
    if (live.step && live.step.max > 0) return Math.round((live.step.value / live.step.max) * 100);
    return null;
  }

  wasStarted(jobId: string): boolean {
    return this.#live.get(jobId)?.started ?? false;
  }

  markStarted(jobId: string): void {
    this.#liveOf(jobId).started = true;
  }

  /** Remembers that this page asked to cancel the job (so its end needs no toast). */
  noteCancel(jobId: string): void {
    this.#cancelledHere.add(jobId);
  }

  cancelledHere(jobId: string): boolean {
    return this.#cancelledHere.has(jobId);
  }

  markEnded(jobId: string): void {
    this.#liveOf(jobId).ended = true;
  }

  /** True when the UI saw the job start but not ComfyUI's own end of it. */
  needsSyntheticEnd(jobId: string): boolean {
    const live = this.#live.get(jobId);
    return live?.started === true && !live.ended;
  }

  applySnapshot(jobs: readonly Job[], queue: QueueView | null): void {
    const fresh = new Set(jobs.map((job) => job.id));
    // Jobs the snapshot no longer lists (old finished ones) are dropped; unfinished ones it omits cannot exist.
    for (const id of this.#jobs.keys()) if (!fresh.has(id) && isTerminal(this.#jobs.get(id)!.state)) this.#jobs.delete(id);
    for (const job of jobs) this.#put(job);
    if (queue) this.#applyQueue(queue);
    this.#changed();
  }

  /** A job from the event stream: envelopes arrive in order, so the newest always wins. */
  applyJob(job: Job): void {
    this.#put(job);
    this.#changed();
  }

  /**
   * A job from a REST answer (submit, cancel), which can arrive after newer envelopes
   * about it: it never moves a job back (e.g. a cancel answer saying "running" after
   * the stream already said "cancelled").
   */
  noteJob(job: Job): void {
    const known = this.#jobs.get(job.id);
    if (known && STATE_RANK[job.state] < STATE_RANK[known.state]) {
      if (job.cancel_requested && !known.cancel_requested) this.#jobs.set(job.id, { ...known, cancel_requested: true });
    } else {
      this.#put(job);
    }
    this.#changed();
  }

  /** Older jobs fetched over REST (e.g. for the sidebar): added without announcing transitions. */
  addHistory(jobs: readonly Job[]): void {
    for (const job of jobs) if (!this.#jobs.has(job.id)) this.#jobs.set(job.id, job);
    this.#changed();
  }

  applyQueue(queue: QueueView): void {
    this.#applyQueue(queue);
    this.#changed();
  }

  applyComfy(envelope: ComfyEnvelope): void {
    const live = this.#liveOf(envelope.job_id);
    const data = envelope.data;
    switch (envelope.event) {
      case 'execution_start':
        live.started = true;
        break;
      case 'progress':
        if (typeof data['value'] === 'number' && typeof data['max'] === 'number') live.step = { value: data['value'], max: data['max'] };
        break;
      case 'progress_state':
        live.nodes = nodeFractions(data['nodes']);
        break;
      default:
        if (TERMINAL_EVENTS.has(envelope.event)) live.ended = true;
    }
    this.#changed();
  }

  #put(job: Job): void {
    const previous = this.#jobs.get(job.id) ?? null;
    this.#jobs.set(job.id, job);
    if (isTerminal(job.state)) {
      const live = this.#live.get(job.id);
      if (live) live.step = null;
    }
    if (previous?.state !== job.state) for (const listener of this.#transitionListeners) listener(job, previous);
  }

  #applyQueue(queue: QueueView): void {
    this.#queue = queue;
    const places = new Map(queue.entries.filter((entry) => entry.mine && entry.id).map((entry) => [entry.id!, entry]));
    for (const [id, job] of this.#jobs) {
      const place = places.get(id);
      if (place) this.#jobs.set(id, { ...job, position: place.position, eta: place.eta, eta_start: place.eta_start });
      else if (job.state !== 'queued' && job.position !== null) this.#jobs.set(id, { ...job, position: null, eta_start: null });
    }
  }

  #liveOf(jobId: string): Live {
    let live = this.#live.get(jobId);
    if (!live) {
      live = { step: null, nodes: null, started: false, ended: false };
      this.#live.set(jobId, live);
    }
    return live;
  }

  #changed(): void {
    for (const listener of this.#changeListeners) listener();
  }
}

/** progress_state nodes → fraction done per node (finished = 1, running = value/max, else 0). */
export function nodeFractions(nodes: unknown): Map<string, number> | null {
  if (typeof nodes !== 'object' || nodes === null) return null;
  const fractions = new Map<string, number>();
  for (const [id, raw] of Object.entries(nodes as Record<string, unknown>)) {
    const node = raw as { state?: unknown; value?: unknown; max?: unknown } | null;
    if (!node) continue;
    if (node.state === 'finished') fractions.set(id, 1);
    else if (node.state === 'running' && typeof node.value === 'number' && typeof node.max === 'number' && node.max > 0) {
      fractions.set(id, Math.min(1, node.value / node.max));
    } else fractions.set(id, 0);
  }
  return fractions;
}
