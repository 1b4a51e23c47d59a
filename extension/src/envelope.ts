/**
 * Decoding what the comfy-multi server sends: the runtime config, the versioned
 * JSON envelopes of /api/v1/events and its binary preview frames. Anything
 * malformed or of a type this extension does not know is dropped (null), so a
 * newer server can add envelope types without breaking an older extension.
 */
import type { Envelope, Job, PreviewFrame, QueueView, RuntimeConfig } from './contract.ts';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isJob = (value: unknown): value is Job =>
  isObject(value) &&
  typeof value['id'] === 'string' &&
  typeof value['state'] === 'string' &&
  typeof value['queued_at'] === 'string' &&
  Array.isArray(value['outputs']);

const isQueue = (value: unknown): value is QueueView =>
  isObject(value) && typeof value['depth'] === 'number' && Array.isArray(value['entries']);

const isAnnouncement = (value: unknown): boolean => isObject(value) && typeof value['id'] === 'string' && typeof value['text'] === 'string';

/** Just deep enough that the code reading an envelope never meets a missing field. */
const CHECKS: Record<Envelope['type'], (e: Record<string, unknown>) => boolean> = {
  hello: (e) => typeof e['stream'] === 'string',
  snapshot: (e) => Array.isArray(e['jobs']) && e['jobs'].every(isJob),
  comfy: (e) => typeof e['job_id'] === 'string' && typeof e['event'] === 'string' && isObject(e['data']),
  job: (e) => isJob(e['job']),
  queue: (e) => isQueue(e['queue']),
  announcement: (e) => isAnnouncement(e['announcement']),
};

export function parseEnvelope(text: string): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value['v'] !== 1 || typeof value['seq'] !== 'number') return null;
  const type = value['type'];
  if (typeof type !== 'string' || !Object.hasOwn(CHECKS, type)) return null;
  if (!CHECKS[type as Envelope['type']](value)) return null;
  if (type === 'hello') value['resumed'] = value['resumed'] === true;
  if (type === 'snapshot') {
    value['queue'] = isQueue(value['queue']) ? value['queue'] : null;
    value['announcements'] = Array.isArray(value['announcements']) ? value['announcements'].filter(isAnnouncement) : [];
  }
  return value as unknown as Envelope;
}

/** ComfyUI names preview formats as MIME types or as JPEG/PNG. */
export function previewMime(imageType: unknown): string {
  if (typeof imageType !== 'string' || imageType === '') return 'image/jpeg';
  const lower = imageType.toLowerCase();
  if (lower.includes('/')) return lower;
  return lower === 'png' ? 'image/png' : lower === 'webp' ? 'image/webp' : 'image/jpeg';
}

const idOrNull = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** `u32 BE header length` + header JSON + image bytes → a preview, or null if truncated or foreign. */
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
  return {
    jobId: header['job_id'],
    nodeId: idOrNull(header['node_id']),
    displayNodeId: idOrNull(header['display_node_id']) ?? idOrNull(header['node_id']),
    parentNodeId: idOrNull(header['parent_node_id']),
    realNodeId: idOrNull(header['real_node_id']) ?? idOrNull(header['node_id']),
    mime: previewMime(header['image_type']),
    bytes: new Uint8Array(buffer, 4 + headerLength),
  };
}

/** The gateway's config.json; null when it is not a comfy-multi config this extension can use. */
export function parseConfig(value: unknown): RuntimeConfig | null {
  if (!isObject(value) || value['version'] !== 1) return null;
  const { api_base: apiBase, events_url: eventsUrl, seat, name } = value;
  if (typeof apiBase !== 'string' || !apiBase.startsWith('/')) return null;
  if (typeof eventsUrl !== 'string' || !eventsUrl.startsWith('/')) return null;
  if (typeof seat !== 'string' || seat === '') return null;
  return {
    api_base: apiBase.replace(/\/+$/, ''),
    events_url: eventsUrl,
    seat,
    name: typeof name === 'string' && name !== '' ? name : seat,
    version: 1,
  };
}
