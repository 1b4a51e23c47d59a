/**
 * Reading the /api/v1/events stream: text frames are versioned JSON envelopes,
 * binary frames are previews (u32 BE header length + header JSON + image bytes).
 * Anything malformed or of an unknown type is dropped rather than trusted, so a
 * newer server cannot break an older panel.
 */
import type { Announcement, Job, QueueView, Worker } from './api-types.ts';

export const ENVELOPE_VERSION = 1;

interface Base {
  v: 1;
  seq: number;
}

export type Envelope = Base &
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

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isJob = (value: unknown): value is Job =>
  isObject(value) && typeof value['id'] === 'string' && typeof value['state'] === 'string';

const isQueue = (value: unknown): value is QueueView =>
  isObject(value) && Array.isArray(value['entries']) && isObject(value['paused']);

const isAnnouncement = (value: unknown): value is Announcement =>
  isObject(value) && typeof value['id'] === 'string' && typeof value['text'] === 'string';

const isWorker = (value: unknown): value is Worker =>
  isObject(value) && typeof value['id'] === 'string' && typeof value['state'] === 'string';

/** Which fields each envelope type must carry, checked just deep enough for the reducer to be safe. */
const CHECKS: Record<EnvelopeType, (e: Record<string, unknown>) => boolean> = {
  hello: (e) => typeof e['stream'] === 'string' && typeof e['role'] === 'string',
  snapshot: (e) =>
    Array.isArray(e['jobs']) &&
    e['jobs'].every(isJob) &&
    isQueue(e['queue']) &&
    (e['announcements'] === undefined ||
      (Array.isArray(e['announcements']) && e['announcements'].every(isAnnouncement))),
  comfy: (e) => typeof e['job_id'] === 'string' && typeof e['event'] === 'string' && isObject(e['data']),
  job: (e) => isJob(e['job']),
  queue: (e) => isQueue(e['queue']),
  announcement: (e) => isAnnouncement(e['announcement']),
  worker: (e) => isWorker(e['worker']),
};

/** One text frame → an envelope, or null when it is not one this panel understands. */
export function parseEnvelope(text: string): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value['v'] !== ENVELOPE_VERSION || typeof value['seq'] !== 'number') return null;
  const type = value['type'];
  if (typeof type !== 'string' || !Object.hasOwn(CHECKS, type)) return null;
  if (!CHECKS[type as EnvelopeType](value)) return null;
  if (type === 'snapshot' && value['announcements'] === undefined) value['announcements'] = [];
  if (type === 'hello') value['resumed'] = value['resumed'] === true;
  return value as unknown as Envelope;
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

/** ComfyUI names preview formats either as MIME types or as JPEG/PNG. */
export function previewMime(imageType: string | null | undefined): string {
  if (!imageType) return 'image/jpeg';
  if (imageType.includes('/')) return imageType.toLowerCase();
  const lower = imageType.toLowerCase();
  return lower === 'png' ? 'image/png' : lower === 'webp' ? 'image/webp' : 'image/jpeg';
}

/** One binary frame → a preview, or null when the frame is truncated or not a preview. */
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
  const typed = header as unknown as PreviewHeader;
  return { header: typed, mime: previewMime(typed.image_type), bytes: new Uint8Array(buffer, 4 + headerLength) };
}
