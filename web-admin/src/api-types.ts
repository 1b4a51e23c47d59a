/**
 * The shapes the admin panel reads from the comfy-multi API (docs/api.md, v1).
 * The panel is a plain API client: it never imports lib/, so these mirror the contract.
 */

export type JobState = 'queued' | 'dispatching' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type PriorityClass = 'instructor' | 'high' | 'normal' | 'low';
export type WorkerState = 'ready' | 'busy' | 'draining' | 'disabled' | 'down' | 'starting';

export const JOB_STATES: readonly JobState[] = ['queued', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled'];
export const PRIORITY_CLASSES: readonly PriorityClass[] = ['instructor', 'high', 'normal', 'low'];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.includes(state);

export interface OutputFile {
  node_id: string;
  kind: string;
  filename: string;
  subfolder: string;
  type: 'output' | 'temp';
  size?: number;
  mime?: string;
  url?: string;
}

export interface Job {
  id: string;
  seat: string;
  title: string | null;
  state: JobState;
  priority: PriorityClass;
  position: number | null;
  eta: number | null;
  eta_start: number | null;
  attempts: number;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  worker: string | null;
  error: { code: string; message: string } | null;
  cancel_requested: boolean;
  outputs: OutputFile[];
}

export interface QueueEntry {
  position: number;
  id?: string;
  seat?: string;
  mine?: boolean;
  eta: number | null;
  eta_start: number | null;
}

export interface Paused {
  submissions: boolean;
  dispatch: boolean;
}

export interface QueueView {
  policy: string;
  paused: Paused;
  depth: number;
  running: number;
  ready_workers: number;
  entries: QueueEntry[];
}

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

export interface HealthSample {
  at: string;
  ok: boolean;
  ms: number | null;
}

export interface SystemStats {
  vram_total?: number | null;
  vram_free?: number | null;
  ram_total?: number | null;
  ram_free?: number | null;
  device?: string | null;
}

/** Progress as a worker reports it: a 0..1 fraction or ComfyUI's {value, max}. */
export type WorkerProgress = number | { value: number; max: number; node?: string | null } | null;

export interface Worker {
  id: string;
  url: string;
  provider: string;
  state: WorkerState;
  current_job: string | null;
  progress: WorkerProgress;
  last_preview_url: string | null;
  health: HealthSample[];
  system: SystemStats | null;
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

export interface Announcement {
  id: string;
  text: string;
  at: string;
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

/** The body of every error answer. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; details?: unknown };
}
