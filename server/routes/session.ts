/** Logging in and out: seats with their access code, the instructor with the admin password. */
import type { FastifyInstance } from 'fastify';
import { clearSessionCookies, setAdminCookie, setSeatCookie } from '../plugins/auth.ts';
import { AdminLoginResultSchema, AdminLoginSchema, SeatLoginResultSchema, SeatLoginSchema, SessionInfoSchema } from '../schemas.ts';
import { defineRoute, registerRoutes } from './define.ts';

export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  registerRoutes(app, [
    defineRoute({
      method: 'POST',
      url: '/api/v1/session',
      summary: 'Log a seat in with its access code (sets the cm_seat cookie)',
      tag: 'sessions',
      access: 'public',
      body: SeatLoginSchema,
      responses: { 200: SeatLoginResultSchema },
      async handler({ request, reply, body }) {
        const { info, cookie } = await app.auth.loginSeat(body.seat, body.code, request.ip);
        setSeatCookie(app, reply, cookie);
        app.cm.activity.touch(info.id);
        return { seat: info.id, name: info.name };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/session',
      summary: 'Who am I',
      tag: 'sessions',
      access: 'user',
      responses: { 200: SessionInfoSchema },
      handler({ caller }) {
        if (caller.role === 'seat') {
          const name = app.seats.get(caller.seat)?.name ?? caller.seat;
          return caller.via === 'token' ? { role: 'token', seat: caller.seat, name } : { role: 'seat', seat: caller.seat, name };
        }
        return caller.role === 'admin' && caller.via === 'token' ? { role: 'token', name: caller.tokenName } : { role: 'admin' };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/session',
      summary: 'Log out (clears both session cookies)',
      tag: 'sessions',
      access: 'public',
      responses: { 204: null },
      handler({ reply }) {
        clearSessionCookies(app, reply);
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/session',
      summary: 'Log the instructor in (sets the cm_admin cookie)',
      tag: 'sessions',
      access: 'public',
      body: AdminLoginSchema,
      responses: { 200: AdminLoginResultSchema },
      handler({ request, reply, body }) {
        setAdminCookie(app, reply, app.auth.loginAdmin(body.password, request.ip));
        return { role: 'admin' };
      },
    }),
  ]);
}
