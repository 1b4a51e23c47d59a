/**
 * The seat's calls to the comfy-multi REST API (same origin, session cookie).
 * Failures become CmApiError values carrying the server's code, message and details.
 */
import { readErrorBody } from '../../lib/protocol/error-body.ts';
import type { Job, JobDetail, JobState, QueueView, RuntimeConfig } from './contract.ts';
import { parseConfig } from './envelope.ts';

export class CmApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  /** status 0 = the server did not answer at all. */
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'CmApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface SubmitBody {
  prompt: unknown;
  workflow?: unknown;
  partial_execution_targets?: string[];
  preview_method?: string;
  front: boolean;
  client_request_id: string;
  title?: string;
}

export interface ApiClient {
  submitJob(body: SubmitBody): Promise<Job>;
  listJobs(query: { states?: readonly JobState[]; limit?: number }): Promise<Job[]>;
  getJob(id: string): Promise<JobDetail>;
  cancelJob(id: string): Promise<Job>;
  getQueue(): Promise<QueueView>;
}

async function readError(response: Response): Promise<CmApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // a proxy's HTML error page: fall through to the generic message
  }
  const error = readErrorBody(body);
  if (error) return new CmApiError(response.status, error.code, error.message, error.details);
  return new CmApiError(response.status, `http_${response.status}`, `comfy-multi answered ${response.status} ${response.statusText}`.trim());
}

export function createApiClient(apiBase: string, fetchImpl: typeof fetch = (...args) => fetch(...args)): ApiClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(`${apiBase}${path}`, {
        method,
        credentials: 'same-origin',
        cache: 'no-store',
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new CmApiError(0, 'unreachable', `The comfy-multi server did not answer (${(cause as Error).message ?? cause}).`);
    }
    if (!response.ok) throw await readError(response);
    return (await response.json()) as T;
  }

  const jobPath = (id: string): string => `/jobs/${encodeURIComponent(id)}`;

  return {
    submitJob: (body) => call<Job>('POST', '/jobs', body),
    async listJobs({ states, limit }) {
      const query = new URLSearchParams();
      if (states && states.length > 0) query.set('state', states.join(','));
      if (limit !== undefined) query.set('limit', String(limit));
      const page = await call<{ jobs: Job[] }>('GET', `/jobs?${query}`);
      return page.jobs;
    },
    getJob: (id) => call<JobDetail>('GET', jobPath(id)),
    cancelJob: (id) => call<Job>('POST', `${jobPath(id)}/cancel`, {}),
    getQueue: () => call<QueueView>('GET', '/queue'),
  };
}

/**
 * The runtime config from the seat gateway, or null when this ComfyUI is not behind
 * comfy-multi (404, network error, not JSON, timeout) — the extension then stays inert.
 */
export async function loadConfig(url: string, timeoutMs = 5000, fetchImpl: typeof fetch = (...args) => fetch(...args)): Promise<RuntimeConfig | null> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetchImpl(url, { credentials: 'same-origin', cache: 'no-store', signal: controller.signal });
    if (!response.ok) return null;
    return parseConfig(await response.json());
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
