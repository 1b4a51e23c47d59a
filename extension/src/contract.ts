/**
 * The comfy-multi API shapes the extension reads (docs/api.md, v1). The wire shapes
 * come from the browser-safe lib/protocol/envelope.ts; what only the extension needs
 * (its runtime config, its reading of a snapshot, its flat preview) stays here.
 */
import type {
  Envelope as WireEnvelope,
  Job,
  QueueView,
} from '../../lib/protocol/envelope.ts';
import { isTerminal } from '../../lib/protocol/envelope.ts';

export type {
  Announcement,
  Job,
  JobError,
  JobState,
  OutputFile,
  QueueEntry,
  QueueView,
} from '../../lib/protocol/envelope.ts';
export { isTerminal, TERMINAL_STATES } from '../../lib/protocol/envelope.ts';

/** States that count as "this seat still has work in the queue" (ComfyUI's queue_remaining). */
export const isPending = (state: Job['state']): boolean => !isTerminal(state);

/** `GET /api/v1/jobs/<id>` adds the submitted prompt and workflow. */
export interface JobDetail extends Job {
  prompt?: Record<string, unknown>;
  workflow?: unknown;
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

type WireSnapshot = Extract<WireEnvelope, { type: 'snapshot' }>;

/** The envelopes a seat reads: no `worker`, and a snapshot whose queue may be missing (null). */
export type Envelope =
  | Exclude<WireEnvelope, { type: 'snapshot' | 'worker' }>
  | (Omit<WireSnapshot, 'queue'> & { queue: QueueView | null });

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
