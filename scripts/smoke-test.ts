#!/usr/bin/env node
/**
 * A smoke test of a running deployment: as the instructor, queue a few tiny jobs
 * made of core ComfyUI nodes, wait for them, and report where each ran and what
 * it produced. Proves the whole path (queue, dispatch, worker, output copy)
 * without a browser; exits 1 when anything fails.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const PASSWORD_ENV = 'COMFY_MULTI_ADMIN_PASSWORD';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

const HELP = `usage: node scripts/smoke-test.ts --url URL [--seat SEAT]... [--jobs N] [--no-wait] [--timeout S]

Queues N tiny jobs per seat (an empty 512x512 image saved by SaveImage: core ComfyUI nodes,
no model needed) as the instructor, waits until they finish and prints, per job, the worker,
the wait, the run time and the output file. Exits 1 when a job fails or does not finish in time.
The admin password comes from ${PASSWORD_ENV}.

  --url URL      the server, e.g. https://gpu.example.org
  --seat SEAT    queue for this seat (repeat for several; default: the first seat). The jobs and
                 their images are the seat's own: they show in its My queue and its outputs.
  --jobs N       jobs per seat (default 1)
  --no-wait      only queue them (with dispatch paused, to rehearse reordering)
  --timeout S    how long to wait for all jobs (default 300)
`;

interface JobView {
  id: string;
  seat: string;
  state: string;
  worker: string | null;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: { message: string } | null;
  outputs: { url: string }[];
}

/** The tiny prompt: core nodes only, a random colour so ComfyUI's cache never skips the run. */
export function smokePrompt(color: number): Record<string, unknown> {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 512, height: 512, batch_size: 1, color } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'smoke-test' } },
  };
}

class Api {
  readonly #origin: string;
  #cookie = '';

  constructor(url: string) {
    this.#origin = url.replace(/\/+$/, '');
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.#origin + path, {
        method,
        headers: { cookie: this.#cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach ${this.#origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const answer = (await response.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}${answer?.error?.message ? `: ${answer.error.message}` : ''}`);
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) this.#cookie = cookies.map((c) => c.split(';')[0]!).join('; ');
    return answer as T;
  }
}

const seconds = (from: string | null, to: string | null): string =>
  from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)}s` : '-';

function describe(job: JobView): string {
  const place = job.worker ? `on ${job.worker}` : '';
  const detail = job.state === 'succeeded' ? (job.outputs[0]?.url ?? 'no output') : (job.error?.message ?? '');
  return `${job.seat.padEnd(8)} ${job.state.padEnd(9)} ${place.padEnd(10)} waited ${seconds(job.queued_at, job.started_at).padStart(6)}  ran ${seconds(job.started_at, job.finished_at).padStart(6)}  ${detail}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      seat: { type: 'string', multiple: true },
      jobs: { type: 'string' },
      'no-wait': { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.url) throw new Error(`--url is required\n\n${HELP}`);
  const perSeat = Number(values.jobs ?? 1);
  const timeoutS = Number(values.timeout ?? 300);
  if (!Number.isInteger(perSeat) || perSeat < 1) throw new Error(`--jobs must be a whole number >= 1, not "${values.jobs}"`);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new Error(`--timeout must be seconds > 0, not "${values.timeout}"`);
  const password = process.env[PASSWORD_ENV];
  if (!password) throw new Error(`set ${PASSWORD_ENV} to the admin password first`);

  const api = new Api(values.url);
  await api.call('POST', '/api/v1/admin/session', { password });
  let seats = values.seat ?? [];
  if (seats.length === 0) {
    const first = (await api.call<{ seats: { seat: string }[] }>('GET', '/api/v1/admin/seats')).seats[0]?.seat;
    if (!first) throw new Error('the server has no seats');
    seats = [first];
  }
  // Round by round, so the queue shows the seats interleaved the way participants would fill it.
  const ids: string[] = [];
  for (let round = 0; round < perSeat; round++) {
    for (const seat of seats) {
      const body = { seat, title: 'smoke test', prompt: smokePrompt(Math.floor(Math.random() * 0xffffff)) };
      const job = await api.call<JobView & { position: number | null }>('POST', '/api/v1/jobs', body);
      ids.push(job.id);
      process.stdout.write(`queued   ${seat.padEnd(8)} ${job.id}${job.position === null ? '' : ` at position ${job.position}`}\n`);
    }
  }
  if (values['no-wait']) return 0;

  const deadline = Date.now() + timeoutS * 1000;
  const done = new Map<string, JobView>();
  while (done.size < ids.length) {
    for (const id of ids.filter((candidate) => !done.has(candidate))) {
      const job = await api.call<JobView>('GET', `/api/v1/jobs/${id}`);
      if (!TERMINAL.has(job.state)) continue;
      done.set(id, job);
      process.stdout.write(`${describe(job)}\n`);
    }
    if (done.size === ids.length) break;
    if (Date.now() > deadline) {
      process.stdout.write(`${ids.length - done.size} job(s) did not finish within ${timeoutS} s: are the workers up and dispatch running?\n`);
      return 1;
    }
    await sleep(250);
  }
  const failed = [...done.values()].filter((job) => job.state !== 'succeeded').length;
  process.stdout.write(failed === 0 ? `all ${ids.length} job(s) succeeded\n` : `${failed} of ${ids.length} job(s) did not succeed\n`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`smoke-test: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
