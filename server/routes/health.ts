/** Liveness, readiness and Prometheus metrics for orchestrators and monitoring. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { QueueError } from '../../lib/errors.ts';
import { defineRoute, registerRoutes } from './define.ts';

const READY_TIMEOUT_MS = 2000;

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const cm = app.cm;
  registerRoutes(app, [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      summary: 'The process is up',
      tag: 'health',
      access: 'public',
      responses: { 200: z.object({ ok: z.literal(true) }) },
      handler: () => ({ ok: true }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      summary: 'The store answers and at least one worker can take jobs (503 otherwise)',
      tag: 'health',
      access: 'public',
      responses: { 200: z.object({ ok: z.literal(true), store: z.string(), ready_workers: z.number() }) },
      async handler() {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS);
        });
        try {
          await Promise.race([app.queue.store.counts(), timeout]);
        } catch (error) {
          throw new QueueError('store_unavailable', `the ${app.queue.store.kind} store does not answer: ${(error as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
        const ready = (cm.pool?.workers() ?? []).filter((w) => w.state === 'ready' || w.state === 'busy').length;
        if (ready === 0) throw new QueueError('worker_unavailable', 'no worker is ready', { details: { ready_workers: 0 } });
        return { ok: true, store: app.queue.store.kind, ready_workers: ready };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'health',
      access: 'public',
      responses: { 200: 'file' },
      async handler({ reply }) {
        const body = await cm.metrics.registry.metrics();
        return reply.header('content-type', cm.metrics.registry.contentType).send(body);
      },
    }),
  ]);
}
