/** An HTTP-level error that has no place in lib's QueueError codes (e.g. an upload over the gateway's size limit). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}
