/**
 * Pages that are not the API: the admin panel's static build at /admin/
 * (a clear 503 when it has not been built), the seat login form at /login,
 * and / sending the instructor to the panel.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { safeSegments } from '../../lib/outputs/output-store.ts';
import { assertSafeRequestTarget } from '../gateway/paths.ts';
import { loginPage, noticePage } from '../pages.ts';
import { setSeatCookie } from './auth.ts';
import { errorPayload } from './errors.ts';

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

/** Where a successful login goes: the page the seat asked for, if it is inside its own gateway. */
function safeNext(next: unknown, seat: string): string {
  const fallback = `/user/${seat}/`;
  if (typeof next !== 'string' || !next.startsWith(fallback)) return fallback;
  try {
    assertSafeRequestTarget(next);
  } catch {
    return fallback;
  }
  return next;
}

export async function staticPlugin(app: FastifyInstance): Promise<void> {
  const dist = app.cm.adminDist;
  await app.register(fastifyStatic, { root: dist, serve: false, suppressWarning: true });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get('/', (_request, reply) => reply.code(302).header('location', '/admin/').send());
  app.get('/admin', (_request, reply) => reply.code(301).header('location', '/admin/').send());
  app.get('/admin/*', (request, reply) => {
    if (!existsSync(join(dist, 'index.html'))) {
      return html(reply, 503, noticePage('Admin panel not built', 'admin panel not built: run npm run build'));
    }
    const wanted = (request.params as { '*': string })['*'];
    let file = 'index.html';
    try {
      const parts = safeSegments(wanted, 'path');
      const candidate = join(dist, ...parts);
      if (parts.length > 0 && statSync(candidate, { throwIfNoEntry: false })?.isFile()) file = parts.join('/');
    } catch {
      // an unsafe path simply gets the app shell
    }
    // The shell must never be cached (it names the hashed bundles); the bundles may be, for long.
    const immutable = file.startsWith('assets/');
    return reply.sendFile(file, { maxAge: immutable ? 365 * 24 * 3600_000 : 0, immutable, cacheControl: true });
  });

  app.get('/login', (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const seat = typeof query['seat'] === 'string' ? query['seat'].slice(0, 40) : undefined;
    const next = typeof query['next'] === 'string' ? query['next'].slice(0, 500) : undefined;
    return html(reply, 200, loginPage({ ...(seat ? { seat } : {}), ...(next ? { next } : {}) }));
  });

  app.post('/login', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, unknown>;
    const seat = typeof form['seat'] === 'string' ? form['seat'].trim().toLowerCase() : '';
    const code = typeof form['code'] === 'string' ? form['code'] : '';
    try {
      const { cookie } = await app.auth.loginSeat(seat, code, request.ip);
      setSeatCookie(app, reply, cookie);
      app.cm.activity.touch(seat);
      return reply.code(303).header('location', safeNext(form['next'], seat)).send();
    } catch (error) {
      const { status, body } = errorPayload(error);
      const next = typeof form['next'] === 'string' ? form['next'].slice(0, 500) : undefined;
      return html(reply, status, loginPage({ seat: seat.slice(0, 40), ...(next ? { next } : {}), error: body.message }));
    }
  });
}
