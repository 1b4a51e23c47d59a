/**
 * One error shape everywhere: {"error": {code, message, field?, details?}} with
 * the right status, never a stack trace. Covers thrown QueueErrors, Fastify's
 * own errors (bad JSON, oversized or unsupported bodies, bad URLs), unknown
 * routes and anything unexpected (logged, answered as a plain 500).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isQueueError } from '../../lib/errors.ts';
import { HttpError } from '../http-error.ts';
import { shared } from './shared.ts';

export interface ErrorPayload {
  code: string;
  message: string;
  field?: string;
  details?: unknown;
}

export function sendError(reply: FastifyReply, status: number, error: ErrorPayload): FastifyReply {
  const retry = (error.details as { retry_after?: unknown } | undefined)?.retry_after;
  if (typeof retry === 'number') reply.header('retry-after', String(retry));
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

/** Fastify error codes that are the client's fault, with what we answer. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_request' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: 'the URL is not valid' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'invalid_request' },
};

export function errorPayload(error: unknown): { status: number; body: ErrorPayload } {
  if (isQueueError(error)) return { status: error.status, body: error.toJSON() };
  if (error instanceof HttpError) {
    return { status: error.status, body: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  }
  const fastifyError = error as Partial<FastifyError> & { status?: number };
  const known = fastifyError.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (known) return { status: known.status, body: { code: known.code, message: known.message ?? cleanMessage(fastifyError.message) } };
  const status = fastifyError.statusCode ?? fastifyError.status;
  if (error instanceof SyntaxError || (typeof status === 'number' && status >= 400 && status < 500)) {
    const code = error instanceof SyntaxError ? 'invalid_json' : status === 413 ? 'body_too_large' : 'invalid_request';
    return { status: error instanceof SyntaxError ? 400 : status!, body: { code, message: cleanMessage(fastifyError.message) } };
  }
  return { status: 500, body: { code: 'internal', message: 'internal error; the server log has the details' } };
}

const cleanMessage = (message: string | undefined): string => (message ?? 'bad request').replace(/^FST_\w+:\s*/, '').slice(0, 300);

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = errorPayload(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  return sendError(reply, status, body);
}

/**
 * Requests Node cannot even parse (no body framing, oversized headers, a
 * timeout) never reach a route; they get the same error shape, written raw.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message = status === 408 ? 'the request took too long' : status === 431 ? 'the request headers are too large' : 'the request is not valid HTTP';
  const body = JSON.stringify({ error: { code: status === 408 ? 'timeout' : 'invalid_request', message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export const errorsPlugin = shared(async function errors(app: FastifyInstance) {
  app.setErrorHandler((error, request, reply) => handleError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}` }),
  );
  // An empty body with a JSON content type is "no body" (POST /cancel from fetch wrappers), not an error.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '') done(null, undefined);
    else json(request, text, done);
  });
});
