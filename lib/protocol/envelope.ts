/**
 * The comfy-multi v1 wire contract (docs/api.md) as the browser clients read it:
 * job, queue and announcement shapes, the versioned JSON envelopes of
 * /api/v1/events and its binary preview frames. Browser-safe on purpose (no
 * Node or framework imports): the extension (esbuild) and the admin panel
 * (Vite) bundle it, and the server borrows its types.
 */

export const ENVELOPE_VERSION = 1;

export type JobState = 'queued' | 'dispatching' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type PriorityClass = 'instructor' | 'high' | 'normal' | 'low';

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.includes(state);

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
  priority: PriorityClass;
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

export interface QueueEntry {
  position: number;
  id?: string;
  seat?: string;
  mine: boolean;
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

export interface Announcement {
  id: string;
  text: string;
  at: string;
}

export type WorkerState = 'ready' | 'busy' | 'draining' | 'disabled' | 'down' | 'starting';

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

interface EnvelopeBase {
  v: 1;
  seq: number;
}

/** Every envelope the server sends; `worker` goes to admins only. */
export type Envelope = EnvelopeBase &
  (
    | { type: 'hello'; stream: string; role: string; seat?: string; resumed: boolean }
    | { type: 'snapshot'; jobs: Job[]; queue: QueueView; announcements: Announcement[] }
    | { type: 'comfy'; job_id: string; event: string; data: Record<string, unknown> }
    | { type: 'job'; job: Job }
    | { type: 'queue'; queue: QueueView }
    | { type: 'announcement'; announcement: Announcement }
    | { type: 'worker'; worker: Worker }
  );

export type EnvelopeType = Envelope['type'];
export type ComfyEnvelope = Extract<Envelope, { type: 'comfy' }>;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isAnnouncement = (value: unknown): value is Announcement =>
  isObject(value) && typeof value['id'] === 'string' && typeof value['text'] === 'string';

export const isComfyEnvelope = (e: Record<string, unknown>): boolean =>
  typeof e['job_id'] === 'string' && typeof e['event'] === 'string' && isObject(e['data']);

/** Per envelope type: does this object carry the fields its reader needs? */
export type EnvelopeChecks<T extends string> = Record<T, (e: Record<string, unknown>) => boolean>;

/**
 * One text frame → the envelope object, or null when it is malformed or of a
 * type `checks` does not list: each client checks just as deep as it reads, so
 * a newer server can add envelope types without breaking an older client.
 * `hello.resumed` comes back as a boolean.
 */
export function decodeEnvelope<T extends string>(text: string, checks: EnvelopeChecks<T>): (Record<string, unknown> & { type: T }) | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value['v'] !== ENVELOPE_VERSION || typeof value['seq'] !== 'number') return null;
  const type = value['type'];
  if (typeof type !== 'string' || !Object.hasOwn(checks, type)) return null;
  if (!checks[type as T](value)) return null;
  if (type === 'hello') value['resumed'] = value['resumed'] === true;
  return value as Record<string, unknown> & { type: T };
}

export interface PreviewHeader {
  v: number;
  type: 'preview';
  job_id: string;
  node_id?: string | null;
  display_node_id?: string | null;
  parent_node_id?: string | null;
  real_node_id?: string | null;
  image_type?: string | null;
}

export interface PreviewFrame {
  header: PreviewHeader;
  /** A MIME type usable for a Blob, e.g. image/jpeg. */
  mime: string;
  bytes: Uint8Array;
}

/** ComfyUI names preview formats as MIME types or as JPEG/PNG. */
export function previewMime(imageType: unknown): string {
  if (typeof imageType !== 'string' || imageType === '') return 'image/jpeg';
  const lower = imageType.toLowerCase();
  if (lower.includes('/')) return lower;
  return lower === 'png' ? 'image/png' : lower === 'webp' ? 'image/webp' : 'image/jpeg';
}

/** One binary frame (`u32 BE header length` + header JSON + image bytes) → a preview, or null if truncated or foreign. */
export function parsePreviewFrame(buffer: ArrayBuffer): PreviewFrame | null {
  if (buffer.byteLength < 4) return null;
  const headerLength = new DataView(buffer).getUint32(0, false);
  if (headerLength === 0 || 4 + headerLength > buffer.byteLength) return null;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
  } catch {
    return null;
  }
  if (!isObject(header) || header['type'] !== 'preview' || typeof header['job_id'] !== 'string') return null;
  return { header: header as unknown as PreviewHeader, mime: previewMime(header['image_type']), bytes: new Uint8Array(buffer, 4 + headerLength) };
}
