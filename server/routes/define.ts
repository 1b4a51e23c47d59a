/**
 * One declaration per /api/v1 route: method, path, who may call it, zod
 * schemas for params/query/body/response. The same declaration registers the
 * Fastify route, validates the request and feeds the OpenAPI document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { QueueError } from '../../lib/errors.ts';
import type { Access, Caller } from '../auth/auth.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<P, Q, B> {
  request: FastifyRequest;
  reply: FastifyReply;
  caller: Caller;
  params: P;
  query: Q;
  body: B;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Fastify syntax: /api/v1/jobs/:id */
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Status -> body schema; 'file' for a download, null for an empty body. */
  responses: Record<number, z.ZodType | 'file' | null>;
  handler: (context: RouteContext<P, Q, B>) => unknown;
}

/**
 * Checks one route's handler against its own schemas, then erases the types:
 * at run time the handler only ever receives what those schemas parsed.
 */
export function defineRoute<P = unknown, Q = unknown, B = unknown>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}

/** Validates one part of the request; the first issue names the field. */
export function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: 'params' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : part;
  const where = issue.path.length ? field : part === 'body' ? 'request body' : part;
  throw new QueueError(part === 'params' && issue.path[0] === 'id' ? 'not_found' : 'invalid_request', `${where}: ${issue.message}`, { field });
}

export function registerRoutes(app: FastifyInstance, defs: RouteDef[]): void {
  for (const def of defs) {
    app.cm.routes.push(def);
    app.route({
      method: def.method,
      url: def.url,
      handler: async (request, reply) => {
        const caller = request.caller();
        app.auth.require(caller, def.access);
        if (caller.role === 'seat') app.cm.activity.touch(caller.seat);
        const params = parsePart(def.params, request.params, 'params');
        const query = parsePart(def.query, request.query, 'query');
        const body = parsePart(def.body, request.body, 'body');
        return def.handler({ request, reply, caller, params, query, body });
      },
    });
  }
}
