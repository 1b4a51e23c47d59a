/**
 * Reading the body of a comfy-multi error answer (docs/api.md: every error is
 * `{error: {code, message, field?, details?}}`). Browser-safe, shared by the
 * extension's and the admin panel's API clients; each keeps its own fallback for
 * a body that is not one (a proxy's HTML page, an empty answer).
 */

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; details?: unknown };
}

export interface ErrorFields {
  code: string;
  message: string;
  field: string | undefined;
  details: unknown;
}

/** The error's fields when the body carries a message (a missing code reads as 'error'); null otherwise. */
export function readErrorBody(body: unknown): ErrorFields | null {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message, field, details } = error as { code?: unknown; message?: unknown; field?: unknown; details?: unknown };
  if (typeof message !== 'string') return null;
  return { code: typeof code === 'string' ? code : 'error', message, field: typeof field === 'string' ? field : undefined, details };
}
