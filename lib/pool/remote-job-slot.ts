/**
 * Drives a `job-api` worker: a provider endpoint that runs a whole prompt per
 * request (RunPod serverless) instead of speaking ComfyUI's socket protocol.
 * Jobs still come from our queue in our order; the participant's UI still gets
 * ComfyUI-shaped events (start, coarse progress, executed, success), made here.
 */
import { Readable } from 'node:stream';
import type { Job, OutputFile } from '../job.ts';
import type { InferenceProvider, RemoteInput, WorkerEndpoint } from '../providers/provider.ts';
import type { WorkerPoolDeps, WorkerSlot } from './worker-slot.ts';
import type { WorkerState, WorkerView } from './types.ts';

export class RemoteJobSlot implements WorkerSlot {
  readonly endpoint: WorkerEndpoint;
  readonly #provider: InferenceProvider;
  readonly #deps: WorkerPoolDeps;
  #state: WorkerState = 'ready';
  #draining = false;
  #current: { job: Job; abort: AbortController; progress: number } | null = null;
  #jobsDone = 0;
  #busyMs = 0;
  #pumping = false;

  constructor(endpoint: WorkerEndpoint, provider: InferenceProvider, deps: WorkerPoolDeps) {
    this.endpoint = endpoint;
    this.#provider = provider;
    this.#deps = deps;
  }

  get id(): string {
    return this.endpoint.id;
  }

  get state(): WorkerState {
    return this.#state;
  }

  view(): WorkerView {
    return {
      id: this.id,
      url: this.endpoint.url,
      provider: this.#provider.name,
      state: this.#state,
      currentJob: this.#current?.job.id ?? null,
      currentSeat: this.#current?.job.seat ?? null,
      progress: this.#current ? { value: Math.round(this.#current.progress * 100), max: 100, node: null } : null,
      owner: this.#deps.owner,
      health: [],
      system: null,
      jobsDone: this.#jobsDone,
      busyMs: this.#busyMs,
    };
  }

  start(): void {
    this.wake();
  }

  async stop(): Promise<void> {
    this.#current?.abort.abort();
  }

  drain(): void {
    this.#draining = true;
    this.#set(this.#current ? 'draining' : 'disabled');
  }

  enable(): void {
    this.#draining = false;
    this.#set(this.#current ? 'busy' : 'ready');
    this.wake();
  }

  async cancel(job: Job): Promise<void> {
    if (this.#current?.job.id === job.id) this.#current.abort.abort();
  }

  async reconsiderPreSubmitted(): Promise<void> {}

  wake(): void {
    if (this.#pumping || this.#current || this.#draining) return;
    this.#pumping = true;
    void this.#deps.queue
      .claimNext(this.id)
      .then((job) => {
        this.#pumping = false;
        if (job) void this.#run(job);
      })
      .catch((error: unknown) => {
        this.#pumping = false;
        this.#deps.events.emit('error', { error, where: `${this.id}: claiming` });
      });
  }

  #set(state: WorkerState): void {
    this.#state = state;
    this.#deps.events.emit('worker.changed', this.view());
  }

  #emit(job: Job, type: string, data: Record<string, unknown>): void {
    this.#deps.events.emit('job.comfy', { job, type, data: { ...data, prompt_id: job.id } });
  }

  async #run(job: Job): Promise<void> {
    const { queue, inputs, outputs } = this.#deps;
    const abort = new AbortController();
    this.#current = { job, abort, progress: 0 };
    this.#set('busy');
    const began = Date.now();
    try {
      // No upload endpoint: the files travel with the request, named as the staged prompt expects.
      const files: RemoteInput[] = [];
      const prompt = await inputs.stage(job.prompt, job.seat, null, async (data, name, subfolder) => {
        const staged = `${subfolder}/${name}`;
        files.push({ name: staged, data });
        return { name, subfolder };
      });
      await queue.markRunning(job.id);
      this.#emit(job, 'execution_start', { timestamp: Date.now() });
      const result = await this.#provider.executeJob!(
        { job, prompt, inputs: files, signal: abort.signal },
        {
          progress: (fraction) => {
            if (!this.#current) return;
            this.#current.progress = fraction;
            this.#emit(job, 'progress', { value: Math.round(fraction * 100), max: 100, node: null });
          },
        },
      );
      if (result.status === 'success') {
        const saved: OutputFile[] = [];
        for (const file of result.files) {
          const ref = outputs.refFor(job.seat, job.id, this.id, file, file.nodeId, file.kind);
          const size = await outputs.write(job.seat, ref, Readable.from([file.data]));
          saved.push({ ...ref, size });
          this.#emit(job, 'executed', { node: file.nodeId, display_node: file.nodeId, output: { [file.kind]: [{ filename: ref.filename, subfolder: ref.subfolder, type: ref.type }] } });
        }
        this.#emit(job, 'execution_success', { timestamp: Date.now() });
        await queue.markSucceeded(job.id, saved);
      } else if (result.status === 'cancelled') {
        if ((await queue.store.get(job.id))?.cancelRequested) {
          this.#emit(job, 'execution_interrupted', { node_id: null, node_type: null, executed: [], timestamp: Date.now() });
          await queue.markCancelled(job.id);
        } else {
          // Nobody asked (we are shutting down, or the provider dropped it): it runs again later.
          await queue.requeue(job.id, `${this.#provider.name} cancelled the run`);
        }
      } else {
        this.#emit(job, 'execution_error', { exception_message: result.message, exception_type: 'ProviderError', traceback: [], timestamp: Date.now() });
        await queue.markFailed(job.id, { code: 'execution_error', message: result.message, details: result.details });
      }
    } catch (error) {
      if (abort.signal.aborted && (await queue.store.get(job.id))?.cancelRequested) await queue.markCancelled(job.id);
      else await queue.requeue(job.id, error instanceof Error ? error.message : String(error));
    } finally {
      this.#busyMs += Date.now() - began;
      this.#jobsDone += 1;
      this.#current = null;
      this.#set(this.#draining ? 'disabled' : 'ready');
      this.wake();
    }
  }
}
