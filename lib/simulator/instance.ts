/**
 * One lifetime of the simulated ComfyUI process: queue, history, sockets and worker live here
 * and are lost together on a crash; files on disk belong to the data directory and survive.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DataDirs } from './data-dirs.ts';
import { Executor, type ExecutorConfig, type FaultSwitches } from './executor.ts';
import {
  BodyTooLarge,
  type RequestCtx,
  Router,
  originRejected,
  readBody,
  sendEmpty,
  sendNotFound,
  sendServerError,
  sendText,
} from './http-kit.ts';
import type { JobSources } from './jobs.ts';
import type { NodeCatalog } from './object-info.ts';
import { PromptQueue } from './prompt-queue.ts';
import { addFileRoutes } from './routes-files.ts';
import { addInfoRoutes } from './routes-info.ts';
import { addPromptRoutes } from './routes-prompt.ts';
import { UserStore, addUserRoutes } from './routes-users.ts';
import type { ProtocolVersion, ValidationContext } from './validation.ts';
import { WsHub } from './ws-hub.ts';

export interface InstanceConfig {
  version: ProtocolVersion;
  name: string;
  multiUser: boolean;
  catalog: NodeCatalog;
  dirs: DataDirs;
  models: Record<string, string[]>;
  executor: ExecutorConfig;
  faults: FaultSwitches & { rejectSubmits: boolean };
  counted(event: 'prompt' | 'interrupt'): void;
  /** --enable-cors-header: allow this origin (and skip the origin check). */
  corsOrigin: string | undefined;
  argv: string[];
}

interface LogEntry {
  t: string;
  m: string;
}

export class Instance {
  readonly version: ProtocolVersion;
  readonly name: string;
  readonly catalog: NodeCatalog;
  readonly dirs: DataDirs;
  readonly models: Record<string, string[]>;
  readonly faults: InstanceConfig['faults'];
  readonly argv: string[];
  readonly queue: PromptQueue;
  readonly hub: WsHub;
  readonly executor: Executor;
  readonly users: UserStore;
  readonly validation: ValidationContext;
  /** server.number: the next queue priority. */
  number = 0;
  private readonly router = new Router();
  private readonly corsOrigin: string | undefined;
  private readonly logs: LogEntry[] = [];

  constructor(config: InstanceConfig) {
    this.version = config.version;
    this.name = config.name;
    this.catalog = config.catalog;
    this.dirs = config.dirs;
    this.models = config.models;
    this.faults = config.faults;
    this.argv = config.argv;
    this.corsOrigin = config.corsOrigin;
    this.hub = new WsHub({
      queueInfo: () => this.queueInfo(),
      replayNode: (sid) => (this.executor.clientId === sid ? this.executor.lastNodeId : null),
      serverFeatures: () => this.serverFeatures(),
    });
    this.queue = new PromptQueue(() => this.hub.sendJson('status', { status: this.queueInfo() }, null));
    this.executor = new Executor({
      hub: this.hub,
      queue: this.queue,
      catalog: config.catalog,
      dirs: config.dirs,
      config: config.executor,
      faults: config.faults,
      counted: (event) => {
        if (event === 'prompt') this.log('Prompt executed');
        config.counted(event);
      },
    });
    this.users = new UserStore(config.dirs.user, config.multiUser);
    this.validation = {
      catalog: config.catalog,
      version: config.version,
      inputFileExists: (name) => config.dirs.inputFileExists(name),
      root: config.dirs.root,
    };
    addPromptRoutes(this.router, this);
    addFileRoutes(this.router, this);
    addInfoRoutes(this.router, this);
    addUserRoutes(this.router, this);
    this.router.add('GET', '/ws', (ctx) => sendText(ctx, 400, 'Expected WebSocket upgrade'));
    this.log('Starting server');
  }

  start(): void {
    this.executor.run().catch((err: unknown) => this.log(`worker stopped: ${String(err)}`));
  }

  /** Stops the worker and drops every socket (a killed process, or a shutdown). */
  stop(hard: boolean): void {
    this.executor.abort();
    this.hub.closeAll(hard);
  }

  queueInfo(): Record<string, unknown> {
    return { exec_info: { queue_remaining: this.queue.remaining() } };
  }

  serverFeatures(): Record<string, unknown> {
    const base = { supports_preview_metadata: true, max_upload_size: 104857600, extension: { manager: { supports_v4: true } } };
    return this.version === '0.8.0' ? base : { ...base, supports_model_type_tags: true, node_replacements: true, assets: false };
  }

  jobSources(): JobSources {
    return { running: this.queue.runningItems(), pending: this.queue.pendingItems(), history: this.queue.history, version: this.version };
  }

  log(message: string): void {
    this.logs.push({ t: new Date().toISOString().replace('T', ' ').slice(0, 23), m: `${message}\n` });
    if (this.logs.length > 300) this.logs.shift();
  }

  logText(): string {
    return this.logs.map((l) => `${l.t} - ${l.m}`).join('');
  }

  logEntries(): LogEntry[] {
    return [...this.logs];
  }

  private corsHeaders(): Record<string, string> {
    if (this.corsOrigin === undefined) return {};
    return {
      'Access-Control-Allow-Origin': this.corsOrigin,
      'Access-Control-Allow-Methods': 'POST, GET, DELETE, PUT, OPTIONS, PATCH',
      'Access-Control-Allow-Headers': 'Content-Type, Authorization',
      'Access-Control-Allow-Credentials': 'true',
    };
  }

  private rejected(req: IncomingMessage): boolean {
    return this.corsOrigin === undefined && originRejected(req.headers, this.version !== '0.8.0');
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    let bodyPromise: Promise<Buffer> | null = null;
    const ctx: RequestCtx = {
      req,
      res,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      params: {},
      header: (name) => {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      body: () => {
        bodyPromise ??= readBody(req);
        return bodyPromise;
      },
    };
    for (const [k, v] of Object.entries(this.corsHeaders())) res.setHeader(k, v);
    try {
      if (this.rejected(req)) return sendEmpty(ctx, 403);
      if (ctx.method === 'OPTIONS') return sendEmpty(ctx, 200);
      const route = this.router.resolve(ctx.method, ctx.path);
      if (route === null) {
        if (ctx.method === 'GET' || ctx.method === 'HEAD') return sendNotFound(ctx);
        res.setHeader('Allow', 'GET,HEAD');
        return sendText(ctx, 405, '405: Method Not Allowed');
      }
      if ('allow' in route) {
        res.setHeader('Allow', route.allow.join(','));
        return sendText(ctx, 405, '405: Method Not Allowed');
      }
      ctx.params = route.params;
      await route.handler(ctx);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BodyTooLarge) return sendText(ctx, 413, '413: Request Entity Too Large');
      this.log(`request failed: ${String((err as Error)?.stack ?? err)}`);
      sendServerError(ctx);
    }
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.rejected(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.hub.upgrade(req, socket, head, url.searchParams.get('clientId'));
  }
}
