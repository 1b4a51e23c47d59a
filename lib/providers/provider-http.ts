/**
 * Talking to a cloud provider's HTTP API: credentials read from environment
 * variables only, JSON requests with a timeout, and every failure turned into a
 * QueueError that names the provider and repeats the provider's own message.
 */
import { type ErrorCode, QueueError } from '../errors.ts';

/** The value of a required credential variable; a clear error before any request when it is missing. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string, field: string, hint: string): string {
  const value = env[name]?.trim();
  if (!value) throw new QueueError('invalid_request', `${name} is not set: ${hint}`, { field });
  return value;
}

/** A provider's answer: JSON when it parses, `{text}` for other bodies, null for an empty one. */
export interface ProviderAnswer {
  status: number;
  ok: boolean;
  body: unknown;
}

export interface ProviderRequest {
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the client's default timeout for this request. */
  timeoutMs?: number;
}

export interface ProviderHttpOptions {
  /** The provider's name as the config spells it ("verda"); every error message starts with it. */
  provider: string;
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'worker_unavailable';
  return 'invalid_request';
}

/** The provider's own words out of an error body: `message`, `error`, `detail`, or the text itself. */
export function describeProviderBody(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const parts: string[] = [];
    if (typeof record['code'] === 'string') parts.push(record['code']);
    for (const key of ['message', 'error', 'detail', 'text']) {
      const value = record[key];
      if (typeof value === 'string' && value.trim()) {
        parts.push(value.replaceAll(/\s+/g, ' ').trim().slice(0, 500));
        break;
      }
      if (value && typeof value === 'object') {
        parts.push(describeProviderBody(value));
        break;
      }
    }
    if (parts.length > 0) return parts.join(': ');
  }
  return 'no message';
}

export class ProviderHttp {
  readonly provider: string;
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ProviderHttpOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new QueueError('invalid_request', `${options.provider}: api url "${options.baseUrl}" is not a URL`, { field: 'provider.api_url' });
    }
    this.provider = options.provider;
    this.baseUrl = base.href.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends a request; only a missing answer (network error, timeout) throws here. */
  async send(method: string, path: string, request: ProviderRequest = {}): Promise<ProviderAnswer> {
    const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request.json);
    }
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, { method, headers, body, signal });
      text = await response.text();
    } catch (cause) {
      if (request.signal?.aborted) throw cause;
      const reason = timeout.aborted ? 'no answer in time' : cause instanceof Error ? cause.message : String(cause);
      throw new QueueError('worker_unavailable', `${this.provider} API did not answer ${method} ${path}: ${reason}`, { cause });
    }
    return { status: response.status, ok: response.ok, body: parseBody(text) };
  }

  /** The error for a non-2xx answer. `credentials` names what was rejected on 401/403. */
  error(method: string, path: string, answer: ProviderAnswer, credentials?: string): QueueError {
    const said = describeProviderBody(answer.body);
    const code = codeForStatus(answer.status);
    if (code === 'unauthorized') {
      const what = credentials ? ` (${credentials})` : '';
      return new QueueError('unauthorized', `${this.provider} rejected the credentials${what}: unauthorized (${answer.status}): ${said}`, {
        details: { status: answer.status, body: answer.body },
      });
    }
    return new QueueError(code, `${this.provider} API answered ${method} ${path} with ${answer.status}: ${said}`, {
      details: { status: answer.status, body: answer.body },
    });
  }

  /** Sends a request and returns the body of a 2xx answer; anything else throws `error()`. */
  async call(method: string, path: string, request: ProviderRequest = {}, credentials?: string): Promise<unknown> {
    const answer = await this.send(method, path, request);
    if (!answer.ok) throw this.error(method, path, answer, credentials);
    return answer.body;
  }
}

function parseBody(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

