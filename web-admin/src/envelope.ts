/**
 * Reading the /api/v1/events stream: text frames are versioned JSON envelopes,
 * binary frames are previews (u32 BE header length + header JSON + image bytes).
 * Anything malformed or of an unknown type is dropped rather than trusted, so a
 * newer server cannot break an older panel.
 */
import {
  decodeEnvelope,
  type Envelope,
  type EnvelopeChecks,
  type EnvelopeType,
  isAnnouncement,
  isComfyEnvelope,
  isObject,
} from '../../lib/protocol/envelope.ts';
import type { Job, QueueView, Worker } from './api-types.ts';

export type { Envelope, EnvelopeType, PreviewFrame, PreviewHeader } from '../../lib/protocol/envelope.ts';
export { ENVELOPE_VERSION, parsePreviewFrame, previewMime } from '../../lib/protocol/envelope.ts';

const isJob = (value: unknown): value is Job =>
  isObject(value) && typeof value['id'] === 'string' && typeof value['state'] === 'string';

const isQueue = (value: unknown): value is QueueView =>
  isObject(value) && Array.isArray(value['entries']) && isObject(value['paused']);

const isWorker = (value: unknown): value is Worker =>
  isObject(value) && typeof value['id'] === 'string' && typeof value['state'] === 'string';

/** Which fields each envelope type must carry, checked just deep enough for the reducer to be safe. */
const CHECKS: EnvelopeChecks<EnvelopeType> = {
  hello: (e) => typeof e['stream'] === 'string' && typeof e['role'] === 'string',
  snapshot: (e) =>
    Array.isArray(e['jobs']) &&
    e['jobs'].every(isJob) &&
    isQueue(e['queue']) &&
    (e['announcements'] === undefined ||
      (Array.isArray(e['announcements']) && e['announcements'].every(isAnnouncement))),
  comfy: isComfyEnvelope,
  job: (e) => isJob(e['job']),
  queue: (e) => isQueue(e['queue']),
  announcement: (e) => isAnnouncement(e['announcement']),
  worker: (e) => isWorker(e['worker']),
};

/** One text frame → an envelope, or null when it is not one this panel understands. */
export function parseEnvelope(text: string): Envelope | null {
  const value = decodeEnvelope(text, CHECKS);
  if (value === null) return null;
  if (value.type === 'snapshot' && value['announcements'] === undefined) value['announcements'] = [];
  return value as unknown as Envelope;
}
