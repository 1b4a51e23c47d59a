/**
 * The REST calls the panel makes (docs/api.md). Every failure becomes an
 * ApiError carrying the server's own message, so the panel can show it as is.
 */
import { readErrorBody } from '../../lib/protocol/error-body.ts';
import type {
  Announcement,
  Caps,
  Job,
  Paused,
  PriorityClass,
  QueueView,
  RotatedCode,
  SchedulerState,
  Seat,
  SessionInfo,
  Stats,
  Worker,
} from './api-types.ts';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The error body's message, or a plain description of the status when there is none. */
export function errorFrom(status: number, body: unknown): ApiError {
  const error = readErrorBody(body);
  if (error) return new ApiError(status, error.code, error.message, error.field);
  return new ApiError(status, 'http_error', `The server answered ${status}`);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) throw errorFrom(response.status, parsed);
  return parsed as T;
}

const seg = encodeURIComponent;

export interface JobPatch {
  priority?: PriorityClass;
  position?: number;
}

export const api = {
  session: () => request<SessionInfo>('GET', '/session'),
  login: (password: string) => request<{ role: 'admin' }>('POST', '/admin/session', { password }),
  logout: () => request<void>('DELETE', '/session'),

  jobs: (query: { state?: string; seat?: string; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    return request<{ jobs: Job[]; next_cursor: string | null }>('GET', `/jobs?${params}`);
  },
  queue: () => request<QueueView>('GET', '/queue'),
  patchJob: (id: string, patch: JobPatch) => request<Job>('PATCH', `/jobs/${seg(id)}`, patch),
  cancelJob: (id: string) => request<Job>('POST', `/jobs/${seg(id)}/cancel`, {}),

  scheduler: () => request<SchedulerState>('GET', '/admin/scheduler'),
  putScheduler: (change: { policy?: string; caps?: Partial<Caps> }) => request<SchedulerState>('PUT', '/admin/scheduler', change),
  pause: (what: Partial<Paused>) => request<SchedulerState>('POST', '/admin/pause', what),
  resume: (what: Partial<Paused>) => request<SchedulerState>('POST', '/admin/resume', what),

  workers: () => request<{ workers: Worker[] }>('GET', '/admin/workers'),
  drainWorker: (id: string) => request<Worker>('POST', `/admin/workers/${seg(id)}/drain`, {}),
  enableWorker: (id: string) => request<Worker>('POST', `/admin/workers/${seg(id)}/enable`, {}),

  seats: () => request<{ seats: Seat[] }>('GET', '/admin/seats'),
  rotateCode: (seat: string) => request<RotatedCode>('POST', `/admin/seats/${seg(seat)}/code`, {}),
  patchSeat: (seat: string, change: { disabled?: boolean; name?: string }) =>
    request<Seat>('PATCH', `/admin/seats/${seg(seat)}`, change),
  cancelSeat: (seat: string) => request<{ cancelled: number }>('POST', `/admin/seats/${seg(seat)}/cancel`, {}),

  announcements: () => request<{ announcements: Announcement[] }>('GET', '/admin/announcements'),
  announce: (text: string) => request<Announcement>('POST', '/admin/announcements', { text }),

  stats: () => request<Stats>('GET', '/admin/stats'),
};

/** The events socket's URL on this page's origin, resuming where the last one stopped. */
export function eventsUrl(location: { protocol: string; host: string }, stream: string | null, since: number): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams();
  if (stream) {
    params.set('stream', stream);
    params.set('since', String(since));
  }
  const query = params.size ? `?${params}` : '';
  return `${scheme}//${location.host}${API_BASE}/events${query}`;
}
