/**
 * Starts a real comfy-multi server for tests: port 0, a temp data dir, SQLite
 * (or a given Redis), a few seats with known codes, and small helpers to call
 * it as anonymous, a seat, the admin or a token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { PoolEvents, WorkerView } from '../../lib/pool/types.ts';
import { TypedEmitter } from '../../lib/typed-emitter.ts';
import { type ConfigInput, loadConfig } from '../../server/config.ts';
import type { PoolHandle } from '../../server/context.ts';
import { createPool } from '../../server/pool-factory.ts';
import { type RunningServer, startServer } from '../../server/runtime.ts';
import { until } from '../helpers/wait.ts';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  codes: Map<string, string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: ConfigInput | Record<string, unknown>;
  pool?: PoolHandle;
  redisUrl?: string;
  /** Reuse a data dir (restart tests); it is then not removed on close. */
  dataDir?: string;
  /** ComfyUI (simulator) URLs: the server then runs its real worker pool on them. */
  workers?: string[];
  adminDist?: string;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'cm-server-')));
  const overrides = {
    listen: { host: '127.0.0.1', port: 0 },
    data_dir: dataDir,
    store: options.redisUrl ? { kind: 'redis', url: options.redisUrl, prefix: `t${Date.now()}:` } : { kind: 'sqlite', path: 'queue.db' },
    seats: { count: 3, prefix: 'user' },
    admin: { password: ADMIN_PASSWORD },
    scheduler: { policy: 'fifo', caps: { max_queued_per_seat: 50, max_depth: 500 } },
    log_level: 'silent',
    ...(options.workers ? { provider: { kind: 'local', workers: options.workers.map((url, i) => ({ id: `gpu${i}`, url })) } } : {}),
    ...options.config,
  } as ConfigInput;
  const loaded = await loadConfig({ file: null, env: {}, overrides });
  const server = await startServer(loaded, {
    ...(options.pool ? { createPool: async () => options.pool! } : {}),
    ...(options.workers ? { createPool } : {}),
    ...(options.adminDist ? { adminDist: options.adminDist } : {}),
  });
  return {
    server,
    url: server.url,
    dataDir,
    codes: server.issuedCodes,
    async close() {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Call {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** fetch with a cookie or bearer token, JSON in and out. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { auth?: Credentials; body?: unknown; headers?: Record<string, string>; raw?: BodyInit } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...authHeaders(options.auth), ...options.headers };
  let body: BodyInit | undefined = options.raw;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export type Credentials = { cookie: string } | { token: string } | undefined;

export function authHeaders(auth: Credentials): Record<string, string> {
  if (!auth) return {};
  return 'cookie' in auth ? { cookie: auth.cookie } : { authorization: `Bearer ${auth.token}` };
}

/** "name=value" pairs of every Set-Cookie of a response. */
export function cookiesOf(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}

export async function loginSeat(base: string, seat: string, code: string): Promise<{ cookie: string }> {
  const answer = await call(base, 'POST', '/api/v1/session', { body: { seat, code } });
  if (answer.status !== 200) throw new Error(`seat login failed: ${answer.status} ${answer.text}`);
  return { cookie: cookiesOf(answer.headers) };
}

export async function loginAdmin(base: string): Promise<{ cookie: string }> {
  const answer = await call(base, 'POST', '/api/v1/admin/session', { body: { password: ADMIN_PASSWORD } });
  if (answer.status !== 200) throw new Error(`admin login failed: ${answer.status} ${answer.text}`);
  return { cookie: cookiesOf(answer.headers) };
}

export async function createToken(base: string, admin: Credentials, role: 'seat' | 'admin', seat?: string): Promise<{ token: string }> {
  const answer = await call(base, 'POST', '/api/v1/admin/tokens', { auth: admin, body: { name: `t-${role}`, role, ...(seat ? { seat } : {}) } });
  if (answer.status !== 200) throw new Error(`token creation failed: ${answer.status} ${answer.text}`);
  return { token: (answer.body as { token: string }).token };
}

export const PROMPT = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'test' } },
};

/** A WebSocket that records every frame; `next(predicate)` waits for a matching text envelope. */
export class EventClient {
  readonly socket: WebSocket;
  readonly envelopes: Record<string, unknown>[] = [];
  readonly binary: Buffer[] = [];
  #waiters: { predicate: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  #binaryWaiters: ((frame: Buffer) => void)[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, { headers });
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = Buffer.from(data as Buffer);
        this.binary.push(frame);
        for (const waiter of this.#binaryWaiters.splice(0)) waiter(frame);
        return;
      }
      const envelope = JSON.parse(String(data)) as Record<string, unknown>;
      this.envelopes.push(envelope);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(envelope)) return true;
        waiter.resolve(envelope);
        return false;
      });
    });
  }

  static async open(base: string, path: string, auth?: Credentials): Promise<EventClient> {
    const client = new EventClient(base.replace(/^http/, 'ws') + path, authHeaders(auth));
    await new Promise<void>((resolve, reject) => {
      client.socket.once('open', () => resolve());
      client.socket.once('error', reject);
      client.socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  /** The first envelope (already received or future) matching the predicate. */
  next(predicate: (e: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const seen = this.envelopes.find(predicate);
    if (seen) return Promise.resolve(seen);
    return this.#wait(predicate, timeoutMs);
  }

  /** The first envelope received from now on matching the predicate. */
  nextNew(predicate: (e: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    return this.#wait(predicate, timeoutMs);
  }

  nextBinary(timeoutMs = 5000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no binary frame')), timeoutMs);
      this.#binaryWaiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  #wait(predicate: (e: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching envelope in ${timeoutMs} ms; got ${this.envelopes.map((e) => e['type']).join(',')}`)), timeoutMs);
      this.#waiters.push({
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close();
    await closed;
  }
}

const CLI = fileURLToPath(new URL('../../server/cli.ts', import.meta.url));

export interface CliServer {
  child: ChildProcess;
  url: string;
  /** Everything the process printed so far. */
  output(): string;
}

/** `comfy-multi start --config FILE` as a separate process (for SIGTERM/SIGKILL tests). */
export async function startCliServer(config: string): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] } });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  await until(() => /listening on (\S+)/.test(output) || child.exitCode !== null, 15_000, 'the server to start');
  const url = /listening on (\S+)/.exec(output)?.[1];
  if (!url) throw new Error(`server did not start: ${output}`);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the code table follows the first line
  return { child, url, output: () => output };
}

/**
 * A pool with one ready worker, "gpu0", that drains and enables to itself: enough for
 * the routes that read workers, without a ComfyUI. Emit on `events` to fake pool events.
 */
export function oneWorkerPool(): { pool: PoolHandle; events: TypedEmitter<PoolEvents> } {
  const worker: WorkerView = {
    id: 'gpu0',
    url: 'http://127.0.0.1:1',
    provider: 'local',
    state: 'ready',
    currentJob: null,
    currentSeat: null,
    progress: null,
    owner: null,
    health: [],
    system: null,
    jobsDone: 0,
    busyMs: 0,
  };
  const events = new TypedEmitter<PoolEvents>();
  const pool: PoolHandle = { events, workers: () => [worker], drain: async () => worker, enable: async () => worker, stop: async () => {} };
  return { pool, events };
}
