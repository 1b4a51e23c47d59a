/** The instructor's view of the seats: list, rename, disable, new code, cancel everything. */
import type { FastifyInstance } from 'fastify';
import { isQueueError, QueueError } from '../../lib/errors.ts';
import type { SeatInfo } from '../../lib/seats/seat-directory.ts';
import { CancelledSchema, SeatCodeSchema, SeatListSchema, SeatParamsSchema, SeatPatchSchema, SeatSchema } from '../schemas.ts';
import { iso, seatUrl } from '../views.ts';
import { defineRoute, registerRoutes } from './define.ts';

/** A seat counts as online while it has an event stream open or was active in the last two minutes. */
const ONLINE_MS = 120_000;

export async function adminSeatRoutes(app: FastifyInstance): Promise<void> {
  const cm = app.cm;

  async function seatJson(infos: SeatInfo[]) {
    const counts = await app.queue.store.counts();
    const online = cm.hub.onlineSeats();
    const now = Date.now();
    return infos.map((info) => {
      const last = cm.activity.last(info.id);
      const totals = cm.stats.seat(info.id);
      return {
        seat: info.id,
        name: info.name,
        disabled: info.disabled,
        online: online.has(info.id) || (last !== null && now - last < ONLINE_MS),
        queued: counts.queuedBySeat[info.id] ?? 0,
        running: counts.activeBySeat[info.id] ?? 0,
        done: totals.done,
        outputs: totals.outputs,
        last_activity: iso(last),
        url: seatUrl(cm.publicUrl, info.id),
      };
    });
  }

  const seatOr404 = (seat: string): SeatInfo => {
    const info = app.seats.get(seat);
    if (!info) throw new QueueError('not_found', `seat "${seat}" does not exist`, { field: 'seat' });
    return info;
  };

  registerRoutes(app, [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/seats',
      summary: 'Every seat with its activity and job counts',
      tag: 'admin',
      access: 'admin',
      responses: { 200: SeatListSchema },
      async handler() {
        return { seats: await seatJson(app.seats.list()) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/seats/:seat/code',
      summary: 'Issue a new access code (the old one and its sessions stop working); the only time it is shown',
      tag: 'admin',
      access: 'admin',
      params: SeatParamsSchema,
      responses: { 200: SeatCodeSchema },
      async handler({ params }) {
        const code = await app.seats.rotate(params.seat);
        return { seat: params.seat, code, url: seatUrl(cm.publicUrl, params.seat, code) };
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/admin/seats/:seat',
      summary: 'Rename or disable/enable a seat',
      tag: 'admin',
      access: 'admin',
      params: SeatParamsSchema,
      body: SeatPatchSchema,
      responses: { 200: SeatSchema },
      async handler({ params, body }) {
        const info = await app.seats.update(params.seat, {
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.disabled === undefined ? {} : { disabled: body.disabled }),
        });
        return (await seatJson([info]))[0];
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/seats/:seat/cancel',
      summary: 'Cancel every queued and running job of a seat',
      tag: 'admin',
      access: 'admin',
      params: SeatParamsSchema,
      responses: { 200: CancelledSchema },
      async handler({ params }) {
        seatOr404(params.seat);
        let cancelled = 0;
        let cursor: string | undefined;
        do {
          const page = await app.queue.list({
            seat: params.seat,
            states: ['queued', 'dispatching', 'running'],
            limit: 500,
            ...(cursor ? { cursor } : {}),
          });
          for (const job of page.jobs) {
            try {
              await app.queue.cancel(job.id);
              cancelled++;
            } catch (error) {
              if (!isQueueError(error)) throw error; // finished meanwhile: nothing to cancel
            }
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return { cancelled };
      },
    }),
  ]);
}
