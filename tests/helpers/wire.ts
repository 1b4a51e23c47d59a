/** comfy-multi wire shapes (docs/api.md) for the browser clients' unit tests: jobs, queue views, preview frames. */
import type { Job, QueueView } from '../../lib/protocol/envelope.ts';

let counter = 0;

/**
 * A job as the API sends it, numbered in order of creation. `defaults(n)` lets a
 * suite set its own defaults from the job's number; `overrides` win over both.
 */
export function wireJob(overrides: Partial<Job> = {}, defaults: (n: number) => Partial<Job> = () => ({})): Job {
  counter += 1;
  const id = overrides.id ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return {
    id,
    seat: 'user01',
    title: 'text to image',
    state: 'queued',
    priority: 'normal',
    position: 1,
    eta: 30,
    eta_start: 10,
    attempts: 0,
    queued_at: new Date(Date.UTC(2026, 10, 28, 10, 0, counter)).toISOString(),
    started_at: null,
    finished_at: null,
    worker: null,
    error: null,
    cancel_requested: false,
    outputs: [],
    ...defaults(counter),
    ...overrides,
  };
}

export function wireQueue(overrides: Partial<QueueView> = {}): QueueView {
  return {
    policy: 'round_robin',
    paused: { submissions: false, dispatch: false },
    depth: 0,
    running: 0,
    ready_workers: 1,
    entries: [],
    ...overrides,
  };
}

/** A binary preview frame exactly as docs/api.md describes it: u32 BE header length, header JSON, image. */
export function previewFrame(header: unknown, image: ArrayLike<number>): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const buffer = new ArrayBuffer(4 + json.byteLength + image.length);
  new DataView(buffer).setUint32(0, json.byteLength, false);
  new Uint8Array(buffer, 4).set(json);
  new Uint8Array(buffer, 4 + json.byteLength).set(image);
  return buffer;
}
