/**
 * Decoding what the comfy-multi server sends: the runtime config, the versioned
 * JSON envelopes of /api/v1/events and its binary preview frames. Anything
 * malformed or of a type this extension does not know is dropped (null), so a
 * newer server can add envelope types without breaking an older extension.
 */
import {
  decodeEnvelope,
  type EnvelopeChecks,
  isAnnouncement,
  isComfyEnvelope,
  isObject,
  parsePreviewFrame as parseWirePreviewFrame,
} from '../../lib/protocol/envelope.ts';
import type { Envelope, Job, PreviewFrame, QueueView, RuntimeConfig } from './contract.ts';

export { previewMime } from '../../lib/protocol/envelope.ts';

const isJob = (value: unknown): value is Job =>
  isObject(value) &&
  typeof value['id'] === 'string' &&
  typeof value['state'] === 'string' &&
  typeof value['queued_at'] === 'string' &&
  Array.isArray(value['outputs']);

const isQueue = (value: unknown): value is QueueView =>
  isObject(value) && typeof value['depth'] === 'number' && Array.isArray(value['entries']);

/** Just deep enough that the code reading an envelope never meets a missing field. */
const CHECKS: EnvelopeChecks<Envelope['type']> = {
  hello: (e) => typeof e['stream'] === 'string',
  snapshot: (e) => Array.isArray(e['jobs']) && e['jobs'].every(isJob),
  comfy: isComfyEnvelope,
  job: (e) => isJob(e['job']),
  queue: (e) => isQueue(e['queue']),
  announcement: (e) => isAnnouncement(e['announcement']),
};

export function parseEnvelope(text: string): Envelope | null {
  const value = decodeEnvelope(text, CHECKS);
  if (value === null) return null;
  if (value.type === 'snapshot') {
    value['queue'] = isQueue(value['queue']) ? value['queue'] : null;
    value['announcements'] = Array.isArray(value['announcements']) ? value['announcements'].filter(isAnnouncement) : [];
  }
  return value as unknown as Envelope;
}

const idOrNull = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** `u32 BE header length` + header JSON + image bytes → a preview, or null if truncated or foreign. */
export function parsePreviewFrame(buffer: ArrayBuffer): PreviewFrame | null {
  const frame = parseWirePreviewFrame(buffer);
  if (frame === null) return null;
  const { header } = frame;
  return {
    jobId: header.job_id,
    nodeId: idOrNull(header.node_id),
    displayNodeId: idOrNull(header.display_node_id) ?? idOrNull(header.node_id),
    parentNodeId: idOrNull(header.parent_node_id),
    realNodeId: idOrNull(header.real_node_id) ?? idOrNull(header.node_id),
    mime: frame.mime,
    bytes: frame.bytes,
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
