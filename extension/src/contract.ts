/**
 * The comfy-multi API shapes the extension reads (docs/api.md, v1). The extension is
 * a browser bundle that never imports lib/ or server/, so these mirror the contract.
 */

export type JobState = 'queued' | 'dispatching' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.includes(state);
/** States that count as "this seat still has work in the queue" (ComfyUI's queue_remaining). */
export const isPending = (state: JobState): boolean => !isTerminal(state);

export interface OutputFile {
  node_id: string;
  /** The key of ComfyUI's `executed.output` map: images, gifs, video, audio… */
  kind: string;
  filename: string;
  subfolder: string;
  type: 'output' | 'temp';
  size?: number;
  mime?: string;
  /** Same-origin path of the file in the seat's output store. */
  url: string;
}

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

export interface Job {
  id: string;
  seat: string;
  title: string | null;
  state: JobState;
  priority: string;
  /** 1 = next; null when not queued. */
  position: number | null;
  /** Seconds from now until it finishes / starts; null when unknown. */
  eta: number | null;
  eta_start: number | null;
  attempts: number;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  worker: string | null;
  error: JobError | null;
  cancel_requested: boolean;
  outputs: OutputFile[];
}

/** `GET /api/v1/jobs/<id>` adds the submitted prompt and workflow. */
export interface JobDetail extends Job {
  prompt?: Record<string, unknown>;
  workflow?: unknown;
}

export interface QueueEntry {
  position: number;
  id?: string;
  seat?: string;
  mine: boolean;
  eta: number | null;
  eta_start: number | null;
}

export interface QueueView {
  policy: string;
  paused: { submissions: boolean; dispatch: boolean };
  depth: number;
  running: number;
  ready_workers: number;
  entries: QueueEntry[];
}

export interface Announcement {
  id: string;
  text: string;
  at: string;
}

/** `<api_base>/comfy-multi/config.json`, served by the seat gateway. */
export interface RuntimeConfig {
  /** Absolute path of the comfy-multi REST API on this origin, e.g. /api/v1. */
  api_base: string;
  /** Absolute path of the event WebSocket, e.g. /api/v1/events. */
  events_url: string;
  seat: string;
  name: string;
  version: 1;
}

interface EnvelopeBase {
  v: 1;
  seq: number;
}

export type Envelope = EnvelopeBase &
  (
    | { type: 'hello'; stream: string; role: string; seat?: string; resumed: boolean }
    | { type: 'snapshot'; jobs: Job[]; queue: QueueView | null; announcements: Announcement[] }
    | { type: 'comfy'; job_id: string; event: string; data: Record<string, unknown> }
    | { type: 'job'; job: Job }
    | { type: 'queue'; queue: QueueView }
    | { type: 'announcement'; announcement: Announcement }
  );

export type ComfyEnvelope = Extract<Envelope, { type: 'comfy' }>;

/** A live preview, sent as a binary frame (never replayed on resume). */
export interface PreviewFrame {
  jobId: string;
  nodeId: string | null;
  displayNodeId: string | null;
  parentNodeId: string | null;
  realNodeId: string | null;
  /** A MIME type usable for a Blob. */
  mime: string;
  bytes: Uint8Array;
}
