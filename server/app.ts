/**
 * Builds the Fastify app from its plugins and routes. Everything it drives is
 * handed in (queue, seats, stores, the optional worker pool), so tests and
 * embedders assemble it their way; server/runtime.ts assembles it from the config.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { OutputStore } from '../lib/outputs/output-store.ts';
import type { InputStager } from '../lib/pool/input-stager.ts';
import type { Queue } from '../lib/queue.ts';
import type { SeatDirectory } from '../lib/seats/seat-directory.ts';
import { Announcements } from './announcements.ts';
import { Auth } from './auth/auth.ts';
import type { SessionSigner } from './auth/sessions.ts';
import type { ApiTokens } from './auth/tokens.ts';
import type { Config } from './config.ts';
import type { PoolHandle, ServerContext } from './context.ts';
import { EventsHub } from './events-hub.ts';
import { Metrics } from './metrics.ts';
import { authPlugin } from './plugins/auth.ts';
import { clientErrorHandler, errorPayload, errorsPlugin, sendError } from './plugins/errors.ts';
import { eventsPlugin } from './plugins/events.ts';
import { gatewayPlugin } from './plugins/gateway.ts';
import { openApiPlugin } from './plugins/openapi.ts';
import { staticPlugin } from './plugins/static.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminSeatRoutes } from './routes/admin-seats.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { outputRoutes } from './routes/outputs.ts';
import { queueRoutes } from './routes/queue.ts';
import { sessionRoutes } from './routes/session.ts';
import { Activity, Stats } from './stats.ts';

export const DEFAULT_ADMIN_DIST = fileURLToPath(new URL('../web-admin/dist/', import.meta.url));

export interface AppOptions {
  config: Config;
  dataDir: string;
  publicUrl: string;
  queue: Queue;
  seats: SeatDirectory;
  tokens: ApiTokens;
  signer: SessionSigner;
  outputs: OutputStore;
  inputs: InputStager;
  /** The worker pool; without one the API still queues, lists, cancels and reorders. */
  pool?: PoolHandle | null;
  adminDist?: string;
  logger?: FastifyServerOptions['logger'];
  /** Interval of the stats sampler (tests shorten it). */
  statsSampleMs?: number;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, queue } = options;
  const pool = options.pool ?? null;
  const announcements = new Announcements({ store: queue.store, file: join(options.dataDir, 'announcements.json') });
  announcements.init();
  const metrics = new Metrics({ queue, pool: () => pool });
  const hub = new EventsHub({ queue, announcements, onSent: (type) => metrics.eventSent(type) });
  if (pool) hub.attachPool(pool.events);
  const stats = new Stats({ queue, pool: () => pool, ...(options.statsSampleMs ? { sampleMs: options.statsSampleMs } : {}) });
  const auth = new Auth({
    seats: options.seats,
    tokens: options.tokens,
    signer: options.signer,
    adminPassword: config.admin.password,
    loginPerIpPerMinute: config.limits.login_per_ip_per_minute,
    loginFailuresPerSeat: config.limits.login_failures_per_seat,
  });
  const context: ServerContext = {
    config,
    dataDir: options.dataDir,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    queue,
    seats: options.seats,
    auth,
    tokens: options.tokens,
    outputs: options.outputs,
    inputs: options.inputs,
    announcements,
    hub,
    stats,
    metrics,
    activity: new Activity(),
    pool,
    routes: [],
    adminDist: options.adminDist ?? DEFAULT_ADMIN_DIST,
  };

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: config.limits.body_bytes,
    trustProxy: config.trust_proxy,
    routerOptions: { maxParamLength: 2000 },
    clientErrorHandler,
    // During shutdown a request on an open connection is still served (with our error shapes), then its connection closes.
    return503OnClosing: false,
    // Fastify's own early errors (a malformed URL) get our error shape too.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = errorPayload(error);
      sendError(reply, status, body);
    },
  });
  app.decorate('cm', context);
  app.decorate('queue', queue);
  app.decorate('seats', options.seats);
  app.decorate('auth', auth);

  await app.register(errorsPlugin);
  await app.register(websocket, {
    options: { maxPayload: 1024 * 1024 },
    // "Going away" (1001) tells browsers to reconnect (and resume) rather than treat it as an error.
    preClose(this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) {
        client.close(1001, 'server shutting down');
        setTimeout(() => client.terminate(), 1000).unref();
      }
      this.websocketServer.close(() => done());
    },
  });
  // Requests in flight when shutdown starts close their keep-alive connection after answering,
  // so the server stops as soon as they are done instead of waiting out the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  await app.register(authPlugin);
  await app.register(sessionRoutes);
  await app.register(jobRoutes);
  await app.register(outputRoutes);
  await app.register(queueRoutes);
  await app.register(adminRoutes);
  await app.register(adminSeatRoutes);
  await app.register(healthRoutes);
  await app.register(eventsPlugin);
  await app.register(openApiPlugin);
  await app.register(gatewayPlugin);
  await app.register(staticPlugin);

  app.addHook('onClose', async () => {
    hub.close();
    stats.stop();
    metrics.stop();
    announcements.close();
  });
  await stats.start();
  return app;
}
