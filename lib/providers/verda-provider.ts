/**
 * The `verda` provider (formerly DataCrunch): GPU instances running ComfyUI,
 * found, started and shut down through Verda's public REST API. Each running
 * instance whose hostname carries our prefix gives one `comfyui` worker per
 * configured port, reached at http://<instance ip>:<port>.
 *
 * API facts used: OAuth2 client credentials at POST /oauth2/token (JSON body,
 * Bearer access token with `expires_in`); GET /instances and /instances/{id};
 * POST /instances (answers the new id); PUT /instances {action, id: [...]};
 * GET /instance-types and /instance-availability/{type}; errors as
 * `{code, message}`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { QueueError } from '../errors.ts';
import { parseProviderConfig, type VerdaProviderConfig, VerdaProviderConfigSchema } from './config.ts';
import type { InferenceProvider, ProviderCapacity, WorkerEndpoint } from './provider.ts';
import { ProviderHttp, requireEnv } from './provider-http.ts';

const TokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().optional() });

const InstanceSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  status: z.string(),
  ip: z.string().nullish(),
});
type Instance = z.infer<typeof InstanceSchema>;

const InstanceTypeSchema = z.object({ instance_type: z.string() });

/** On their way to `running`: wait for them rather than order more. */
const STARTING = new Set(['new', 'ordered', 'pending', 'provisioning', 'validating']);
/** An instance waited on that reaches one of these will never run. */
const FAILED = new Set(['error', 'no_capacity', 'discontinued', 'deleting', 'notfound']);

/** Refresh a token this long before Verda says it expires, so no request carries a dying one. */
const TOKEN_MARGIN_MS = 30_000;

export interface VerdaProviderOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** How often a starting instance is looked at; default 5 s. */
  pollMs?: number;
}

export class VerdaProvider implements InferenceProvider {
  readonly name = 'verda';
  readonly #config: VerdaProviderConfig;
  readonly #http: ProviderHttp;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #credentials: string;
  readonly #pollMs: number;
  #token: { value: string; expiresAt: number } | null = null;
  #pendingToken: Promise<string> | null = null;

  constructor(config: z.input<typeof VerdaProviderConfigSchema>, options: VerdaProviderOptions = {}) {
    this.#config = parseProviderConfig(VerdaProviderConfigSchema, config);
    const env = options.env ?? process.env;
    const hint = 'create API credentials in the Verda console and export them';
    this.#clientId = requireEnv(env, this.#config.client_id_env, 'provider.client_id_env', hint);
    this.#clientSecret = requireEnv(env, this.#config.client_secret_env, 'provider.client_secret_env', hint);
    this.#credentials = `${this.#config.client_id_env}/${this.#config.client_secret_env}`;
    this.#http = new ProviderHttp({ provider: this.name, baseUrl: this.#config.api_url, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.#pollMs = options.pollMs ?? 5_000;
  }

  async listWorkers(): Promise<WorkerEndpoint[]> {
    const instances = (await this.#ours()).filter((instance) => instance.status === 'running' && instance.ip);
    return instances.flatMap((instance) =>
      this.#config.comfy_ports.map((port) => ({ id: `${instance.hostname}-${port}`, url: `http://${instance.ip}:${port}`, transport: 'comfyui' as const })),
    );
  }

  /**
   * Makes enough instances run for `count` workers (at most `max_instances`): waits for
   * ours that are starting, starts ours that are shut down, and only then orders new ones.
   */
  async startWorkers(count: number): Promise<WorkerEndpoint[]> {
    const ports = this.#config.comfy_ports.length;
    const wanted = Math.min(this.#config.max_instances, Math.ceil(Math.max(0, count) / ports));
    const ours = await this.#ours();
    const waitFor = ours.filter((instance) => instance.status === 'running' || STARTING.has(instance.status));
    for (const stopped of ours.filter((instance) => instance.status === 'offline')) {
      if (waitFor.length >= wanted) break;
      await this.#action('start', stopped);
      waitFor.push(stopped);
    }
    if (waitFor.length < wanted) {
      await this.#checkOffered();
      const taken = new Set(ours.map((instance) => instance.hostname));
      for (let n = 1; waitFor.length < wanted; n++) {
        const hostname = `${this.#config.hostname_prefix}-${n}`;
        if (taken.has(hostname)) continue;
        waitFor.push(await this.#create(hostname));
      }
    }
    const deadline = Date.now() + this.#config.start_timeout_s * 1000;
    await Promise.all(waitFor.map((instance) => this.#untilRunning(instance, deadline)));
    return this.listWorkers();
  }

  /** Shuts down the instance behind worker `id`, and with it every worker on that instance. */
  async stopWorker(id: string): Promise<void> {
    const instance = (await this.#ours()).find((candidate) => this.#config.comfy_ports.some((port) => `${candidate.hostname}-${port}` === id));
    if (!instance) throw new QueueError('not_found', `verda: no instance of ours runs worker "${id}"`, { field: 'id' });
    if (instance.status === 'offline') return;
    await this.#action('shutdown', instance);
  }

  async capacity(): Promise<ProviderCapacity> {
    const running = (await this.#ours()).filter((instance) => instance.status === 'running' && instance.ip).length;
    const ports = this.#config.comfy_ports.length;
    return { running: running * ports, max: this.#config.max_instances * ports };
  }

  /** Our instances: hostname `<prefix>` or `<prefix>-…`, sorted by hostname so worker order is stable. */
  async #ours(): Promise<Instance[]> {
    const body = await this.#api('GET', '/instances');
    const instances = this.#parse(z.array(InstanceSchema), body, 'GET /instances');
    const prefix = this.#config.hostname_prefix;
    return instances
      .filter((instance) => instance.hostname === prefix || instance.hostname.startsWith(`${prefix}-`))
      .sort((a, b) => a.hostname.localeCompare(b.hostname, 'en', { numeric: true }));
  }

  /** Fails early, with the alternatives, when the instance type is unknown or sold out. */
  async #checkOffered(): Promise<void> {
    const type = this.#config.instance_type;
    const types = this.#parse(z.array(InstanceTypeSchema), await this.#api('GET', '/instance-types'), 'GET /instance-types');
    if (!types.some((offered) => offered.instance_type === type)) {
      const names = types.map((offered) => offered.instance_type).join(', ');
      throw new QueueError('invalid_request', `verda does not offer instance type "${type}"; it offers: ${names || 'none'}`, { field: 'provider.instance_type' });
    }
    const available = await this.#api('GET', `/instance-availability/${encodeURIComponent(type)}`);
    if (available !== true && available !== 'true') {
      throw new QueueError('worker_unavailable', `verda has no ${type} available right now; try again later, or another instance type or location`);
    }
  }

  async #create(hostname: string): Promise<Instance> {
    const { instance_type, image, ssh_key_ids, location, startup_script_id } = this.#config;
    const body = await this.#api('POST', '/instances', {
      instance_type,
      image,
      hostname,
      description: 'comfy-multi ComfyUI worker',
      ssh_key_ids,
      ...(location ? { location_code: location } : {}),
      ...(startup_script_id ? { startup_script_id } : {}),
    });
    // The id comes back as plain text; tolerate a JSON string or an instance object too.
    const id = typeof body === 'string' ? body : idOf(body);
    if (!id) throw new QueueError('worker_unavailable', `verda answered POST /instances without an instance id`, { details: body });
    return { id, hostname, status: 'ordered', ip: null };
  }

  async #action(action: 'start' | 'shutdown', instance: Instance): Promise<void> {
    const body = await this.#api('PUT', '/instances', { action, id: [instance.id] });
    // 207 Multi-Status lists per-instance outcomes; one with an error is a failure for us.
    const failed = Array.isArray(body) ? body.find((result) => result && typeof result === 'object' && 'error' in result && result.error) : undefined;
    if (failed) throw new QueueError('worker_unavailable', `verda could not ${action} ${instance.hostname}: ${String(failed.error)}`, { details: body });
  }

  async #untilRunning(instance: Instance, deadline: number): Promise<void> {
    let status = instance.status;
    for (;;) {
      const current = this.#parse(InstanceSchema, await this.#api('GET', `/instances/${encodeURIComponent(instance.id)}`), 'GET /instances/{id}');
      status = current.status;
      if (status === 'running' && current.ip) return;
      if (FAILED.has(status)) {
        throw new QueueError('worker_unavailable', `verda instance ${instance.hostname} (${instance.id}) went to "${status}" while starting; see the Verda console`);
      }
      if (Date.now() + this.#pollMs > deadline) {
        throw new QueueError(
          'worker_unavailable',
          `verda instance ${instance.hostname} (${instance.id}) was not running with an IP within ${this.#config.start_timeout_s} s (last status "${status}"); see the Verda console`,
        );
      }
      await sleep(this.#pollMs);
    }
  }

  /** A call with our access token; a 401 gets one fresh token and one retry (revoked or expired early). */
  async #api(method: string, path: string, json?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#accessToken();
      const answer = await this.#http.send(method, path, { headers: { Authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });
      if (answer.status === 401 && attempt === 0) {
        this.#token = null;
        continue;
      }
      if (!answer.ok) throw this.#http.error(method, path, answer, this.#credentials);
      return answer.body;
    }
  }

  #accessToken(): Promise<string> {
    if (this.#token && Date.now() < this.#token.expiresAt) return Promise.resolve(this.#token.value);
    this.#pendingToken ??= this.#newToken().finally(() => {
      this.#pendingToken = null;
    });
    return this.#pendingToken;
  }

  async #newToken(): Promise<string> {
    const body = await this.#http.call(
      'POST',
      '/oauth2/token',
      { json: { grant_type: 'client_credentials', client_id: this.#clientId, client_secret: this.#clientSecret } },
      this.#credentials,
    );
    const token = this.#parse(TokenSchema, body, 'POST /oauth2/token');
    const lifetimeMs = (token.expires_in ?? 3600) * 1000;
    this.#token = { value: token.access_token, expiresAt: Date.now() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS) };
    return token.access_token;
  }

  #parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new QueueError('worker_unavailable', `verda answered ${what} with an unexpected body`, { details: body, cause: parsed.error });
    return parsed.data;
  }
}

function idOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const value = record['id'] ?? record['text'];
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}
