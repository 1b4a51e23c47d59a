/** Small builders for the admin panel's unit tests: jobs, queue views and envelopes as the API sends them. */
import type { Job, QueueView, Worker } from '../../web-admin/src/api-types.ts';
import type { Envelope } from '../../web-admin/src/envelope.ts';

let counter = 0;

export function job(overrides: Partial<Job> = {}): Job {
  counter += 1;
  const id = overrides.id ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return {
    id,
    seat: 'user01',
    title: `workflow ${counter}`,
    state: 'queued',
    priority: 'normal',
    position: null,
    eta: null,
    eta_start: null,
    attempts: 0,
    queued_at: new Date(Date.UTC(2026, 10, 28, 10, 0, counter)).toISOString(),
    started_at: null,
    finished_at: null,
    worker: null,
    error: null,
    cancel_requested: false,
    outputs: [],
    ...overrides,
  };
}

export function queueOf(jobs: readonly Job[], overrides: Partial<QueueView> = {}): QueueView {
  return {
    policy: 'round_robin',
    paused: { submissions: false, dispatch: false },
    depth: jobs.length,
    running: 0,
    ready_workers: 1,
    entries: jobs.map((j, i) => ({ position: i + 1, id: j.id, seat: j.seat, mine: false, eta: 10 * (i + 1), eta_start: 10 * i })),
    ...overrides,
  };
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
