/**
 * What the server's plugins and routes share: the queue, seats, auth, the
 * events hub, output store and (when there is one) the worker pool, plus the
 * Fastify type augmentations that expose them as decorators.
 */
import type { OutputStore } from '../lib/outputs/output-store.ts';
import type { InputStager } from '../lib/pool/input-stager.ts';
import type { WorkerView } from '../lib/pool/types.ts';
import type { Queue } from '../lib/queue.ts';
import type { SeatDirectory } from '../lib/seats/seat-directory.ts';
import type { Announcements } from './announcements.ts';
import type { Auth, Caller } from './auth/auth.ts';
import type { ApiTokens } from './auth/tokens.ts';
import type { Config } from './config.ts';
import type { EventsHub, PoolEventSource } from './events-hub.ts';
import type { Metrics } from './metrics.ts';
import type { RouteDef } from './routes/define.ts';
import type { Activity, Stats } from './stats.ts';

/** The worker pool as the server uses it (the lead's lib/pool/worker-pool.ts satisfies this). */
export interface PoolHandle {
  events: PoolEventSource;
  workers(): WorkerView[];
  drain(id: string): Promise<WorkerView>;
  enable(id: string): Promise<WorkerView>;
  stop(): Promise<void>;
}

export interface ServerContext {
  config: Config;
  dataDir: string;
  /** e.g. https://gpu.example.org (no trailing slash). */
  publicUrl: string;
  queue: Queue;
  seats: SeatDirectory;
  auth: Auth;
  tokens: ApiTokens;
  outputs: OutputStore;
  /** The seats' input folders (<data>/inputs/<seat>/…), where gateway uploads are copied. */
  inputs: InputStager;
  announcements: Announcements;
  hub: EventsHub;
  stats: Stats;
  metrics: Metrics;
  activity: Activity;
  pool: PoolHandle | null;
  /** Every /api/v1 route, for the OpenAPI document. */
  routes: RouteDef[];
  /** Folder of the admin panel's build (web-admin/dist). */
  adminDist: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    cm: ServerContext;
    queue: Queue;
    seats: SeatDirectory;
    auth: Auth;
  }
  interface FastifyRequest {
    /** Resolves (once) who is calling; throws 401 for a bad bearer token. */
    caller(): Caller;
  }
}
