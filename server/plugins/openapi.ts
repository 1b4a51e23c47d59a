/**
 * /api/v1/openapi.json, generated from the same zod schemas the routes
 * validate with (zod 4's z.toJSONSchema, JSON Schema 2020-12 = OpenAPI 3.1),
 * and /api/v1/docs, a plain page listing every endpoint.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDef } from '../routes/define.ts';
import { ErrorBodySchema, EventEnvelopeSchema, EventsQuerySchema, PreviewHeaderSchema } from '../schemas.ts';

type Json = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
};

const SECURITY: Record<RouteDef['access'], Json[]> = {
  public: [],
  user: [{ seatCookie: [] }, { adminCookie: [] }, { bearer: [] }],
  admin: [{ adminCookie: [] }, { bearer: [] }],
};

const ERRORS: Record<string, string> = {
  '400': 'Bad input',
  '401': 'Not logged in',
  '403': 'Not allowed',
  '404': 'Unknown (also another seat’s job)',
  '409': 'Wrong state',
  '413': 'Too large',
  '429': 'Cap or rate limit (Retry-After on login limits)',
  '503': 'No store or worker',
};

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name: name === '*' ? 'path' : name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function operation(def: RouteDef): Json {
  const responses: Json = {};
  for (const [status, schema] of Object.entries(def.responses)) {
    if (schema === null) responses[status] = { description: 'No content' };
    else if (schema === 'file') responses[status] = { description: 'A file', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } };
    else responses[status] = { description: 'OK', content: { 'application/json': { schema: toSchema(schema, 'output') } } };
  }
  for (const [status, description] of Object.entries(ERRORS)) {
    responses[status] ??= { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    summary: def.summary,
    tags: [def.tag],
    security: SECURITY[def.access],
    parameters: [...parameters(def.params, 'path'), ...parameters(def.query, 'query')],
    ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(def.body, 'input') } } } } : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly RouteDef[], serverUrl: string): Json {
  const paths: Record<string, Json> = {};
  for (const def of routes) {
    const path = def.url.replace(/:(\w+)/g, '{$1}').replace('*', '{path}');
    paths[path] ??= {};
    paths[path]![def.method.toLowerCase()] = operation(def);
  }
  paths['/api/v1/events'] = {
    get: {
      summary: 'WebSocket event stream: text frames are EventEnvelope, binary frames are previews (u32 BE header length + PreviewHeader JSON + image)',
      tags: ['events'],
      security: SECURITY.user,
      parameters: parameters(EventsQuerySchema, 'query'),
      responses: { '101': { description: 'Switching to the WebSocket protocol' }, '401': { description: ERRORS['401'] } },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'comfy-multi', version: '1', description: 'Shared fair queue for many ComfyUI users. See docs/api.md.' },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        seatCookie: { type: 'apiKey', in: 'cookie', name: 'cm_seat' },
        adminCookie: { type: 'apiKey', in: 'cookie', name: 'cm_admin' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: toSchema(ErrorBodySchema, 'output'),
        EventEnvelope: toSchema(EventEnvelopeSchema, 'output'),
        PreviewHeader: toSchema(PreviewHeaderSchema, 'output'),
      },
    },
  };
}

const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export async function openApiPlugin(app: FastifyInstance): Promise<void> {
  let cached: Json | null = null;
  const document = (): Json => {
    cached ??= openApiDocument(app.cm.routes, app.cm.publicUrl);
    return cached;
  };
  app.get('/api/v1/openapi.json', (_request, reply) => reply.header('cache-control', 'no-cache').send(document()));
  app.get('/api/v1/docs', (_request, reply) => {
    const rows = Object.entries(document()['paths'] as Record<string, Record<string, Json>>)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => {
          const security = (op['security'] as Json[]).map((s) => Object.keys(s)[0]).join(', ') || 'public';
          return `<tr><td><b>${method.toUpperCase()}</b></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(String(op['summary']))}</td><td>${security}</td></tr>`;
        }),
      )
      .join('\n');
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>comfy-multi API v1</title>
<style>body{font:15px/1.45 system-ui,sans-serif;margin:2rem;max-width:80rem}td{padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}code{font-size:.9em}</style></head>
<body><h1>comfy-multi API v1</h1><p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1). Errors are always <code>{"error": {"code", "message", "field"?, "details"?}}</code>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>who</th></tr>${rows}</table></body></html>`);
  });
}
