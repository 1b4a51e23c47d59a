/**
 * Errors are values: a stable machine code, a message a person can act on, and
 * (where one input is at fault) the field that caused it. The HTTP layer maps
 * codes to status codes with `statusForCode`; nothing here knows about HTTP.
 */

export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_prompt: 400,
  prompt_too_large: 413,
  too_many_nodes: 413,
  unknown_seat: 404,
  seat_disabled: 403,
  seat_cap: 429,
  queue_full: 429,
  submissions_paused: 409,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  forbidden: 403,
  unauthorized: 401,
  rate_limited: 429,
  input_missing: 400,
  worker_unavailable: 503,
  store_unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
  /** Extra machine-readable detail, e.g. ComfyUI's own node_errors. */
  details?: unknown;
}

export class QueueError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { field?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QueueError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.field !== undefined) body.field = this.field;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

export function isQueueError(value: unknown): value is QueueError {
  return value instanceof QueueError;
}

export function statusForCode(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** A schema issue ({path, message}, as zod reports it) as an `invalid_request` naming the field. */
export function zodIssueError(issue: { path: readonly PropertyKey[]; message: string }, fallbackField: string, prefix: readonly string[] = []): QueueError {
  const field = [...prefix, ...issue.path.map(String)].join('.') || fallbackField;
  return new QueueError('invalid_request', `${field}: ${issue.message}`, { field });
}
