/**
 * The `modal` provider: a ComfyUI deployed on Modal behind a web URL (Modal's
 * ComfyUI example serves the ComfyUI server itself through `@modal.web_server`).
 * The pool speaks ComfyUI's own protocol to it, HTTP and WebSocket alike, adding
 * Modal's proxy-auth headers (Modal-Key / Modal-Secret) when the endpoint was
 * deployed with `requires_proxy_auth=True`.
 *
 * ComfyUI keeps prompts, history and the socket's client id in one process, so
 * the Modal app must run a single container (max_containers=1): with several, the
 * socket and the /prompt of one job could reach different ComfyUIs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { QueueError } from '../errors.ts';
import { type ModalProviderConfig, ModalProviderConfigSchema, parseProviderConfig } from './config.ts';
import type { InferenceProvider, ProviderCapacity, WorkerEndpoint } from './provider.ts';
import { type ProviderAnswer, ProviderHttp, requireEnv } from './provider-http.ts';

export interface ModalProviderOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Pause between warm-up probes; default 2 s. */
  retryMs?: number;
}

export class ModalProvider implements InferenceProvider {
  readonly name = 'modal';
  readonly #config: ModalProviderConfig;
  readonly #http: ProviderHttp;
  readonly #headers: Record<string, string>;
  readonly #credentials: string | undefined;
  readonly #retryMs: number;

  constructor(config: z.input<typeof ModalProviderConfigSchema>, options: ModalProviderOptions = {}) {
    this.#config = parseProviderConfig(ModalProviderConfigSchema, config);
    const env = options.env ?? process.env;
    const { token_id_env, token_secret_env } = this.#config;
    this.#headers = {};
    if (token_id_env && token_secret_env) {
      const hint = 'create a proxy auth token in the Modal workspace settings and export its id and secret';
      this.#headers['Modal-Key'] = requireEnv(env, token_id_env, 'provider.token_id_env', hint);
      this.#headers['Modal-Secret'] = requireEnv(env, token_secret_env, 'provider.token_secret_env', hint);
      this.#credentials = `${token_id_env}/${token_secret_env}`;
    }
    this.#http = new ProviderHttp({ provider: this.name, baseUrl: this.#config.url, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.#retryMs = options.retryMs ?? 2_000;
  }

  async listWorkers(): Promise<WorkerEndpoint[]> {
    const headers = Object.keys(this.#headers).length > 0 ? { headers: { ...this.#headers } } : {};
    return Array.from({ length: this.#config.slots }, (_, i) => ({ id: `modal-${i + 1}`, url: this.#http.baseUrl, transport: 'comfyui' as const, ...headers }));
  }

  /**
   * Wakes the endpoint: Modal starts a container on the first request, and a cold ComfyUI
   * takes a while to answer. Probes GET /system_stats until it does, within `warm_timeout_s`.
   */
  async startWorkers(_count?: number): Promise<WorkerEndpoint[]> {
    const deadline = Date.now() + this.#config.warm_timeout_s * 1000;
    // What the endpoint last said beats a transport failure (e.g. the final, shortened probe timing out).
    let lastAnswer: string | null = null;
    let lastFailure = 'no answer yet';
    for (;;) {
      const remaining = deadline - Date.now();
      let answer: ProviderAnswer | null = null;
      try {
        answer = await this.#http.send('GET', '/system_stats', { headers: this.#headers, timeoutMs: Math.max(1, remaining) });
      } catch (error) {
        lastFailure = error instanceof Error ? error.message : String(error);
      }
      if (answer?.ok) return this.listWorkers();
      if (answer) {
        const error = this.#http.error('GET', '/system_stats', answer, this.#credentials ?? 'none configured: set token_id_env and token_secret_env');
        // Only a starting container (5xx) or a busy proxy (429) is worth waiting for.
        if (answer.status < 500 && answer.status !== 429) throw error;
        lastAnswer = error.message;
      }
      if (Date.now() + this.#retryMs >= deadline) {
        const why = lastAnswer ?? lastFailure;
        throw new QueueError('worker_unavailable', `modal: ComfyUI at ${this.#http.baseUrl} did not answer within ${this.#config.warm_timeout_s} s (${why})`);
      }
      await sleep(this.#retryMs);
    }
  }

  /** Nothing to stop: Modal scales the container to zero by itself once it is idle (the app's scaledown window). */
  async stopWorker(_id: string): Promise<void> {}

  async capacity(): Promise<ProviderCapacity> {
    return { running: this.#config.slots, max: this.#config.slots };
  }
}
