/**
 * Runs a real `redis-server` for tests: a free loopback port, a fresh temp dir,
 * AOF with fsync on every write (so a SIGKILL loses nothing that was acknowledged).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

export interface RedisServerHandle {
  url: string;
  port: number;
  dir: string;
  /** Graceful shutdown; the temp dir is removed. */
  stop(): Promise<void>;
  /** Stop and start again on the same port and dir; data is reloaded from the AOF. */
  restart(): Promise<void>;
  /** SIGKILL, no shutdown; the dir is kept so `restart()` can bring the data back. */
  kill(): Promise<void>;
}

export interface RedisServerOptions {
  /** Default true: `appendonly yes`, `appendfsync always`. */
  appendonly?: boolean;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`redis-server not found at ${REDIS_SERVER}: install it (apt-get install redis-server) or set REDIS_SERVER`);
  }
  const appendonly = options.appendonly ?? true;
  const dir = await mkdtemp(join(tmpdir(), 'cm-redis-'));
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--daemonize', 'no',
    '--dir', dir,
    '--save', '',
    '--appendonly', appendonly ? 'yes' : 'no',
    '--appendfsync', 'always',
    '--logfile', '',
    '--loglevel', 'warning',
  ];
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    // redis-server logs to stdout (`--logfile ''`); kept for the error message if it fails to start.
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    child = proc;
    const exited = once(proc, 'exit').then(([code]) => {
      throw new Error(`redis-server exited (code ${code}) before answering PING: ${output.trim()}`);
    });
    exited.catch(() => {});
    await Promise.race([waitForPing(port), exited]);
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    await halt('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const cleanupOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', cleanupOnExit);

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      process.off('exit', cleanupOnExit);
      await halt('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt('SIGTERM');
      await launch();
    },
    async kill() {
      await halt('SIGKILL');
    },
  };
}

/** A port that was free a moment ago on 127.0.0.1 (for programs that need the number up front). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

/** Polls with a raw RESP PING so the helper does not depend on the client under test. */
async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // While loading the AOF the server answers -LOADING; keep polling until +PONG.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
