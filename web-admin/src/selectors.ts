/**
 * Views derived from AdminState: what the queue table lists, what each worker
 * is running and how far along it is. Pure, so the ordering rules are tested in Node.
 */
import type { Job, JobState, Seat, Worker, WorkerProgress } from './api-types.ts';
import type { AdminState, JobProgress } from './reducer.ts';

export type StateFilter = 'active' | 'all' | JobState;
export const STATE_FILTERS: readonly StateFilter[] = [
  'active',
  'queued',
  'dispatching',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'all',
];

export interface QueueFilter {
  seat: string;
  state: StateFilter;
}

const ACTIVE: readonly JobState[] = ['queued', 'dispatching', 'running'];
const STATE_ORDER: Record<JobState, number> = {
  running: 0,
  dispatching: 1,
  queued: 2,
  succeeded: 3,
  failed: 3,
  cancelled: 3,
};

function matchesState(job: Job, filter: StateFilter): boolean {
  if (filter === 'all') return true;
  if (filter === 'active') return ACTIVE.includes(job.state);
  return job.state === filter;
}

/** Running first, then the queue in dispatch order, then the most recently finished. */
export function compareJobs(a: Job, b: Job): number {
  const byState = STATE_ORDER[a.state] - STATE_ORDER[b.state];
  if (byState !== 0) return byState;
  if (a.state === 'queued') {
    const pa = a.position ?? Number.POSITIVE_INFINITY;
    const pb = b.position ?? Number.POSITIVE_INFINITY;
    if (pa !== pb) return pa - pb;
    return a.queued_at.localeCompare(b.queued_at);
  }
  if (STATE_ORDER[a.state] === 3) return (b.finished_at ?? '').localeCompare(a.finished_at ?? '');
  return (a.started_at ?? a.queued_at).localeCompare(b.started_at ?? b.queued_at);
}

export function queueRows(state: AdminState, filter: QueueFilter): Job[] {
  return Object.values(state.jobs)
    .filter((job) => (!filter.seat || job.seat === filter.seat) && matchesState(job, filter.state))
    .sort(compareJobs);
}

/** Queued jobs in dispatch order: the list drag-and-drop and "move up/down" work on. */
export function queuedInOrder(state: AdminState): Job[] {
  return Object.values(state.jobs)
    .filter((job) => job.state === 'queued')
    .sort(compareJobs);
}

/** Every seat that appears anywhere, for the seat filter. */
export function knownSeats(state: AdminState): string[] {
  const seats = new Set(Object.keys(state.seats));
  for (const job of Object.values(state.jobs)) seats.add(job.seat);
  return [...seats].sort();
}

export function seatList(state: AdminState): Seat[] {
  return Object.values(state.seats).sort((a, b) => a.seat.localeCompare(b.seat));
}

export function workerList(state: AdminState): Worker[] {
  return Object.values(state.workers).sort((a, b) => a.id.localeCompare(b.id));
}

/** Progress as a 0..1 fraction: the job's live ComfyUI events win over the worker's last report. */
export function progressFraction(live: JobProgress | undefined, reported: WorkerProgress): number | null {
  if (live && live.max > 0) return clamp01(live.value / live.max);
  if (typeof reported === 'number') return Number.isFinite(reported) ? clamp01(reported > 1 ? reported / 100 : reported) : null;
  if (reported && reported.max > 0) return clamp01(reported.value / reported.max);
  return null;
}

const clamp01 = (n: number): number => Math.min(1, Math.max(0, n));

export interface RunningCard {
  worker: Worker;
  job: Job | null;
  /** The job id the worker reports, even when its Job has not reached the panel yet. */
  jobId: string | null;
  progress: number | null;
  node: string | null;
  preview: string | null;
}

/** One card per worker that has a job, by the worker's report or the job's. */
export function runningCards(state: AdminState): RunningCard[] {
  const cards: RunningCard[] = [];
  for (const worker of workerList(state)) {
    const mine = Object.values(state.jobs).filter((job) => job.worker === worker.id);
    // A worker may already hold its next job (dispatching): the running one is what it works on.
    const fromJobs = mine.find((job) => job.state === 'running') ?? mine.find((job) => job.state === 'dispatching');
    const jobId = worker.current_job ?? fromJobs?.id ?? null;
    if (!jobId) continue;
    const live = state.progress[jobId];
    cards.push({
      worker,
      job: state.jobs[jobId] ?? null,
      jobId,
      progress: progressFraction(live, worker.progress),
      node: live?.node ?? (typeof worker.progress === 'object' && worker.progress ? (worker.progress.node ?? null) : null),
      preview: state.previews[jobId] ?? worker.last_preview_url ?? null,
    });
  }
  return cards;
}

export interface Summary {
  queued: number;
  running: number;
  /** Handed to a worker, not started yet (workers may hold the next job ready). */
  starting: number;
  workersReady: number;
  workersTotal: number;
}

export function summary(state: AdminState): Summary {
  const workers = Object.values(state.workers);
  const jobs = Object.values(state.jobs);
  return {
    queued: state.queue?.depth ?? jobs.filter((j) => j.state === 'queued').length,
    running: jobs.filter((j) => j.state === 'running').length,
    starting: jobs.filter((j) => j.state === 'dispatching').length,
    workersReady: workers.filter((w) => w.state === 'ready' || w.state === 'busy').length,
    workersTotal: workers.length,
  };
}
