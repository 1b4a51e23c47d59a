/**
 * One attempt of one job on one ComfyUI worker: stage inputs, submit with
 * prompt_id = job id, relay the worker's events for it (copying outputs as they
 * are announced), and settle the job in the queue exactly once.
 */
import { Readable } from 'node:stream';
import type { ComfyWorkerClient } from '../comfy/comfy-worker-client.ts';
import type { PromptMessage } from '../comfy/messages.ts';
import type { PreviewEvent } from '../comfy/prompt-tracker.ts';
import type { TerminalResult } from '../comfy/terminal.ts';
import type { Job, OutputFile } from '../job.ts';
import type { OutputStore } from '../outputs/output-store.ts';
import type { Queue } from '../queue.ts';
import type { TypedEmitter } from '../typed-emitter.ts';
import type { InputStager } from './input-stager.ts';
import { copyExecutedOutput } from './output-copier.ts';
import type { PoolEvents } from './types.ts';

export interface JobRunDeps {
  worker: string;
  client: ComfyWorkerClient;
  queue: Queue;
  outputs: OutputStore;
  inputs: InputStager;
  events: TypedEmitter<PoolEvents>;
  /** Forced on every prompt unless the job asks for its own (workers default to none). */
  previewMethod: string;
  jobTimeoutMs: number;
  /** The worker reported the end of this run: it can take the next job while this one is settled. */
  onWorkerFree(): void;
}

export type RunEnd = 'settled' | 'abandoned' | 'released';

export class JobRun {
  readonly job: Job;
  readonly #deps: JobRunDeps;
  readonly #abort = new AbortController();
  /** Events are relayed in order; an `executed` waits for its files to be copied. */
  #chain: Promise<void> = Promise.resolve();
  readonly #files: OutputFile[] = [];
  readonly #copiedNodes = new Set<string>();
  #end: RunEnd | null = null;
  submitted = false;
  started = false;
  /** The worker has finished with this run (its terminal message arrived); settling may still be going on. */
  workerFree = false;
  lastEventAt = Date.now();
  progress: { value: number; max: number; node: string | null } | null = null;

  constructor(job: Job, deps: JobRunDeps) {
    this.job = job;
    this.#deps = deps;
  }

  get id(): string {
    return this.job.id;
  }

  /** Stops waiting for the worker: the job was requeued (worker lost) or pulled back (reorder). */
  abandon(end: Exclude<RunEnd, 'settled'>): void {
    this.#end ??= end;
    this.#abort.abort(new Error(end));
  }

  get ended(): RunEnd | null {
    return this.#end;
  }

  /** Runs the attempt to its end. Never throws: every failure settles or requeues the job. */
  async run(adopted: boolean): Promise<void> {
    const { client, queue } = this.#deps;
    try {
      if (!adopted) {
        const info = await client.objectInfo().catch(() => null);
        const prompt = await this.#deps.inputs.stage(this.job.prompt, this.job.seat, info, (data, name, subfolder) =>
          client.upload(data, name, { subfolder, type: 'input', overwrite: true }),
        );
        if (this.#end) return;
        const fresh = await queue.store.get(this.job.id);
        if (fresh?.cancelRequested) {
          await queue.markCancelled(this.job.id);
          return;
        }
        await client.submit(prompt, {
          promptId: this.job.id,
          extraData: this.#extraData(),
          ...(this.job.options.partial_execution_targets ? { partialExecutionTargets: this.job.options.partial_execution_targets } : {}),
        });
      } else {
        client.adopt(this.job.id);
      }
      this.submitted = true;
      const result = await client.waitForTerminal(this.job.id, { signal: this.#abort.signal, timeoutMs: this.#deps.jobTimeoutMs });
      this.workerFree = true;
      this.#deps.onWorkerFree();
      await this.#chain;
      await this.#settle(result);
    } catch (error) {
      if (this.#end) return;
      await this.#failed(error);
    } finally {
      this.#end ??= 'settled';
    }
  }

  /** A prompt-scoped worker message for this job. */
  onMessage(message: PromptMessage): void {
    this.lastEventAt = Date.now();
    if (message.type === 'execution_start' && !this.started) {
      this.started = true;
      void this.#deps.queue.markRunning(this.job.id);
    }
    if (message.type === 'progress') {
      const data = message.data as { value: number; max: number; node?: string | null };
      this.progress = { value: data.value, max: data.max, node: data.node ?? null };
    }
    const data = { ...(message.data as Record<string, unknown>) };
    this.#enqueue(async () => {
      if (message.type === 'executed') await this.#rewriteExecuted(data);
      this.#deps.events.emit('job.comfy', { job: this.job, type: message.type, data });
    });
  }

  onPreview(preview: PreviewEvent): void {
    this.lastEventAt = Date.now();
    this.#enqueue(async () => {
      this.#deps.events.emit('job.preview', {
        job: this.job,
        image: preview.image,
        meta: {
          nodeId: preview.nodeId,
          displayNodeId: preview.displayNodeId,
          parentNodeId: preview.parentNodeId,
          realNodeId: preview.realNodeId,
          imageType: preview.imageType,
        },
      });
    });
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((error: unknown) => {
      this.#deps.events.emit('error', { error, where: `relaying events of job ${this.job.id}` });
    });
  }

  #extraData(): Record<string, unknown> {
    const requested = this.job.options.preview_method;
    const extra: Record<string, unknown> = {
      preview_method: requested && requested !== 'default' ? requested : this.#deps.previewMethod,
    };
    if (this.job.workflow !== undefined) extra['extra_pnginfo'] = { workflow: this.job.workflow };
    return extra;
  }

  async #copy(nodeId: string, output: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { client, outputs } = this.#deps;
    const copied = await copyExecutedOutput({
      output,
      nodeId,
      seat: this.job.seat,
      jobId: this.job.id,
      worker: this.#deps.worker,
      store: outputs,
      fetchFile: async (file) => {
        const response = await client.view(file, { signal: this.#abort.signal });
        if (!response.body) return Readable.from([]);
        return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
      },
    });
    this.#copiedNodes.add(nodeId);
    this.#files.push(...copied.files);
    return copied.output;
  }

  async #rewriteExecuted(data: Record<string, unknown>): Promise<void> {
    const nodeId = String(data['display_node'] ?? data['node']);
    const output = data['output'];
    if (output && typeof output === 'object') data['output'] = await this.#copy(nodeId, output as Record<string, unknown>);
  }

  /** Is this attempt still the one the queue knows? A requeued job may already run elsewhere. */
  async #current(): Promise<boolean> {
    const job = await this.#deps.queue.store.get(this.job.id);
    return !!job && job.worker === this.#deps.worker && job.attempts === this.job.attempts && (job.state === 'dispatching' || job.state === 'running');
  }

  async #settle(result: TerminalResult): Promise<void> {
    const { queue } = this.#deps;
    // Abandoned meanwhile (released back to the queue, or requeued): the queue owns the job now.
    if (!(await this.#current()) || this.#end) return;
    const id = this.job.id;
    switch (result.status) {
      case 'success': {
        // Outputs announced while our socket was down were learned from history: copy them now.
        for (const [nodeId, output] of Object.entries(result.outputs)) {
          if (this.#copiedNodes.has(nodeId)) continue;
          const rewritten = await this.#copy(nodeId, output as Record<string, unknown>);
          this.#deps.events.emit('job.comfy', { job: this.job, type: 'executed', data: { node: nodeId, display_node: nodeId, output: rewritten, prompt_id: id } });
        }
        await queue.markSucceeded(id, this.#files);
        return;
      }
      case 'error': {
        const error = result.error as { exception_message?: string; exception_type?: string } | null;
        const message = (error?.exception_message ?? 'the workflow failed on the worker').trim();
        await queue.markFailed(id, { code: 'execution_error', message, details: result.error });
        return;
      }
      case 'interrupted': {
        const job = await queue.store.get(id);
        if (job?.cancelRequested) await queue.markCancelled(id);
        else await queue.markFailed(id, { code: 'interrupted', message: 'the run was interrupted on the worker', details: result.error });
        return;
      }
      case 'lost':
        await queue.requeue(id, `worker ${this.#deps.worker} no longer knows the job (it restarted?)`);
        return;
    }
  }

  async #failed(error: unknown): Promise<void> {
    const { queue } = this.#deps;
    if (!(await this.#current().catch(() => false))) return;
    const status = (error as { responseStatus?: number | null }).responseStatus;
    const code = (error as { code?: string }).code;
    if (code === 'input_missing' || code === 'invalid_prompt' || (typeof status === 'number' && status >= 400 && status < 500)) {
      // The worker refused the prompt itself (validation): retrying elsewhere would fail the same way.
      const body = (error as { body?: unknown }).body;
      await queue.markFailed(this.job.id, {
        code: code === 'input_missing' ? 'input_missing' : 'invalid_prompt',
        message: error instanceof Error ? error.message : String(error),
        ...(body === undefined ? {} : { details: body }),
      });
      return;
    }
    await queue.requeue(this.job.id, error instanceof Error ? error.message : String(error));
  }
}
