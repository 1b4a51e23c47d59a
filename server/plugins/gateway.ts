/**
 * The seat gateway, /user/<seat>/…: the participant's ComfyUI, proxied from
 * the UI upstream as that seat's ComfyUI user. It answers a few paths itself
 * (the extension's config, the user list, outputs that live in the seat's
 * store, copies of uploads) and requires the seat's session (or the admin's).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { isQueueError, QueueError } from '../../lib/errors.ts';
import { JobIdSchema } from '../../lib/job.ts';
import { safeSegments } from '../../lib/outputs/output-store.ts';
import { assertSafeRequestTarget, splitSeatUrl } from '../gateway/paths.ts';
import { proxyHttp, proxyWebSocket } from '../gateway/proxy.ts';
import { copyUpload, readBody } from '../gateway/uploads.ts';
import { UpstreamUsers } from '../gateway/upstream-users.ts';
import { loginPage, noticePage } from '../pages.ts';
import { sendFile } from '../send-file.ts';
import { setSeatCookie } from './auth.ts';
import { errorPayload, sendError } from './errors.ts';

const USERS_PATHS = new Set(['/users', '/api/users']);
const VIEW_PATHS = new Set(['/view', '/api/view']);
const UPLOAD_PATHS = new Set(['/upload/image', '/api/upload/image', '/upload/mask', '/api/upload/mask']);
const PROMPT_PATHS = new Set(['/prompt', '/api/prompt']);
const ANNOTATION = / \[(output|input|temp)\]$/;

const comfyUsers = new WeakMap<FastifyRequest, string>();

const wantsHtml = (request: FastifyRequest): boolean => request.method === 'GET' && String(request.headers.accept ?? '').includes('text/html');

export async function gatewayPlugin(app: FastifyInstance): Promise<void> {
  const cm = app.cm;
  const upstream = cm.config.ui_upstream?.url.replace(/\/+$/, '') ?? null;
  const users = upstream ? new UpstreamUsers({ upstream, seats: app.seats }) : null;
  if (users) app.addHook('onReady', async () => void users.syncAll());

  // Bodies are streamed to the upstream untouched: no parsing, no size limit but the upstream's own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const seatOf = (request: FastifyRequest): string => (request.params as { seat: string }).seat;

  async function comfyUser(seat: string): Promise<string> {
    const id = await users?.userFor(seat);
    if (!id) throw new QueueError('worker_unavailable', 'the UI upstream cannot be reached right now; try again in a moment');
    return id;
  }

  function target(request: FastifyRequest, user: string) {
    const seat = seatOf(request);
    const { sub, query } = splitSeatUrl(request.raw.url ?? '/');
    return { upstream: upstream!, path: sub + query, comfyUser: user, prefix: `/user/${seat}` };
  }

  function page(reply: FastifyReply, status: number, html: string): FastifyReply {
    return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  }

  /** Runs before the handler and before any WebSocket upgrade: seat, path hygiene, login by code, session. */
  async function gate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const seat = seatOf(request);
    try {
      if (!app.seats.has(seat)) throw new QueueError('not_found', `seat "${seat}" does not exist`, { field: 'seat' });
      assertSafeRequestTarget(request.raw.url ?? '/');
      const { sub } = splitSeatUrl(request.raw.url ?? '/');
      const code = (request.query as Record<string, unknown>)['code'];
      if (request.method === 'GET' && sub === '/' && typeof code === 'string' && !request.ws) {
        try {
          const { cookie } = await app.auth.loginSeat(seat, code, request.ip);
          setSeatCookie(app, reply, cookie);
          cm.activity.touch(seat);
          return reply.code(302).header('location', `/user/${seat}/`).send();
        } catch (error) {
          const { status, body } = errorPayload(error);
          return page(reply, status, loginPage({ seat, next: `/user/${seat}/`, error: body.message }));
        }
      }
      const caller = request.caller();
      const allowed = caller.role === 'admin' || (caller.role === 'seat' && caller.seat === seat);
      if (!allowed) {
        if (wantsHtml(request) && !request.ws) {
          const next = `/user/${seat}${sub}`;
          return reply.code(302).header('location', `/login?seat=${encodeURIComponent(seat)}&next=${encodeURIComponent(next)}`).send();
        }
        throw new QueueError(caller.role === 'anonymous' ? 'unauthorized' : 'forbidden', `this is seat ${seat}'s ComfyUI: log in with its code`);
      }
      if (caller.role === 'seat') {
        if (app.seats.get(seat)?.disabled) {
          if (wantsHtml(request)) return page(reply, 403, noticePage('Seat disabled', 'The instructor has disabled this seat.'));
          throw new QueueError('seat_disabled', `seat "${seat}" is disabled by the instructor`);
        }
        cm.activity.touch(seat);
      }
      if (request.ws) {
        if (!upstream) throw new QueueError('worker_unavailable', 'no UI upstream is configured (ui_upstream.url)');
        comfyUsers.set(request, await comfyUser(seat));
      }
    } catch (error) {
      const { status, body } = errorPayload(error);
      return sendError(reply, status, body);
    }
    return undefined;
  }

  async function serveFromSeatStore(request: FastifyRequest, reply: FastifyReply, seat: string): Promise<boolean> {
    const query = request.query as Record<string, unknown>;
    if (typeof query['filename'] !== 'string') return false;
    const filename = query['filename'].replace(ANNOTATION, '');
    const subfolder = typeof query['subfolder'] === 'string' ? query['subfolder'] : '';
    let parts: string[];
    try {
      parts = safeSegments(subfolder, 'subfolder');
      safeSegments(filename, 'filename');
    } catch {
      return false;
    }
    const jobId = parts[0];
    if (!jobId || !JobIdSchema.safeParse(jobId).success) return false;
    try {
      await app.queue.get(jobId, { seat });
    } catch (error) {
      if (isQueueError(error) && error.code === 'not_found') return false;
      throw error;
    }
    if (!(await cm.outputs.exists(seat, subfolder, filename))) return false;
    await sendFile(request, reply, cm.outputs.resolve(seat, subfolder, filename), { filename });
    return true;
  }

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const seat = seatOf(request);
    const { sub } = splitSeatUrl(request.raw.url ?? '/');
    if (sub === '/comfy-multi/config.json') {
      const info = app.seats.get(seat)!;
      return reply.header('cache-control', 'no-store').send({ api_base: '/api/v1', events_url: '/api/v1/events', seat, name: info.name, version: 1 });
    }
    if (USERS_PATHS.has(sub)) {
      if (request.method !== 'GET') throw new QueueError('forbidden', 'users are managed by comfy-multi: one per seat');
      // Without a "users" map the frontend never shows its user picker; the gateway sets Comfy-User itself.
      return reply.send({ storage: 'server', migrated: true });
    }
    if (PROMPT_PATHS.has(sub) && request.method === 'POST') {
      // Run reached the UI upstream itself: the comfy-multi extension is not active in this page.
      // Never let it run there (on the CPU, outside the queue); say so the way ComfyUI reports errors.
      const message = 'comfy-multi: this page is not sending Run to the shared queue (the comfy-multi extension is not loaded). Reload the page; if it persists, tell the instructor.';
      return reply.code(400).send({ error: { type: 'comfy_multi_extension_missing', message, details: '', extra_info: {} }, node_errors: {} });
    }
    if (VIEW_PATHS.has(sub) && (request.method === 'GET' || request.method === 'HEAD')) {
      if (await serveFromSeatStore(request, reply, seat)) return reply;
      // Uploads live under <seat>/ on the shared UI ComfyUI: another seat's folder is not yours to view.
      const query = request.query as Record<string, unknown>;
      const owner = typeof query['subfolder'] === 'string' ? query['subfolder'].split('/')[0] : '';
      if (query['type'] === 'input' && owner && owner !== seat && app.seats.has(owner)) {
        throw new QueueError('not_found', 'no such input file', { field: 'filename' });
      }
    }
    if (!upstream) throw new QueueError('worker_unavailable', 'no UI upstream is configured (ui_upstream.url)');
    const user = await comfyUser(seat);
    if (UPLOAD_PATHS.has(sub) && request.method === 'POST') {
      const body = await readBody(request.raw, cm.config.limits.upload_bytes);
      return copyUpload({ request, reply, body, target: target(request, user), seat, inputs: cm.inputs, log: request.log });
    }
    return proxyHttp(request, reply, target(request, user));
  }

  app.get('/user/:seat', (request, reply) => {
    const raw = request.raw.url ?? '';
    const q = raw.indexOf('?');
    return reply.code(301).header('location', `/user/${encodeURIComponent(seatOf(request))}/${q < 0 ? '' : raw.slice(q)}`).send();
  });

  app.route({
    method: 'GET',
    url: '/user/:seat/*',
    preValidation: gate,
    handler: handle,
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      proxyWebSocket(socket, request, target(request, comfyUsers.get(request)!));
    },
  });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/user/:seat/*', preValidation: gate, handler: handle });
}
