/** The instructor's controls: scheduler, pause/resume, workers, announcements, stats, API tokens. */
import type { FastifyInstance } from 'fastify';
import { QueueError } from '../../lib/errors.ts';
import type { SchedulerSettings } from '../../lib/scheduling/settings.ts';
import { announcementJson } from '../announcements.ts';
import {
  AnnouncementBodySchema,
  AnnouncementListSchema,
  AnnouncementSchema,
  PauseBodySchema,
  SchedulerStateSchema,
  SchedulerUpdateSchema,
  StatsSchema,
  TokenCreateSchema,
  TokenSchema,
  WorkerListSchema,
  WorkerParamsSchema,
  WorkerSchema,
} from '../schemas.ts';
import { workerJson } from '../views.ts';
import { defineRoute, registerRoutes } from './define.ts';

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { queue } = app;
  const cm = app.cm;

  const schedulerState = (settings: SchedulerSettings = queue.settings) => ({
    policy: settings.policy,
    policies: queue.policyNames,
    paused: settings.paused,
    caps: { max_queued_per_seat: settings.caps.maxQueuedPerSeat, max_depth: settings.caps.maxDepth },
  });

  const pool = () => {
    if (!cm.pool) throw new QueueError('worker_unavailable', 'no worker pool is running in this server');
    return cm.pool;
  };
  const knownWorker = (id: string) => {
    const worker = pool().workers().find((w) => w.id === id);
    if (!worker) throw new QueueError('not_found', `worker "${id}" does not exist`, { field: 'id' });
    return worker;
  };

  const pauseRoute = (paused: boolean) =>
    defineRoute({
      method: 'POST',
      url: `/api/v1/admin/${paused ? 'pause' : 'resume'}`,
      summary: paused ? 'Pause new submissions and/or dispatch (both when the body is empty)' : 'Resume submissions and/or dispatch (both when empty)',
      tag: 'admin',
      access: 'admin',
      body: PauseBodySchema,
      responses: { 200: SchedulerStateSchema },
      async handler({ body }) {
        const both = body === undefined || (body.submissions === undefined && body.dispatch === undefined);
        const change: Partial<SchedulerSettings['paused']> = {};
        if (both || body?.submissions) change.submissions = paused;
        if (both || body?.dispatch) change.dispatch = paused;
        return schedulerState(await queue.updateSettings({ paused: change }));
      },
    });

  registerRoutes(app, [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/scheduler',
      summary: 'Scheduler state: policy, known policies, pause flags, caps',
      tag: 'admin',
      access: 'admin',
      responses: { 200: SchedulerStateSchema },
      handler: () => schedulerState(),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/admin/scheduler',
      summary: 'Switch the policy and/or change the caps (0 = unlimited)',
      tag: 'admin',
      access: 'admin',
      body: SchedulerUpdateSchema,
      responses: { 200: SchedulerStateSchema },
      async handler({ body }) {
        const caps: Partial<SchedulerSettings['caps']> = {};
        if (body.caps?.max_queued_per_seat !== undefined) caps.maxQueuedPerSeat = body.caps.max_queued_per_seat;
        if (body.caps?.max_depth !== undefined) caps.maxDepth = body.caps.max_depth;
        return schedulerState(await queue.updateSettings({ ...(body.policy === undefined ? {} : { policy: body.policy }), caps }));
      },
    }),
    pauseRoute(true),
    pauseRoute(false),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/workers',
      summary: 'Every worker with its state, current job, health and memory',
      tag: 'admin',
      access: 'admin',
      responses: { 200: WorkerListSchema },
      handler: () => ({ workers: (cm.pool?.workers() ?? []).map((w) => workerJson(w, cm.hub.previewUrl(w.id))) }),
    }),
    ...(['drain', 'enable'] as const).map((action) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/admin/workers/:id/${action}`,
        summary: action === 'drain' ? 'Let the worker finish its job, then take no more' : 'Give the worker jobs again',
        tag: 'admin',
        access: 'admin',
        params: WorkerParamsSchema,
        responses: { 200: WorkerSchema },
        async handler({ params }) {
          knownWorker(params.id);
          const worker = action === 'drain' ? await pool().drain(params.id) : await pool().enable(params.id);
          return workerJson(worker, cm.hub.previewUrl(worker.id));
        },
      }),
    ),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/workers/:id/preview',
      summary: 'The last live preview image the worker produced',
      tag: 'admin',
      access: 'admin',
      params: WorkerParamsSchema,
      responses: { 200: 'file' },
      handler({ reply, params }) {
        const preview = cm.hub.lastPreview(params.id);
        if (!preview) throw new QueueError('not_found', `worker "${params.id}" has no preview yet`, { field: 'id' });
        return reply.header('content-type', preview.type).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(Buffer.from(preview.image));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/announcements',
      summary: 'Show a message to every participant',
      tag: 'admin',
      access: 'admin',
      body: AnnouncementBodySchema,
      responses: { 200: AnnouncementSchema },
      async handler({ body }) {
        return announcementJson(await cm.announcements.post(body.text));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/announcements',
      summary: 'Recent announcements, oldest first',
      tag: 'admin',
      access: 'admin',
      responses: { 200: AnnouncementListSchema },
      handler: () => ({ announcements: cm.announcements.list().map(announcementJson) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/stats',
      summary: 'The last hour in 1-minute buckets: depth, waits, jobs per seat, worker utilisation, totals',
      tag: 'admin',
      access: 'admin',
      responses: { 200: StatsSchema },
      handler: () => cm.stats.report(),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/tokens',
      summary: 'Create an API token for an integration (shown once)',
      tag: 'admin',
      access: 'admin',
      body: TokenCreateSchema,
      responses: { 200: TokenSchema },
      async handler({ body }) {
        if (body.role === 'seat' && !app.seats.has(body.seat!)) {
          throw new QueueError('not_found', `seat "${body.seat}" does not exist`, { field: 'seat' });
        }
        const { token, record } = await cm.tokens.create({ name: body.name, role: body.role, seat: body.seat ?? null });
        return { token, name: record.name, role: record.role, seat: record.seat };
      },
    }),
  ]);
}
