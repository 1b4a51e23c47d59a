/**
 * The worker pool: keeps every ready worker busy with the queue's next job,
 * relays the workers' events per job, copies outputs into the seats' stores and
 * validates submissions against what the workers can run.
 */
import { randomUUID } from 'node:crypto';
import { QueueError } from '../errors.ts';
import type { OutputStore } from '../outputs/output-store.ts';
import type { InferenceProvider, WorkerEndpoint } from '../providers/provider.ts';
import type { Queue } from '../queue.ts';
import { TypedEmitter } from '../typed-emitter.ts';
import { ComfyWorkerSlot, DEFAULT_TIMING, type PoolTiming } from './comfy-worker-slot.ts';
import type { InputStager } from './input-stager.ts';
import { LocalLeases, type WorkerLeases } from './leases.ts';
import type { NodeInfoMap } from './object-info.ts';
import { validateAgainstObjectInfo } from './prompt-validator.ts';
import { RemoteJobSlot } from './remote-job-slot.ts';
import type { PoolEvents, WorkerView } from './types.ts';
import type { WorkerSlot } from './worker-slot.ts';

export interface WorkerPoolOptions {
  queue: Queue;
  provider: InferenceProvider;
  outputs: OutputStore;
  inputs: InputStager;
  /** Shared leases (Redis) when several processes drive one set of workers; default in-process. */
  leases?: WorkerLeases;
  /** This process's name in leases and worker views; default a fresh id. */
  owner?: string;
  /** Keep one job waiting in each worker's own queue so it never idles between jobs; default true. */
  preSubmit?: boolean;
  /** Run a tiny prompt before trusting a worker that joined or recovered; default true. */
  canary?: boolean;
  /** Preview method forced on prompts that do not choose one (workers default to none); default 'auto'. */
  previewMethod?: 'auto' | 'latent2rgb' | 'taesd' | 'none';
  /** Reject submissions the workers cannot run (unknown nodes, missing models, missing inputs); default true. */
  validate?: boolean;
  timing?: Partial<PoolTiming>;
  /** How often to look for new jobs even without a local event (other processes' submissions); default 1 s. */
  pollMs?: number;
  /** How often to ask the provider for new workers; default 30 s. */
  refreshMs?: number;
}

export async function createWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const pool = new WorkerPool(options);
  await pool.start();
  return pool;
}

export class WorkerPool {
  readonly events = new TypedEmitter<PoolEvents>((error, where) => {
    if (where !== 'error') this.events.emit('error', { error, where: String(where) });
  });
  readonly owner: string;
  readonly #options: WorkerPoolOptions;
  readonly #slots = new Map<string, WorkerSlot>();
  readonly #leases: WorkerLeases;
  readonly #timing: PoolTiming;
  readonly #off: (() => void)[] = [];
  #poll: NodeJS.Timeout | null = null;
  #refresh: NodeJS.Timeout | null = null;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.owner = options.owner ?? `pool-${randomUUID().slice(0, 8)}`;
    this.#leases = options.leases ?? new LocalLeases();
    this.#timing = { ...DEFAULT_TIMING, ...options.timing };
  }

  async start(): Promise<void> {
    const { queue } = this.#options;
    for (const endpoint of await this.#options.provider.listWorkers()) this.#addSlot(endpoint);
    this.#off.push(
      queue.events.on('job.queued', () => this.#wakeAll()),
      queue.events.on('job.state', ({ job }) => {
        if (job.state === 'queued') this.#wakeAll();
      }),
      queue.events.on('settings.changed', () => this.#wakeAll()),
      queue.events.on('job.cancel_requested', ({ job }) => {
        const slot = job.worker ? this.#slots.get(job.worker) : undefined;
        slot?.cancel(job).catch((error: unknown) => this.events.emit('error', { error, where: `cancelling ${job.id}` }));
      }),
      queue.events.on('queue.changed', (snapshot) => {
        const pinned = snapshot.queued[0]?.pinned ?? false;
        for (const slot of this.#slots.values()) void slot.reconsiderPreSubmitted(pinned);
      }),
      this.events.on('worker.changed', () => queue.setReadyWorkers(this.readyCount())),
    );
    if (this.#options.validate ?? true) queue.addValidator((prompt, seat) => this.#validate(prompt, seat));
    for (const slot of this.#slots.values()) slot.start();
    this.#poll = setInterval(() => this.#wakeAll(), this.#options.pollMs ?? 1_000);
    this.#refresh = setInterval(() => void this.refreshWorkers(), this.#options.refreshMs ?? 30_000);
  }

  /** Asks the provider for its workers again; new ones (e.g. a cloud instance that came up) join the pool. */
  async refreshWorkers(): Promise<WorkerView[]> {
    try {
      for (const endpoint of await this.#options.provider.listWorkers()) {
        if (!this.#slots.has(endpoint.id)) this.#addSlot(endpoint).start();
      }
    } catch (error) {
      this.events.emit('error', { error, where: `listing ${this.#options.provider.name} workers` });
    }
    return this.workers();
  }

  #addSlot(endpoint: WorkerEndpoint): WorkerSlot {
    const { queue, provider } = this.#options;
    const deps = { queue, outputs: this.#options.outputs, inputs: this.#options.inputs, events: this.events, owner: this.owner };
    let slot: WorkerSlot;
    if (endpoint.transport === 'job-api') {
      if (!provider.executeJob) {
        throw new QueueError('invalid_request', `provider ${provider.name} offers job-api worker ${endpoint.id} but cannot execute jobs`);
      }
      slot = new RemoteJobSlot(endpoint, provider, deps);
    } else {
      slot = new ComfyWorkerSlot(endpoint, {
        ...deps,
        leases: this.#leases,
        provider: provider.name,
        timing: this.#timing,
        preSubmit: this.#options.preSubmit ?? true,
        canary: this.#options.canary ?? true,
        previewMethod: this.#options.previewMethod ?? 'auto',
      });
    }
    this.#slots.set(endpoint.id, slot);
    return slot;
  }

  async stop(): Promise<void> {
    if (this.#poll) clearInterval(this.#poll);
    if (this.#refresh) clearInterval(this.#refresh);
    for (const off of this.#off) off();
    await Promise.all([...this.#slots.values()].map((slot) => slot.stop()));
  }

  workers(): WorkerView[] {
    return [...this.#slots.values()].map((slot) => slot.view());
  }

  worker(id: string): WorkerView {
    return this.#slot(id).view();
  }

  readyCount(): number {
    return [...this.#slots.values()].filter((slot) => slot.state === 'ready' || slot.state === 'busy').length;
  }

  async drain(id: string): Promise<WorkerView> {
    const slot = this.#slot(id);
    slot.drain();
    return slot.view();
  }

  async enable(id: string): Promise<WorkerView> {
    const slot = this.#slot(id);
    slot.enable();
    return slot.view();
  }

  /** Node definitions of a ready worker (all workers are expected to match), or null when none is up. */
  async objectInfo(): Promise<NodeInfoMap | null> {
    for (const slot of this.#slots.values()) {
      if (!(slot instanceof ComfyWorkerSlot) || slot.state === 'down' || slot.state === 'starting') continue;
      try {
        return await slot.client.objectInfo();
      } catch {
        // try the next worker
      }
    }
    return null;
  }

  #slot(id: string): WorkerSlot {
    const slot = this.#slots.get(id);
    if (!slot) throw new QueueError('not_found', `worker ${id} is not part of this pool`, { field: 'id' });
    return slot;
  }

  #wakeAll(): void {
    for (const slot of this.#slots.values()) slot.wake();
  }

  async #validate(prompt: Parameters<typeof validateAgainstObjectInfo>[0], seat: string): Promise<void> {
    const info = await this.objectInfo();
    if (info) validateAgainstObjectInfo(prompt, info);
    await this.#options.inputs.check(prompt, seat, info);
  }
}
