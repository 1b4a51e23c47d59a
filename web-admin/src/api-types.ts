/**
 * The shapes the admin panel reads from the comfy-multi API (docs/api.md, v1). The
 * wire shapes shared with the extension come from the browser-safe
 * lib/protocol/envelope.ts; the admin-only answers are here.
 */
import type { JobState, Paused, PriorityClass } from '../../lib/protocol/envelope.ts';

export type {
  Announcement,
  HealthSample,
  Job,
  JobState,
  OutputFile,
  Paused,
  PriorityClass,
  QueueEntry,
  QueueView,
  SystemStats,
  Worker,
  WorkerProgress,
  WorkerState,
} from '../../lib/protocol/envelope.ts';
export type { ApiErrorBody } from '../../lib/protocol/error-body.ts';
export { isTerminal, TERMINAL_STATES } from '../../lib/protocol/envelope.ts';

export const JOB_STATES: readonly JobState[] = ['queued', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled'];
export const PRIORITY_CLASSES: readonly PriorityClass[] = ['instructor', 'high', 'normal', 'low'];

export interface Caps {
  max_queued_per_seat: number;
  max_depth: number;
}

export interface SchedulerState {
  policy: string;
  policies: string[];
  paused: Paused;
  caps: Caps;
}

export interface Seat {
  seat: string;
  name: string;
  disabled: boolean;
  online: boolean;
  queued: number;
  running: number;
  done: number;
  outputs: number;
  last_activity: string | null;
  url: string;
}

export interface RotatedCode {
  seat: string;
  code: string;
  url: string;
}

export interface Stats {
  depth_series: { at: string; queued: number; running: number }[];
  wait_series: { at: string; p50: number | null }[];
  jobs_per_seat: Record<string, number>;
  utilisation: Record<string, number>;
  totals: Record<string, unknown>;
}

export interface SessionInfo {
  role: 'seat' | 'admin' | 'token';
  seat?: string;
  name?: string;
}
