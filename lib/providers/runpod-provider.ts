/**
 * The `runpod` provider: a RunPod serverless endpoint running the ComfyUI worker
 * image. Each job is one request: POST <api>/<endpoint>/run with `{input}`, then
 * GET …/status/<id> until COMPLETED, FAILED, CANCELLED or TIMED_OUT; POST
 * …/cancel/<id> when our user cancels. Authorization is `Bearer <api key>`.
 *
 * RunPod scales its own workers; we expose `max_concurrent` job-api slots so that
 * our queue, not RunPod's, decides which seat's job goes next.
 */
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { Backoff } from '../comfy/backoff.ts';
import { QueueError } from '../errors.ts';
import type { Prompt } from '../job.ts';
import { parseProviderConfig, type RunpodProviderConfig, RunpodProviderConfigSchema } from './config.ts';
import type { InferenceProvider, ProviderCapacity, RemoteJobHooks, RemoteJobRequest, RemoteJobResult, RemoteOutputFile, WorkerEndpoint } from './provider.ts';
import { describeProviderBody, type ProviderAnswer, ProviderHttp, requireEnv } from './provider-http.ts';
import { decodeBase64, outputItems, soleOutputNode, type WorkerOutputItem, workerInput } from './runpod-worker-io.ts';

const RunSchema = z.object({ id: z.string().min(1) });
const StatusSchema = z.object({ status: z.string(), output: z.unknown().optional(), error: z.unknown().optional() });
const HealthSchema = z.object({ workers: z.object({ idle: z.number().optional(), running: z.number().optional() }).optional() });

/** RunPod refuses /run bodies above 10 MB; input images travel inside the body as base64. */
const RUN_BODY_LIMIT = 10 * 1024 * 1024;
/** Status polls that may fail in a row (network, 5xx, 429) before the job is given back to our queue. */
const MAX_POLL_FAILURES = 5;

export interface RunpodProviderOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Status poll delays: the first, and the ceiling it backs off to; default 500 ms to 3 s. */
  poll?: { initialMs: number; maxMs: number };
}

export class RunpodProvider implements InferenceProvider {
  readonly name = 'runpod';
  readonly #config: RunpodProviderConfig;
  readonly #http: ProviderHttp;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #poll: { initialMs: number; maxMs: number };

  constructor(config: z.input<typeof RunpodProviderConfigSchema>, options: RunpodProviderOptions = {}) {
    this.#config = parseProviderConfig(RunpodProviderConfigSchema, config);
    const env = options.env ?? process.env;
    const key = requireEnv(env, this.#config.api_key_env, 'provider.api_key_env', 'create an API key in the RunPod console (Settings > API Keys) and export it');
    this.#headers = { Authorization: `Bearer ${key}` };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#http = new ProviderHttp({ provider: this.name, baseUrl: `${this.#config.api_url.replace(/\/+$/, '')}/${this.#config.endpoint_id}`, fetch: this.#fetch });
    this.#poll = options.poll ?? { initialMs: 500, maxMs: 3_000 };
  }

  async listWorkers(): Promise<WorkerEndpoint[]> {
    return Array.from({ length: this.#config.max_concurrent }, (_, i) => ({ id: `runpod-${i + 1}`, url: this.#http.baseUrl, transport: 'job-api' as const }));
  }

  /** RunPod starts its workers on demand; the slots always exist. */
  async startWorkers(_count?: number): Promise<WorkerEndpoint[]> {
    return this.listWorkers();
  }

  /** Nothing to stop: RunPod scales idle workers down by itself (the endpoint's idle timeout). Drain a slot to stop using it. */
  async stopWorker(_id: string): Promise<void> {}

  /** `running` is RunPod's workers (idle or busy) for the endpoint now, from GET /health. */
  async capacity(): Promise<ProviderCapacity> {
    const body = await this.#http.call('GET', '/health', { headers: this.#headers }, this.#config.api_key_env);
    const health = HealthSchema.safeParse(body);
    const workers = health.success ? health.data.workers : undefined;
    return { running: (workers?.idle ?? 0) + (workers?.running ?? 0), max: this.#config.max_concurrent };
  }

  async executeJob(request: RemoteJobRequest, hooks: RemoteJobHooks): Promise<RemoteJobResult> {
    const { job, prompt, inputs, signal } = request;
    const body = { input: workerInput(prompt, inputs, job.id) };
    const size = Buffer.byteLength(JSON.stringify(body));
    if (size > RUN_BODY_LIMIT) {
      const mb = (size / 1024 / 1024).toFixed(1);
      return { status: 'error', message: `runpod: this job's request is ${mb} MB with its input files as base64; RunPod's /run accepts at most 10 MB` };
    }
    if (signal.aborted) return { status: 'cancelled' };
    // Not aborted by the signal: a /run cut off mid-way could leave a job at RunPod we have no id for.
    let answer: ProviderAnswer;
    try {
      answer = await this.#http.send('POST', '/run', { json: body, headers: this.#headers });
    } catch (error) {
      if (signal.aborted) return { status: 'cancelled' };
      throw error;
    }
    if (!answer.ok) {
      const error = this.#http.error('POST', '/run', answer, this.#config.api_key_env);
      // Rejected outright (bad key, bad endpoint, bad input): retrying cannot help, so the job fails with RunPod's words.
      if (answer.status < 500 && answer.status !== 429) return { status: 'error', message: error.message, details: answer.body };
      throw error;
    }
    const run = RunSchema.safeParse(answer.body);
    if (!run.success) throw new QueueError('worker_unavailable', 'runpod answered POST /run without a job id', { details: answer.body });
    if (signal.aborted) return this.#cancel(run.data.id);
    return this.#follow(run.data.id, prompt, signal, hooks);
  }

  async #follow(id: string, prompt: Prompt, signal: AbortSignal, hooks: RemoteJobHooks): Promise<RemoteJobResult> {
    const backoff = new Backoff(this.#poll);
    let reported = -1;
    const report = (fraction: number): void => {
      if (fraction === reported) return;
      reported = fraction;
      hooks.progress(fraction);
    };
    let failures = 0;
    for (;;) {
      try {
        await sleep(backoff.next(), undefined, { signal });
      } catch {
        return this.#cancel(id);
      }
      let answer: ProviderAnswer;
      try {
        answer = await this.#http.send('GET', `/status/${encodeURIComponent(id)}`, { headers: this.#headers, signal });
      } catch (error) {
        if (signal.aborted) return this.#cancel(id);
        if (++failures < MAX_POLL_FAILURES) continue;
        await this.#cancel(id);
        throw error;
      }
      if (!answer.ok) {
        const error = this.#http.error('GET', `/status/${id}`, answer, this.#config.api_key_env);
        if ((answer.status >= 500 || answer.status === 429) && ++failures < MAX_POLL_FAILURES) continue;
        // We lose track of it; our queue will run it again, so RunPod need not finish this copy.
        await this.#cancel(id);
        throw error;
      }
      failures = 0;
      const status = StatusSchema.safeParse(answer.body);
      if (!status.success) throw new QueueError('worker_unavailable', `runpod answered GET /status/${id} with an unexpected body`, { details: answer.body });
      const { output, error } = status.data;
      switch (status.data.status) {
        case 'IN_QUEUE':
          report(0);
          break;
        case 'IN_PROGRESS':
          report(progressOf(output));
          break;
        case 'COMPLETED': {
          const result = await this.#files(output, prompt);
          if (result.status === 'success') report(1);
          return result;
        }
        case 'CANCELLED':
          return { status: 'cancelled' };
        case 'FAILED':
          return { status: 'error', message: `runpod: the job failed: ${errorText(error ?? output)}`, details: { error, output } };
        case 'TIMED_OUT':
          return { status: 'error', message: `runpod: the job timed out (the endpoint's execution timeout, or no worker picked it up in time)${error ? `: ${errorText(error)}` : ''}` };
        default:
          break;
      }
    }
  }

  async #cancel(id: string): Promise<RemoteJobResult> {
    // The job is cancelled for our user whatever RunPod answers; a lost cancel only costs RunPod time.
    await this.#http.send('POST', `/cancel/${encodeURIComponent(id)}`, { headers: this.#headers }).catch(() => undefined);
    return { status: 'cancelled' };
  }

  async #files(output: unknown, prompt: Prompt): Promise<RemoteJobResult> {
    const listed = outputItems(output);
    if ('error' in listed) return { status: 'error', message: `runpod: the ComfyUI worker reported: ${listed.error}`, details: output };
    const fallbackNode = soleOutputNode(prompt) ?? 'output';
    const files: RemoteOutputFile[] = [];
    for (const [index, item] of listed.items.entries()) {
      let data: Uint8Array;
      try {
        data = item.encoding === 'base64' ? decodeBase64(item.data) : await this.#download(item);
      } catch (error) {
        return { status: 'error', message: `runpod: could not fetch output ${item.filename ?? index + 1}: ${error instanceof Error ? error.message : String(error)}` };
      }
      files.push({
        nodeId: item.nodeId ?? fallbackNode,
        kind: item.kind,
        filename: item.filename ?? defaultName(item, index),
        subfolder: item.subfolder,
        type: 'output',
        data,
      });
    }
    return { status: 'success', files };
  }

  /** Outputs the worker uploaded to a bucket (BUCKET_ENDPOINT_URL set): fetched from their (pre-signed) URL. */
  async #download(item: WorkerOutputItem): Promise<Uint8Array> {
    const response = await this.#fetch(item.data, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok) throw new Error(`${response.status} from ${new URL(item.data).host}`);
    return new Uint8Array(await response.arrayBuffer());
  }
}

/** The worker forwards ComfyUI progress as the IN_PROGRESS output `{percent}`; without it, halfway is all we know. */
function progressOf(output: unknown): number {
  if (output && typeof output === 'object' && 'percent' in output && typeof output.percent === 'number') {
    return Math.min(0.99, Math.max(0.01, output.percent / 100));
  }
  return 0.5;
}

/** RunPod's `error` may be a plain string or a JSON document in a string; the worker adds `details`. */
function errorText(error: unknown): string {
  let value = error;
  if (typeof error === 'string') {
    try {
      value = JSON.parse(error);
    } catch {
      return error;
    }
    if (!value || typeof value !== 'object') return error;
  }
  const details = value && typeof value === 'object' && 'details' in value && Array.isArray(value.details) ? value.details.map(String) : [];
  return [describeProviderBody(value), ...details].join('; ');
}

function defaultName(item: WorkerOutputItem, index: number): string {
  if (item.encoding === 'url') {
    const name = basename(new URL(item.data).pathname);
    if (name) return name;
  }
  const mime = /^data:([a-z]+)\/([a-z0-9.+-]+)/i.exec(item.data);
  return `runpod_${String(index + 1).padStart(5, '0')}_.${mime?.[2] ?? 'png'}`;
}
