/**
 * The HTTP transport to one ComfyUI: URL building under an optional base path,
 * default headers, timeouts, and reading ComfyUI's mixed bodies (JSON, empty
 * 200s, 0.8.0's `text/plain` 500s) into values or a ComfyRequestError.
 */
import type { z } from 'zod';
import { type ErrorCode, QueueError } from '../errors.ts';
import { ComfyErrorBodySchema } from './messages.ts';

/** A failed request to a ComfyUI: `responseStatus` is ComfyUI's status (null when no answer came). */
export class ComfyRequestError extends QueueError {
  readonly responseStatus: number | null;
  /** The parsed JSON body, `{text}` for a non-JSON body, or null for none. */
  readonly body: unknown;
  readonly method: string;
  readonly path: string;

  constructor(
    code: ErrorCode,
    message: string,
    init: { responseStatus: number | null; body: unknown; method: string; path: string; cause?: unknown },
  ) {
    super(code, message, { details: { status: init.responseStatus, body: init.body }, cause: init.cause });
    this.name = 'ComfyRequestError';
    this.responseStatus = init.responseStatus;
    this.body = init.body;
    this.method = init.method;
    this.path = init.path;
  }
}

export interface ComfyHttpOptions {
  url: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Per-request timeout for JSON calls (not for streamed /view bodies). */
  requestTimeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  /** false for streamed downloads, whose body may take longer than any fixed timeout. */
  timeout?: boolean;
}

function codeForStatus(status: number, path: string): ErrorCode {
  if (status === 400) return path.endsWith('/prompt') ? 'invalid_prompt' : 'invalid_request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'worker_unavailable';
  return 'invalid_request';
}

/** One readable line out of whatever error body ComfyUI produced. */
function describeBody(body: unknown): string {
  const parsed = ComfyErrorBodySchema.safeParse(body);
  if (parsed.success) {
    const { error } = parsed.data;
    if (typeof error === 'string') return error;
    const head = [error.type ? `(${error.type})` : '', error.message ?? ''].filter(Boolean).join(' ');
    return typeof error.details === 'string' && error.details ? `${head}: ${error.details}` : head;
  }
  if (body && typeof body === 'object' && 'text' in body && typeof body.text === 'string') {
    return body.text.replaceAll(/\s+/g, ' ').trim().slice(0, 300);
  }
  return 'no body';
}

export class ComfyHttp {
  readonly baseUrl: URL;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: ComfyHttpOptions) {
    const base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new QueueError('invalid_request', `ComfyUI url must be http(s)://…, got "${options.url}"`, { field: 'url' });
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.search = '';
    base.hash = '';
    this.baseUrl = base;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#headers = { ...options.headers };
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  get headers(): Record<string, string> {
    return { ...this.#headers };
  }

  /** `path` is relative to the base URL, so a provider's path prefix is kept. */
  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(path.replace(/^\/+/, ''), this.baseUrl);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  /** The WebSocket URL for a path: http → ws, https → wss. */
  wsUrl(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = this.url(path, query);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url;
  }

  /** Sends a request; only a missing answer (network error, timeout) throws here. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.#headers };
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const signals = [options.signal, options.timeout === false ? undefined : AbortSignal.timeout(this.#timeoutMs)];
    const active = signals.filter((signal): signal is AbortSignal => signal !== undefined);
    try {
      return await this.#fetch(this.url(path, options.query), {
        method,
        headers,
        body,
        signal: active.length > 0 ? AbortSignal.any(active) : undefined,
      });
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ComfyRequestError('worker_unavailable', `ComfyUI at ${this.baseUrl.origin} did not answer ${method} ${path}: ${reason}`, {
        responseStatus: null,
        body: null,
        method,
        path,
        cause,
      });
    }
  }

  /** JSON when it parses, `{text}` otherwise, null for an empty body. */
  async readBody(response: Response): Promise<unknown> {
    const text = await response.text();
    if (text.length === 0) return null;
    try {
      return JSON.parse(text);
    } catch {
      return { text };
    }
  }

  async errorFor(method: string, path: string, response: Response): Promise<ComfyRequestError> {
    const body = await this.readBody(response).catch(() => null);
    const what = path.endsWith('/prompt') && response.status === 400 ? 'ComfyUI rejected the prompt' : `ComfyUI answered ${method} ${path} with ${response.status}`;
    return new ComfyRequestError(codeForStatus(response.status, path), `${what}: ${describeBody(body)}`, {
      responseStatus: response.status,
      body,
      method,
      path,
    });
  }

  /** Sends a request and parses a 2xx body with `schema` (null: the body is ignored, empty 200s are fine). */
  async call<S extends z.ZodType>(method: string, path: string, schema: S, options?: RequestOptions): Promise<z.output<S>>;
  async call(method: string, path: string, schema: null, options?: RequestOptions): Promise<void>;
  async call(method: string, path: string, schema: z.ZodType | null, options: RequestOptions = {}): Promise<unknown> {
    const response = await this.request(method, path, options);
    if (!response.ok) throw await this.errorFor(method, path, response);
    if (schema === null) {
      await response.body?.cancel();
      return undefined;
    }
    return this.parseResponse(method, path, response, schema);
  }

  /** Reads a 2xx body and validates it; a body of the wrong shape is the worker's fault. */
  async parseResponse<S extends z.ZodType>(method: string, path: string, response: Response, schema: S): Promise<z.output<S>> {
    const body = await this.readBody(response);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ComfyRequestError('worker_unavailable', `ComfyUI answered ${method} ${path} with an unexpected body`, {
        responseStatus: response.status,
        body,
        method,
        path,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }
}
