/** The queue as the caller may see it: positions and ETAs, other seats anonymised. */
import type { FastifyInstance } from 'fastify';
import { QueueViewSchema } from '../schemas.ts';
import { queueView } from '../views.ts';
import { defineRoute, registerRoutes } from './define.ts';

export async function queueRoutes(app: FastifyInstance): Promise<void> {
  registerRoutes(app, [
    defineRoute({
      method: 'GET',
      url: '/api/v1/queue',
      summary: 'Queue state: policy, pause flags, depth and every queued position (others anonymous for a seat)',
      tag: 'queue',
      access: 'user',
      responses: { 200: QueueViewSchema },
      async handler({ caller }) {
        return queueView(await app.queue.snapshot(), app.auth.viewerOf(caller)!);
      },
    }),
  ]);
}
