/** Short human texts for durations, ETAs and job states, shared by the badge and the sidebar. */
import type { Job, JobState } from './contract.ts';

/** 42 → "42s", 125 → "2m 05s", 3720 → "1h 02m". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

const STATE_LABELS: Record<JobState, string> = {
  queued: 'Queued',
  dispatching: 'Starting',
  running: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const stateLabel = (state: JobState): string => STATE_LABELS[state];

const at = (iso: string | null): number | null => {
  if (iso === null) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
};

/** Seconds waited in the queue (so far, while still queued). */
export function waitSeconds(job: Job, now: number): number | null {
  const queued = at(job.queued_at);
  if (queued === null) return null;
  const end = at(job.started_at) ?? (job.state === 'queued' || job.state === 'dispatching' ? now : at(job.finished_at));
  return end === null ? null : Math.max(0, (end - queued) / 1000);
}

/** Seconds on a worker (so far, while running). */
export function runSeconds(job: Job, now: number): number | null {
  const started = at(job.started_at);
  if (started === null) return null;
  return Math.max(0, ((at(job.finished_at) ?? now) - started) / 1000);
}

/** "~1m 30s" for a known estimate; honest when the server has no history to estimate from. */
export function formatEta(seconds: number | null): string {
  return seconds === null ? 'no estimate yet' : `~${formatDuration(seconds)}`;
}

/** The one-line text of the queue badge. */
export function badgeText(job: Job | null, depth: number, percent: number | null): { text: string; eta: string } {
  if (!job) return { text: depth > 0 ? `Queue idle · ${depth} waiting` : 'Queue idle', eta: '' };
  if (job.state === 'queued') {
    const place = job.position === null ? 'Queued' : `Queued #${job.position} of ${Math.max(depth, job.position)}`;
    return { text: place, eta: job.eta_start === null ? formatEta(null) : `starts ${formatEta(job.eta_start)}` };
  }
  if (job.state === 'dispatching') return { text: 'Starting…', eta: '' };
  const running = percent === null ? 'Running' : `Running ${percent}%`;
  return { text: running, eta: job.eta === null ? '' : `done ${formatEta(job.eta)}` };
}
