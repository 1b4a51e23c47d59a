/**
 * Assembles and runs a whole server from a loaded config: store, queue, seats,
 * secrets, output/input folders, the worker pool, the app; and takes it all
 * down again in the right order. Jobs are never touched on the way down: a
 * running job stays running in the store and is reconciled at the next start.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { OutputStore } from '../lib/outputs/output-store.ts';
import { InputStager } from '../lib/pool/input-stager.ts';
import { createQueue, type Queue } from '../lib/queue.ts';
import type { SeatDirectory } from '../lib/seats/seat-directory.ts';
import { buildApp } from './app.ts';
import { SessionSigner } from './auth/sessions.ts';
import { ApiTokens } from './auth/tokens.ts';
import { type LoadedConfig, publicUrl } from './config.ts';
import type { PoolHandle } from './context.ts';
import type { PoolFactoryContext } from './pool-factory.ts';
import { openSeats, openStore } from './stores.ts';

export interface StartOptions {
  /** Builds the worker pool; default none (the API works, nothing executes). */
  createPool?: (context: PoolFactoryContext) => Promise<PoolHandle | null>;
  logger?: FastifyServerOptions['logger'];
  adminDist?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:43121 */
  url: string;
  port: number;
  publicUrl: string;
  queue: Queue;
  seats: SeatDirectory;
  pool: PoolHandle | null;
  /** Codes issued at this start (seats that had none); the only time they exist in clear. */
  issuedCodes: Map<string, string>;
  /** Graceful: stop accepting, finish in-flight requests, close sockets, stop the pool; jobs are left as they are. */
  close(): Promise<void>;
}

export async function startServer(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningServer> {
  const { config, dataDir } = loaded;
  await mkdir(dataDir, { recursive: true });
  const store = openStore(config, dataDir);
  const cleanups: (() => Promise<void>)[] = [() => store.close()];
  const unwind = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const { directory: seats, issued } = await openSeats(config, dataDir);
    const queue = await createQueue({
      store,
      settings: {
        policy: config.scheduler.policy,
        caps: { maxQueuedPerSeat: config.scheduler.caps.max_queued_per_seat, maxDepth: config.scheduler.caps.max_depth },
      },
      limits: { maxPromptBytes: config.limits.prompt_bytes, maxWorkflowBytes: config.limits.workflow_bytes, maxNodes: config.limits.max_nodes },
      seatStatus: (seat) => seats.status(seat),
    });
    cleanups.push(() => queue.close());
    const outputs = new OutputStore({ root: join(dataDir, 'outputs') });
    const inputs = new InputStager({ root: join(dataDir, 'inputs') });
    const pool = (await options.createPool?.({ config, queue, outputs, inputs })) ?? null;
    if (pool) cleanups.push(() => pool.stop());
    const app = await buildApp({
      config,
      dataDir,
      publicUrl: publicUrl(config),
      queue,
      seats,
      tokens: new ApiTokens({ path: join(dataDir, 'tokens.json') }),
      signer: await SessionSigner.load(join(dataDir, 'session.key')),
      outputs,
      inputs,
      pool,
      ...(options.adminDist ? { adminDist: options.adminDist } : {}),
      logger: options.logger ?? { level: config.log_level },
    });
    cleanups.push(() => app.close());
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listen.port;
    // With port 0 the printed and answered URLs can only be known now.
    app.cm.publicUrl = publicUrl(config, port);
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    let closing: Promise<void> | null = null;
    return {
      app,
      url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
      port,
      publicUrl: publicUrl(config, port),
      queue,
      seats,
      pool,
      issuedCodes: issued,
      close: () => {
        closing ??= unwind();
        return closing;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** Closes the server on SIGTERM/SIGINT (a second signal exits at once). */
export function closeOnSignals(server: RunningServer, onClosed?: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`\n${signal}: finishing requests and stopping (jobs are kept)…\n`);
    server
      .close()
      .then(() => onClosed?.())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
