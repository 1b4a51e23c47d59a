/** GET /api/v1/events: the WebSocket event stream (see events-hub.ts and docs/api.md). */
import type { FastifyInstance } from 'fastify';
import { QueueError } from '../../lib/errors.ts';
import { parsePart } from '../routes/define.ts';
import { EventsQuerySchema } from '../schemas.ts';
import { handleError } from './errors.ts';

export async function eventsPlugin(app: FastifyInstance): Promise<void> {
  app.route({
    method: 'GET',
    url: '/api/v1/events',
    // Runs before the upgrade, so a refused socket gets a plain HTTP error response.
    preValidation: async (request, reply) => {
      try {
        app.auth.require(request.caller(), 'user');
        parsePart(EventsQuerySchema, request.query, 'query');
      } catch (error) {
        return handleError(error, request, reply);
      }
    },
    handler: async () => {
      throw new QueueError('invalid_request', 'this is a WebSocket endpoint: connect with a WebSocket client');
    },
    wsHandler: (socket, request) => {
      const caller = request.caller();
      const viewer = app.auth.viewerOf(caller)!;
      if (viewer.role === 'seat') app.cm.activity.touch(viewer.seat);
      const query = parsePart(EventsQuerySchema, request.query, 'query');
      void app.cm.hub.connect(socket, viewer, { since: query.since, stream: query.stream });
    },
  });
}
