/** Jobs: submit, list, read, cancel, and (admin) re-prioritise or move. */
import type { FastifyInstance } from 'fastify';
import { QueueError } from '../../lib/errors.ts';
import type { JobOptions } from '../../lib/job.ts';
import type { Actor } from '../../lib/queue.ts';
import type { Caller } from '../auth/auth.ts';
import {
  JobDetailSchema,
  JobIdParamsSchema,
  JobListQuerySchema,
  JobListSchema,
  JobPatchSchema,
  JobViewSchema,
  SubmitBodySchema,
} from '../schemas.ts';
import { jobDetailView, jobView } from '../views.ts';
import { defineRoute, registerRoutes } from './define.ts';

/** A seat acts as itself (other seats' jobs do not exist for it); the admin acts for everyone. */
export const actorOf = (caller: Caller): Actor => (caller.role === 'seat' ? { seat: caller.seat } : {});

export async function jobRoutes(app: FastifyInstance): Promise<void> {
  const queue = app.queue;

  registerRoutes(app, [
    defineRoute({
      method: 'POST',
      url: '/api/v1/jobs',
      summary: 'Queue a ComfyUI prompt (201; 200 with the first job for a repeated client_request_id)',
      tag: 'jobs',
      access: 'user',
      body: SubmitBodySchema,
      responses: { 201: JobViewSchema, 200: JobViewSchema },
      async handler({ reply, caller, body }) {
        let seat: string;
        if (caller.role === 'seat') {
          if (body.seat !== undefined && body.seat !== caller.seat) {
            throw new QueueError('forbidden', 'a seat can only queue jobs for itself', { field: 'seat' });
          }
          if (body.priority === 'high' || body.priority === 'instructor') {
            throw new QueueError('forbidden', `only the instructor can queue with priority "${body.priority}"`, { field: 'priority' });
          }
          seat = caller.seat;
        } else {
          if (body.seat === undefined) throw new QueueError('invalid_request', 'the admin must say which seat the job is for', { field: 'seat' });
          seat = body.seat;
        }
        const options: JobOptions = {};
        if (body.partial_execution_targets !== undefined) options.partial_execution_targets = body.partial_execution_targets;
        if (body.preview_method !== undefined) options.preview_method = body.preview_method;
        if (body.front !== undefined) options.front = body.front;
        const result = await queue.submit({
          seat,
          prompt: body.prompt,
          workflow: body.workflow,
          options,
          ...(body.priority === undefined ? {} : { priority: body.priority }),
          ...(body.client_request_id === undefined ? {} : { clientRequestId: body.client_request_id }),
          ...(body.title === undefined ? {} : { title: body.title }),
        });
        app.cm.activity.touch(seat);
        reply.code(result.duplicate ? 200 : 201);
        return jobView(result.job, result.snapshot);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/jobs',
      summary: 'List jobs, newest first (a seat sees only its own)',
      tag: 'jobs',
      access: 'user',
      query: JobListQuerySchema,
      responses: { 200: JobListSchema },
      async handler({ caller, query }) {
        const [page, snapshot] = await Promise.all([
          queue.list(
            {
              ...(query.seat === undefined ? {} : { seat: query.seat }),
              ...(query.state === undefined || query.state.length === 0 ? {} : { states: query.state }),
              limit: query.limit ?? 50,
              ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
            },
            actorOf(caller),
          ),
          queue.snapshot(),
        ]);
        return { jobs: page.jobs.map((job) => jobView(job, snapshot)), next_cursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/jobs/:id',
      summary: 'One job, with its prompt and workflow',
      tag: 'jobs',
      access: 'user',
      params: JobIdParamsSchema,
      responses: { 200: JobDetailSchema },
      async handler({ caller, params }) {
        const job = await queue.get(params.id, actorOf(caller));
        return jobDetailView(job, await queue.snapshot());
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/jobs/:id/cancel',
      summary: 'Cancel a job (queued: at once; running: cancel_requested, then cancelled)',
      tag: 'jobs',
      access: 'user',
      params: JobIdParamsSchema,
      responses: { 200: JobViewSchema },
      async handler({ caller, params }) {
        const job = await queue.cancel(params.id, actorOf(caller));
        return jobView(job, await queue.snapshot());
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/jobs/:id',
      summary: 'Change a queued job’s priority and/or move it to a position (1 = runs next)',
      tag: 'jobs',
      access: 'admin',
      params: JobIdParamsSchema,
      body: JobPatchSchema,
      responses: { 200: JobViewSchema },
      async handler({ params, body }) {
        if (body.priority !== undefined) await queue.setPriority(params.id, body.priority);
        const snapshot = body.position !== undefined ? await queue.moveToPosition(params.id, body.position) : await queue.refresh();
        return jobView(await queue.get(params.id), snapshot);
      },
    }),
  ]);
}
