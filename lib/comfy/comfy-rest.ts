/**
 * The HTTP routes of one ComfyUI that a worker pool needs, typed and
 * version-tolerant (0.8.0 … 0.38.x): feature detection instead of version checks.
 * Usable on its own (e.g. reconciling after a restart, where no socket is needed).
 */
import type { Prompt } from '../job.ts';
import { ComfyHttp, type ComfyHttpOptions } from './comfy-http.ts';
import {
  CancelJobResponseSchema,
  FeatureFlagsSchema,
  type FileRef,
  type HistoryItem,
  HistoryResponseSchema,
  type JobDetail,
  JobDetailSchema,
  type NodeInfo,
  ObjectInfoSchema,
  PromptResponseSchema,
  QueueResponseSchema,
  type SystemStats,
  SystemStatsSchema,
  type UploadResult,
  UploadResponseSchema,
} from './messages.ts';

export interface ComfyRestOptions extends ComfyHttpOptions {
  /** How long `objectInfo()` answers from its cache; default 60 s. */
  objectInfoTtlMs?: number;
}

export interface PostPromptOptions {
  promptId: string;
  clientId: string;
  extraData?: Record<string, unknown>;
  front?: boolean;
  partialExecutionTargets?: string[];
}

export interface SubmitResult {
  promptId: string;
  /** The queue number ComfyUI assigned (int or float); null when the id was already submitted. */
  number: number | null;
  nodeErrors: Record<string, unknown>;
  /**
   * True when a newer core answered 409 "prompt_id already exists": an earlier submit of this
   * id got through, so the caller recovers its state with getJob/getHistory instead of failing.
   */
  alreadySubmitted: boolean;
}

export interface UploadOptions {
  subfolder?: string;
  type?: 'input' | 'temp' | 'output';
  overwrite?: boolean;
}

const jobPath = (promptId: string): string => `/api/jobs/${encodeURIComponent(promptId)}`;

export class ComfyRest {
  readonly http: ComfyHttp;
  readonly #objectInfoTtlMs: number;
  #objectInfo: { at: number; value: Promise<Record<string, NodeInfo>> } | undefined;
  /** undefined until the first cancel tells whether /api/jobs/{id}/cancel exists (cores ≥ 0.25). */
  #hasJobCancel: boolean | undefined;

  constructor(options: ComfyRestOptions) {
    this.http = new ComfyHttp(options);
    this.#objectInfoTtlMs = options.objectInfoTtlMs ?? 60_000;
  }

  /** POST /prompt. Throws ComfyRequestError (status + ComfyUI's body) on 400/500; a 409 duplicate is a result. */
  async postPrompt(prompt: Prompt, options: PostPromptOptions): Promise<SubmitResult> {
    const body: Record<string, unknown> = {
      prompt,
      client_id: options.clientId,
      prompt_id: options.promptId,
      extra_data: options.extraData ?? {},
    };
    if (options.front) body['front'] = true;
    if (options.partialExecutionTargets) body['partial_execution_targets'] = options.partialExecutionTargets;
    const response = await this.http.request('POST', '/prompt', { json: body });
    if (response.status === 409) {
      await response.body?.cancel();
      return { promptId: options.promptId, number: null, nodeErrors: {}, alreadySubmitted: true };
    }
    if (!response.ok) throw await this.http.errorFor('POST', '/prompt', response);
    const parsed = PromptResponseSchema.safeParse(await this.http.readBody(response));
    if (!parsed.success) {
      // The prompt was accepted (200) even if the body is odd; keep our id, which the core echoes.
      return { promptId: options.promptId, number: null, nodeErrors: {}, alreadySubmitted: false };
    }
    return { promptId: parsed.data.prompt_id, number: parsed.data.number, nodeErrors: parsed.data.node_errors, alreadySubmitted: false };
  }

  /** Interrupts `promptId` only if it is the one running; always the targeted form, never the global one. */
  async interrupt(promptId: string): Promise<void> {
    await this.http.call('POST', '/interrupt', null, { json: { prompt_id: promptId } });
  }

  /**
   * Removes a queued prompt. Newer cores (≥ 0.25): POST /api/jobs/{id}/cancel, which also stops it
   * if it already runs. Older cores: POST /queue {"delete"}, which only touches pending items.
   * Resolves true when the prompt was cancelled/removed.
   */
  async cancelPending(promptId: string): Promise<boolean> {
    if (this.#hasJobCancel !== false) {
      const path = `${jobPath(promptId)}/cancel`;
      const response = await this.http.request('POST', path);
      if (response.ok) {
        this.#hasJobCancel = true;
        const parsed = CancelJobResponseSchema.safeParse(await this.http.readBody(response));
        return parsed.success && parsed.data.cancelled;
      }
      const routeMissing = response.status === 404 || response.status === 405;
      if (!routeMissing) throw await this.http.errorFor('POST', path, response);
      await response.body?.cancel();
      if (this.#hasJobCancel === true) return false;
      this.#hasJobCancel = false;
    }
    const before = await this.getQueue();
    if (!before.pending.includes(promptId)) return false;
    await this.http.call('POST', '/queue', null, { json: { delete: [promptId] } });
    const after = await this.getQueue();
    return !after.pending.includes(promptId) && !after.running.includes(promptId);
  }

  /** GET /history/{id}; null when ComfyUI does not know the id (it answers `{}`). */
  async getHistory(promptId: string): Promise<HistoryItem | null> {
    const history = await this.http.call('GET', `/history/${encodeURIComponent(promptId)}`, HistoryResponseSchema);
    return history[promptId] ?? null;
  }

  /** GET /api/jobs/{id}; null for an unknown id and on cores without the jobs API (< 0.5.1), which both 404. */
  async getJob(promptId: string): Promise<JobDetail | null> {
    const path = jobPath(promptId);
    const response = await this.http.request('GET', path);
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await this.http.errorFor('GET', path, response);
    return this.http.parseResponse('GET', path, response, JobDetailSchema);
  }

  /** Prompt ids running and pending, pending in the order they will run. */
  async getQueue(): Promise<{ running: string[]; pending: string[] }> {
    const queue = await this.http.call('GET', '/queue', QueueResponseSchema);
    const byNumber = (a: unknown[], b: unknown[]): number => Number(a[0]) - Number(b[0]);
    return {
      running: queue.queue_running.map((item) => String(item[1])),
      pending: [...queue.queue_pending].sort(byNumber).map((item) => String(item[1])),
    };
  }

  /** GET /view as a streamable Response; throws ComfyRequestError (404, 400, 403) when there is no file. */
  async view(file: FileRef, options: { signal?: AbortSignal } = {}): Promise<Response> {
    const query = { filename: file.filename, subfolder: file.subfolder, type: file.type };
    const response = await this.http.request('GET', '/view', { query, timeout: false, signal: options.signal });
    if (!response.ok) throw await this.http.errorFor('GET', '/view', response);
    return response;
  }

  /** POST /upload/image (multipart). Without `overwrite`, ComfyUI may rename a clashing file: use the answer's name. */
  async upload(data: Blob | Uint8Array, name: string, options: UploadOptions = {}): Promise<UploadResult> {
    const form = new FormData();
    const blob = data instanceof Blob ? data : new Blob([new Uint8Array(data)]);
    form.set('image', blob, name);
    form.set('type', options.type ?? 'input');
    if (options.subfolder) form.set('subfolder', options.subfolder);
    if (options.overwrite) form.set('overwrite', 'true');
    return this.http.call('POST', '/upload/image', UploadResponseSchema, { form });
  }

  async systemStats(): Promise<SystemStats> {
    return this.http.call('GET', '/system_stats', SystemStatsSchema);
  }

  /** GET /object_info, cached for `objectInfoTtlMs`; concurrent callers share one request. */
  async objectInfo(force = false): Promise<Record<string, NodeInfo>> {
    const cached = this.#objectInfo;
    if (!force && cached && Date.now() - cached.at < this.#objectInfoTtlMs) return cached.value;
    const value = this.http.call('GET', '/object_info', ObjectInfoSchema);
    const entry = { at: Date.now(), value };
    this.#objectInfo = entry;
    // A failed fetch must not be served from the cache.
    value.catch(() => {
      if (this.#objectInfo === entry) this.#objectInfo = undefined;
    });
    return value;
  }

  /** GET /features: the server's feature flags (the same object the WS `feature_flags` reply carries). */
  async features(): Promise<Record<string, unknown>> {
    return this.http.call('GET', '/features', FeatureFlagsSchema);
  }
}
