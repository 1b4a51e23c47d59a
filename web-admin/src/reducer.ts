/**
 * The admin panel's whole state and the one pure function that changes it.
 * Every source (event envelopes, REST answers, the socket's health, toasts)
 * becomes an Action, so what the instructor sees is a function of what arrived.
 */
import {
  type Announcement,
  type Job,
  type QueueView,
  type RotatedCode,
  type SchedulerState,
  type Seat,
  type Stats,
  type Worker,
  isTerminal,
} from './api-types.ts';
import type { Envelope } from './envelope.ts';

export type AuthState = 'unknown' | 'anonymous' | 'admin';
export type ConnectionStatus = 'idle' | 'connecting' | 'online' | 'offline';

export interface JobProgress {
  value: number;
  max: number;
  node: string | null;
}

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

export interface AdminState {
  auth: AuthState;
  connection: { status: ConnectionStatus; retryAt: number | null };
  /** Resume point of the event stream (stream id + last seq seen). */
  stream: string | null;
  seq: number;
  jobs: Record<string, Job>;
  queue: QueueView | null;
  scheduler: SchedulerState | null;
  workers: Record<string, Worker>;
  seats: Record<string, Seat>;
  /** Access codes rotated in this page's life: the only time a code can be shown. */
  revealed: Record<string, RotatedCode>;
  announcements: Announcement[];
  stats: Stats | null;
  /** Live progress per job id, from the job's ComfyUI progress events. */
  progress: Record<string, JobProgress>;
  /** Latest preview per job id, as an object URL. */
  previews: Record<string, string>;
  toasts: Toast[];
  nextToastId: number;
}

export type Action =
  | { type: 'session'; auth: AuthState }
  | { type: 'connection'; status: ConnectionStatus; retryAt?: number | null }
  | { type: 'envelope'; envelope: Envelope }
  | { type: 'preview'; jobId: string; url: string }
  | { type: 'jobs.loaded'; jobs: Job[] }
  | { type: 'job.updated'; job: Job }
  | { type: 'queue.loaded'; queue: QueueView }
  | { type: 'scheduler.loaded'; scheduler: SchedulerState }
  | { type: 'workers.loaded'; workers: Worker[] }
  | { type: 'worker.updated'; worker: Worker }
  | { type: 'seats.loaded'; seats: Seat[] }
  | { type: 'seat.updated'; seat: Seat }
  | { type: 'code.rotated'; rotated: RotatedCode }
  | { type: 'code.dismissed'; seat: string }
  | { type: 'announcements.loaded'; announcements: Announcement[] }
  | { type: 'announcement.added'; announcement: Announcement }
  | { type: 'stats.loaded'; stats: Stats }
  | { type: 'toast'; kind: Toast['kind']; text: string }
  | { type: 'toast.dismiss'; id: number };

/** Finished jobs kept for the queue view's history; older ones fall off. */
export const FINISHED_JOBS_KEPT = 200;
/** Toasts on screen at once; the oldest goes first. */
export const TOASTS_KEPT = 5;

export function initialState(): AdminState {
  return {
    auth: 'unknown',
    connection: { status: 'idle', retryAt: null },
    stream: null,
    seq: 0,
    jobs: {},
    queue: null,
    scheduler: null,
    workers: {},
    seats: {},
    revealed: {},
    announcements: [],
    stats: null,
    progress: {},
    previews: {},
    toasts: [],
    nextToastId: 1,
  };
}

const byId = <T>(items: readonly T[], key: (item: T) => string): Record<string, T> =>
  Object.fromEntries(items.map((item) => [key(item), item]));

const without = <T>(record: Record<string, T>, key: string): Record<string, T> => {
  if (!(key in record)) return record;
  const { [key]: _dropped, ...rest } = record;
  return rest;
};

/** Keeps every unfinished job and only the most recently finished ones. */
function pruneFinished(jobs: Record<string, Job>): Record<string, Job> {
  const finished = Object.values(jobs).filter((job) => isTerminal(job.state));
  if (finished.length <= FINISHED_JOBS_KEPT) return jobs;
  finished.sort((a, b) => (b.finished_at ?? b.queued_at).localeCompare(a.finished_at ?? a.queued_at));
  const next = { ...jobs };
  for (const job of finished.slice(FINISHED_JOBS_KEPT)) delete next[job.id];
  return next;
}

/** The queue snapshot is the authority on positions and ETAs; a job's own copy may be older. */
function applyPositions(jobs: Record<string, Job>, queue: QueueView): Record<string, Job> {
  const entries = new Map(queue.entries.filter((e) => e.id).map((e) => [e.id as string, e]));
  let next: Record<string, Job> | null = null;
  for (const job of Object.values(jobs)) {
    const entry = entries.get(job.id);
    const position = entry && job.state === 'queued' ? entry.position : job.state === 'queued' ? job.position : null;
    const eta = entry ? entry.eta : job.state === 'queued' ? job.eta : null;
    const etaStart = entry ? entry.eta_start : job.state === 'queued' ? job.eta_start : null;
    if (position === job.position && eta === job.eta && etaStart === job.eta_start) continue;
    next ??= { ...jobs };
    next[job.id] = { ...job, position, eta, eta_start: etaStart };
  }
  return next ?? jobs;
}

function withQueue(state: AdminState, queue: QueueView): AdminState {
  // The queue frame carries policy and pause state too, so the scheduler view never lags it.
  const scheduler = state.scheduler ? { ...state.scheduler, policy: queue.policy, paused: queue.paused } : null;
  return { ...state, queue, scheduler, jobs: applyPositions(state.jobs, queue) };
}

function withJob(state: AdminState, job: Job): AdminState {
  const jobs = pruneFinished({ ...state.jobs, [job.id]: job });
  if (!isTerminal(job.state)) return { ...state, jobs };
  return { ...state, jobs, progress: without(state.progress, job.id), previews: without(state.previews, job.id) };
}

function progressFrom(event: string, data: Record<string, unknown>, current: JobProgress | undefined): JobProgress | null {
  if (event === 'execution_start') return { value: 0, max: 1, node: null };
  if (event === 'progress') {
    const value = Number(data['value']);
    const max = Number(data['max']);
    if (!Number.isFinite(value) || !Number.isFinite(max) || max <= 0) return null;
    return { value, max, node: typeof data['node'] === 'string' ? data['node'] : null };
  }
  if (event === 'executing' && typeof data['node'] === 'string' && current && current.node !== data['node']) {
    // A new node started: its own progress events follow.
    return { value: 0, max: 1, node: data['node'] };
  }
  return null;
}

function withEnvelope(state: AdminState, envelope: Envelope): AdminState {
  const seq = Math.max(state.seq, envelope.seq);
  switch (envelope.type) {
    case 'hello':
      return { ...state, stream: envelope.stream, seq: envelope.resumed ? seq : envelope.seq };
    case 'snapshot': {
      const jobs = byId(envelope.jobs, (job) => job.id);
      const live = (record: Record<string, unknown>) => Object.keys(record).filter((id) => jobs[id] && !isTerminal(jobs[id].state));
      const progress = Object.fromEntries(live(state.progress).map((id) => [id, state.progress[id]!]));
      const previews = Object.fromEntries(live(state.previews).map((id) => [id, state.previews[id]!]));
      const next = { ...state, seq, jobs: pruneFinished(jobs), progress, previews, announcements: envelope.announcements };
      return withQueue(next, envelope.queue);
    }
    case 'job':
      return withJob({ ...state, seq }, envelope.job);
    case 'queue':
      return withQueue({ ...state, seq }, envelope.queue);
    case 'announcement':
      return withAnnouncement({ ...state, seq }, envelope.announcement);
    case 'worker':
      return { ...state, seq, workers: { ...state.workers, [envelope.worker.id]: envelope.worker } };
    case 'comfy': {
      const job = state.jobs[envelope.job_id];
      if (job && isTerminal(job.state)) return { ...state, seq };
      const progress = progressFrom(envelope.event, envelope.data, state.progress[envelope.job_id]);
      if (!progress) return { ...state, seq };
      return { ...state, seq, progress: { ...state.progress, [envelope.job_id]: progress } };
    }
  }
}

function withAnnouncement(state: AdminState, announcement: Announcement): AdminState {
  if (state.announcements.some((a) => a.id === announcement.id)) return state;
  const announcements = [announcement, ...state.announcements].sort((a, b) => b.at.localeCompare(a.at));
  return { ...state, announcements };
}

export function reduce(state: AdminState, action: Action): AdminState {
  switch (action.type) {
    case 'session':
      // Signing out forgets everything the admin saw, except what the toasts still have to say.
      if (action.auth === 'admin') return { ...state, auth: 'admin' };
      return { ...initialState(), auth: action.auth, toasts: state.toasts, nextToastId: state.nextToastId };
    case 'connection':
      return { ...state, connection: { status: action.status, retryAt: action.retryAt ?? null } };
    case 'envelope':
      return withEnvelope(state, action.envelope);
    case 'preview': {
      const job = state.jobs[action.jobId];
      if (job && isTerminal(job.state)) return state;
      return { ...state, previews: { ...state.previews, [action.jobId]: action.url } };
    }
    case 'jobs.loaded': {
      // REST pages can be older than the live stream: they only fill in jobs the stream has not told us about.
      const jobs = { ...state.jobs };
      for (const job of action.jobs) jobs[job.id] ??= job;
      const next = { ...state, jobs: pruneFinished(jobs) };
      return next.queue ? withQueue(next, next.queue) : next;
    }
    case 'job.updated':
      return withJob(state, action.job);
    case 'queue.loaded':
      return withQueue(state, action.queue);
    case 'scheduler.loaded':
      return { ...state, scheduler: action.scheduler };
    case 'workers.loaded':
      return { ...state, workers: byId(action.workers, (worker) => worker.id) };
    case 'worker.updated':
      return { ...state, workers: { ...state.workers, [action.worker.id]: action.worker } };
    case 'seats.loaded':
      return { ...state, seats: byId(action.seats, (seat) => seat.seat) };
    case 'seat.updated':
      return { ...state, seats: { ...state.seats, [action.seat.seat]: action.seat } };
    case 'code.rotated':
      return { ...state, revealed: { ...state.revealed, [action.rotated.seat]: action.rotated } };
    case 'code.dismissed':
      return { ...state, revealed: without(state.revealed, action.seat) };
    case 'announcements.loaded':
      return { ...state, announcements: [...action.announcements].sort((a, b) => b.at.localeCompare(a.at)) };
    case 'announcement.added':
      return withAnnouncement(state, action.announcement);
    case 'stats.loaded':
      return { ...state, stats: action.stats };
    case 'toast': {
      const toast: Toast = { id: state.nextToastId, kind: action.kind, text: action.text };
      return { ...state, toasts: [...state.toasts, toast].slice(-TOASTS_KEPT), nextToastId: state.nextToastId + 1 };
    }
    case 'toast.dismiss':
      if (!state.toasts.some((toast) => toast.id === action.id)) return state;
      return { ...state, toasts: state.toasts.filter((toast) => toast.id !== action.id) };
  }
}
