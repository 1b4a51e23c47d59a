/**
 * Drives one ComfyUI worker: holds its lease, watches its health, claims the
 * next job the moment it is free (optionally one ahead, in ComfyUI's own queue),
 * and hands jobs back to the queue when the worker dies or stalls.
 */
import { randomUUID } from 'node:crypto';
import { ComfyWorkerClient } from '../comfy/comfy-worker-client.ts';
import type { Job } from '../job.ts';
import type { WorkerEndpoint } from '../providers/provider.ts';
import { JobRun } from './job-run.ts';
import type { WorkerLeases } from './leases.ts';
import type { HealthSample, WorkerState, WorkerSystem, WorkerView } from './types.ts';
import type { WorkerPoolDeps, WorkerSlot } from './worker-slot.ts';

export interface PoolTiming {
  /** Liveness probe (GET /system_stats) and lease renewal interval. */
  healthIntervalMs: number;
  /** A worker failing probes for this long is down: its jobs go back to the queue. */
  downAfterMs: number;
  /** A running job with no event from its worker for this long is stalled: interrupted and requeued. */
  stallTimeoutMs: number;
  /** Longest a job may run at all. */
  jobTimeoutMs: number;
  leaseTtlMs: number;
  canaryTimeoutMs: number;
}

export const DEFAULT_TIMING: PoolTiming = {
  healthIntervalMs: 2_000,
  downAfterMs: 6_000,
  stallTimeoutMs: 10 * 60_000,
  jobTimeoutMs: 2 * 60 * 60_000,
  leaseTtlMs: 6_000,
  canaryTimeoutMs: 60_000,
};

export interface SlotDeps extends WorkerPoolDeps {
  leases: WorkerLeases;
  provider: string;
  timing: PoolTiming;
  preSubmit: boolean;
  canary: boolean;
  previewMethod: string;
}

const HEALTH_HISTORY = 60;

export class ComfyWorkerSlot implements WorkerSlot {
  readonly endpoint: WorkerEndpoint;
  readonly client: ComfyWorkerClient;
  readonly #deps: SlotDeps;
  readonly #runs = new Map<string, JobRun>();
  readonly #health: HealthSample[] = [];
  #state: WorkerState = 'starting';
  #system: WorkerSystem | null = null;
  #draining = false;
  #leased = false;
  #failingSince: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #pumping = false;
  #pumpAgain = false;
  #stopped = false;
  #checking = false;
  #jobsDone = 0;
  #busyMs = 0;
  #busySince: number | null = null;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(endpoint: WorkerEndpoint, deps: SlotDeps) {
    this.endpoint = endpoint;
    this.#deps = deps;
    this.client = new ComfyWorkerClient({ url: endpoint.url, ...(endpoint.headers ? { headers: endpoint.headers } : {}) });
    this.#unsubscribe.push(
      this.client.on('message', (message) => this.#runs.get(message.promptId)?.onMessage(message)),
      this.client.on('preview', (preview) => this.#runs.get(preview.promptId)?.onPreview(preview)),
      this.client.on('error', ({ error, context }) => deps.events.emit('error', { error, where: `${endpoint.id}: ${context}` })),
    );
  }

  get id(): string {
    return this.endpoint.id;
  }

  get state(): WorkerState {
    return this.#state;
  }

  get canDispatch(): boolean {
    return this.#leased && (this.#state === 'ready' || this.#state === 'busy');
  }

  view(): WorkerView {
    const current = [...this.#runs.values()].find((run) => run.started) ?? [...this.#runs.values()][0] ?? null;
    return {
      id: this.id,
      url: this.endpoint.url,
      provider: this.#deps.provider,
      state: this.#state,
      currentJob: current?.id ?? null,
      currentSeat: current?.job.seat ?? null,
      progress: current?.progress ?? null,
      owner: this.#leased ? this.#deps.owner : null,
      health: [...this.#health],
      system: this.#system,
      jobsDone: this.#jobsDone,
      busyMs: this.#busyMs + (this.#busySince === null ? 0 : Date.now() - this.#busySince),
    };
  }

  start(): void {
    void this.#check();
    this.#timer = setInterval(() => void this.#check(), this.#deps.timing.healthIntervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const off of this.#unsubscribe) off();
    // Jobs keep running on the worker; whoever drives it next reconciles them.
    for (const run of this.#runs.values()) run.abandon('abandoned');
    await this.client.close().catch(() => undefined);
    if (this.#leased) await this.#deps.leases.release(this.id, this.#deps.owner).catch(() => undefined);
  }

  /** Finish what runs, take nothing new. */
  drain(): void {
    this.#draining = true;
    this.#setState(this.#runs.size > 0 ? 'draining' : 'disabled');
    // A job waiting in the worker's own queue has not started: it goes back to ours.
    void this.#releaseWaiting().catch((error: unknown) => this.#deps.events.emit('error', { error, where: `${this.id}: draining` }));
  }

  enable(): void {
    this.#draining = false;
    this.#setState('starting');
    void this.#check();
  }

  /** A job may be waiting: claim it if this worker can take one. */
  wake(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    void this.#pump();
  }

  /** The instructor or the seat cancelled a job this worker has. */
  async cancel(job: Job): Promise<void> {
    const run = this.#runs.get(job.id);
    if (!run) return;
    if (!run.submitted) return; // the run checks cancelRequested itself before submitting
    if (!run.started && (await this.client.cancelPending(job.id).catch(() => false))) {
      run.abandon('abandoned');
      await this.#deps.queue.markCancelled(job.id);
      return;
    }
    await this.client.interrupt(job.id);
  }

  /** The queue order changed: a job waiting in ComfyUI's own queue goes back if it no longer runs next. */
  async reconsiderPreSubmitted(firstQueuedIsPinned: boolean): Promise<void> {
    if (firstQueuedIsPinned) await this.#releaseWaiting();
  }

  /** Takes back jobs pre-submitted behind another one in the worker's own queue. */
  async #releaseWaiting(): Promise<void> {
    for (const run of [...this.#runs.values()]) {
      if (run.started || !run.submitted || run.workerFree || this.#onWorker() < 2) continue;
      if (await this.client.cancelPending(run.id).catch(() => false)) {
        run.abandon('released');
        await this.#deps.queue.release(run.id);
      }
    }
  }

  #setState(state: WorkerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#emit();
  }

  #emit(): void {
    this.#deps.events.emit('worker.changed', this.view());
  }

  /** Runs the worker itself still holds (running or waiting in its queue), not the ones being settled. */
  #onWorker(): number {
    let count = 0;
    for (const run of this.#runs.values()) if (!run.workerFree) count++;
    return count;
  }

  #capacity(): number {
    return this.#deps.preSubmit ? 2 : 1;
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        while (!this.#stopped && !this.#draining && this.canDispatch && this.#onWorker() < this.#capacity()) {
          const job = await this.#deps.queue.claimNext(this.id);
          if (!job) break;
          this.#launch(job, false);
        }
      } while (this.#pumpAgain);
    } catch (error) {
      this.#deps.events.emit('error', { error, where: `${this.id}: claiming` });
    } finally {
      this.#pumping = false;
    }
  }

  #launch(job: Job, adopted: boolean): void {
    if (this.#stopped) return; // a check that was under way when the pool stopped: whoever drives next reconciles
    // A fresh claim of a job whose previous attempt is still being settled here (requeued after the
    // worker forgot it) gives way to the new attempt; a run is never doubled otherwise.
    const existing = this.#runs.get(job.id);
    if (existing && (adopted || !existing.workerFree)) return;
    const run = new JobRun(job, {
      worker: this.id,
      client: this.client,
      queue: this.#deps.queue,
      outputs: this.#deps.outputs,
      inputs: this.#deps.inputs,
      events: this.#deps.events,
      previewMethod: this.#deps.previewMethod,
      jobTimeoutMs: this.#deps.timing.jobTimeoutMs,
      onWorkerFree: () => this.wake(),
    });
    this.#runs.set(job.id, run);
    if (this.#busySince === null) this.#busySince = Date.now();
    if (this.#state === 'ready') this.#setState('busy');
    else this.#emit();
    void run.run(adopted).finally(() => {
      // A requeued job may already run again here under the same id: only this run's own entry goes.
      if (this.#runs.get(job.id) === run) this.#runs.delete(job.id);
      if (run.ended === 'settled') this.#jobsDone += 1;
      if (this.#runs.size === 0 && this.#busySince !== null) {
        this.#busyMs += Date.now() - this.#busySince;
        this.#busySince = null;
      }
      if (this.#state === 'busy' && this.#runs.size === 0) this.#setState('ready');
      else if (this.#state === 'draining' && this.#runs.size === 0) this.#setState('disabled');
      else this.#emit();
      this.wake();
    });
  }

  /** Periodic: lease, liveness, readiness, stalls. */
  async #check(): Promise<void> {
    if (this.#checking || this.#stopped) return;
    this.#checking = true;
    try {
      const { leases, owner, timing } = this.#deps;
      const held = await leases.acquire(this.id, owner, timing.leaseTtlMs).catch(() => false);
      if (held && !this.#leased) {
        this.#leased = true;
        await this.#reconcile();
      } else if (!held && this.#leased) {
        // Someone else drives this worker now: let go of our runs without touching the jobs.
        this.#leased = false;
        for (const run of this.#runs.values()) run.abandon('abandoned');
      }
      if (!this.#leased) {
        this.#emit();
        return;
      }
      const ok = await this.#probe();
      if (!ok) {
        const now = Date.now();
        this.#failingSince ??= now;
        if (now - this.#failingSince >= timing.downAfterMs && this.#state !== 'down') await this.#markDown('stopped answering');
        return;
      }
      this.#failingSince = null;
      if (this.#state === 'down' || this.#state === 'starting') {
        if (await this.#ready()) this.#setState(this.#draining ? 'disabled' : this.#runs.size > 0 ? 'busy' : 'ready');
      }
      await this.#checkStalls();
      // A claim whose reply was lost (e.g. a dropped Redis connection) leaves a job marked as ours
      // that nothing drives; adopting it settles it from the worker or requeues it.
      if (!this.#pumping) await this.#reconcile();
      this.wake();
    } catch (error) {
      this.#deps.events.emit('error', { error, where: `${this.id}: health check` });
    } finally {
      this.#checking = false;
    }
  }

  async #probe(): Promise<boolean> {
    const started = Date.now();
    try {
      const stats = await this.client.systemStats();
      const device = stats.devices[0];
      this.#system = {
        device: device?.name ?? 'unknown',
        vramTotal: device?.vram_total ?? 0,
        vramFree: device?.vram_free ?? 0,
        ramTotal: stats.system.ram_total ?? 0,
        ramFree: stats.system.ram_free ?? 0,
        comfyuiVersion: stats.system.comfyui_version ?? null,
      };
      this.#record({ at: started, ok: true, ms: Date.now() - started });
      return true;
    } catch (error) {
      this.#record({ at: started, ok: false, ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  #record(sample: HealthSample): void {
    this.#health.push(sample);
    if (this.#health.length > HEALTH_HISTORY) this.#health.shift();
    this.#emit();
  }

  /** Readiness: the socket is up and, if enabled, a tiny canary prompt runs. */
  async #ready(): Promise<boolean> {
    try {
      await this.client.connect();
      if (!this.#deps.canary) return true;
      const info = await this.client.objectInfo(true);
      if (!info['EmptyImage'] || !info['PreviewImage']) return true; // nothing cheap to run: liveness must do
      const id = randomUUID();
      const color = Math.floor(Math.random() * 0xffffff);
      await this.client.submit(
        {
          '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color } },
          '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
        },
        { promptId: id },
      );
      const result = await this.client.waitForTerminal(id, { timeoutMs: this.#deps.timing.canaryTimeoutMs });
      return result.status === 'success';
    } catch {
      return false;
    }
  }

  /** The worker is gone: every job it had goes back to the queue (or fails after its last attempt). */
  async #markDown(reason: string): Promise<void> {
    this.#setState('down');
    for (const run of [...this.#runs.values()]) {
      run.abandon('abandoned');
      await this.#deps.queue.requeue(run.id, `worker ${this.id} ${reason}`);
    }
  }

  async #checkStalls(): Promise<void> {
    const now = Date.now();
    for (const run of this.#runs.values()) {
      if (!run.started || now - run.lastEventAt < this.#deps.timing.stallTimeoutMs) continue;
      await this.client.interrupt(run.id).catch(() => undefined);
      run.abandon('abandoned');
      await this.#deps.queue.requeue(run.id, `worker ${this.id} stalled (no progress for ${Math.round((now - run.lastEventAt) / 1000)} s)`);
      this.#setState('starting'); // re-check readiness before trusting it again
    }
  }

  /** We just took this worker over (start-up or a dead holder): settle the jobs it had. */
  async #reconcile(): Promise<void> {
    const unfinished = await this.#deps.queue.unfinished();
    if (this.#pumping) return; // a claim may be between the store and #runs: look again next time
    for (const job of unfinished) if (job.worker === this.id) this.#launch(job, true);
  }
}
