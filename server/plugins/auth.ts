/**
 * Cookies and callers: parses cookies, gives every request a memoised
 * `request.caller()`, and knows how to set and clear the session cookies.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_SESSION_MS, type Caller, SEAT_SESSION_MS } from '../auth/auth.ts';
import { ADMIN_COOKIE, SEAT_COOKIE } from '../auth/sessions.ts';
import { shared } from './shared.ts';

const resolved = new WeakMap<FastifyRequest, Caller>();

export const authPlugin = shared(async function auth(app: FastifyInstance) {
  await app.register(cookie);
  app.decorateRequest('caller', function caller(this: FastifyRequest): Caller {
    let value = resolved.get(this);
    if (!value) {
      const query = this.query as Record<string, unknown> | undefined;
      const queryToken = typeof query?.['token'] === 'string' && this.url.startsWith('/api/v1/events') ? query['token'] : undefined;
      value = app.auth.resolve({ authorization: this.headers.authorization, cookies: this.cookies ?? {}, queryToken });
      resolved.set(this, value);
    }
    return value;
  });
});

function cookieOptions(app: FastifyInstance, maxAgeMs: number) {
  const secure = app.cm.config.secure_cookies ?? app.cm.publicUrl.startsWith('https://');
  return { httpOnly: true, sameSite: 'lax' as const, path: '/', secure, maxAge: Math.floor(maxAgeMs / 1000) };
}

export function setSeatCookie(app: FastifyInstance, reply: FastifyReply, value: string): void {
  reply.setCookie(SEAT_COOKIE, value, cookieOptions(app, SEAT_SESSION_MS));
}

export function setAdminCookie(app: FastifyInstance, reply: FastifyReply, value: string): void {
  reply.setCookie(ADMIN_COOKIE, value, cookieOptions(app, ADMIN_SESSION_MS));
}

export function clearSessionCookies(app: FastifyInstance, reply: FastifyReply): void {
  const options = { ...cookieOptions(app, 0), maxAge: 0, expires: new Date(0) };
  reply.setCookie(SEAT_COOKIE, '', options);
  reply.setCookie(ADMIN_COOKIE, '', options);
}
