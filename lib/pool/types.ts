/**
 * What the worker pool tells the outside world. The server's event hub and the
 * admin panel read these; embedders subscribe the same way.
 */
import type { Job } from '../job.ts';

export const WORKER_STATES = ['starting', 'ready', 'busy', 'draining', 'disabled', 'down'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export interface HealthSample {
  at: number;
  ok: boolean;
  /** Round-trip time of the liveness probe. */
  ms: number;
  error?: string;
}

export interface WorkerSystem {
  device: string;
  vramTotal: number;
  vramFree: number;
  ramTotal: number;
  ramFree: number;
  comfyuiVersion: string | null;
}

export interface WorkerView {
  id: string;
  url: string;
  provider: string;
  state: WorkerState;
  currentJob: string | null;
  /** Seat of the current job, for the admin panel. */
  currentSeat: string | null;
  progress: { value: number; max: number; node: string | null } | null;
  /** The server process driving this worker (several processes may share one Redis). */
  owner: string | null;
  health: HealthSample[];
  system: WorkerSystem | null;
  /** Jobs finished on this worker since the process started, and time spent busy (ms), for utilisation. */
  jobsDone: number;
  busyMs: number;
}

/** The metadata of a live preview image (ComfyUI's type-4 binary frame). */
export interface PreviewMeta {
  nodeId: string;
  displayNodeId: string;
  parentNodeId: string | null;
  realNodeId: string;
  imageType: string;
}

export interface PoolEvents {
  /** A ComfyUI-native event of a job (`prompt_id` = job id; `executed` outputs point at the seat's copies). */
  'job.comfy': { job: Job; type: string; data: Record<string, unknown> };
  'job.preview': { job: Job; meta: PreviewMeta; image: Uint8Array };
  'worker.changed': WorkerView;
  error: { error: unknown; where: string };
  [key: string]: unknown;
}
