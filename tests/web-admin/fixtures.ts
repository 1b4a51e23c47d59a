/** Small builders for the admin panel's unit tests: jobs, queue views and envelopes as the API sends them. */
import type { Job, QueueView, Worker } from '../../web-admin/src/api-types.ts';
import type { Envelope } from '../../web-admin/src/envelope.ts';
import { wireJob, wireQueue } from '../helpers/wire.ts';

/** A job with no position or ETA yet, titled by its number. */
export function job(overrides: Partial<Job> = {}): Job {
  return wireJob(overrides, (n) => ({ title: `workflow ${n}`, position: null, eta: null, eta_start: null }));
}

export function queueOf(jobs: readonly Job[], overrides: Partial<QueueView> = {}): QueueView {
  return wireQueue({
    depth: jobs.length,
    entries: jobs.map((j, i) => ({ position: i + 1, id: j.id, seat: j.seat, mine: false, eta: 10 * (i + 1), eta_start: 10 * i })),
    ...overrides,
  });
}

export function worker(overrides: Partial<Worker> = {}): Worker {
  return {
    id: 'w1',
    url: 'http://127.0.0.1:8188',
    provider: 'local',
    state: 'ready',
    current_job: null,
    progress: null,
    last_preview_url: null,
    health: [],
    system: null,
    ...overrides,
  };
}

let seq = 0;
type EnvelopeBody = Envelope extends infer E ? (E extends Envelope ? Omit<E, 'v' | 'seq'> : never) : never;

/** An envelope with the next sequence number. */
export function envelope(body: EnvelopeBody): Envelope {
  seq += 1;
  return { v: 1, seq, ...body } as Envelope;
}
