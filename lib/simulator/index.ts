/**
 * A ComfyUI server simulator that behaves like a recorded ComfyUI 0.8.0 (or a newer 0.38.1 core)
 * message for message, for tests, the demo mode and embedders. No model is loaded: image nodes
 * compute real pixels, model nodes pass placeholders and take simulated time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueError } from '../errors.ts';
import { DataDirs } from './data-dirs.ts';
import type { FaultSwitches, PreviewMethod } from './executor.ts';
import { Instance } from './instance.ts';
import { NodeCatalog, defaultObjectInfo } from './object-info.ts';

export { runSimulatorCli } from './cli.ts';

export interface SimulatorOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Protocol generation, default '0.8.0'. */
  version?: '0.8.0' | '0.38.1';
  /** Holds input/, output/, temp/, user/; default: a fresh temp dir (removed on close unless given). */
  dataDir?: string;
  /** Default: ComfyUI 0.8.0's object_info plus the RigSlowProgress test node. */
  objectInfo?: Record<string, unknown>;
  /** Simulated execution time per node, default 5 ms. Sampler-like nodes spread it over their steps. */
  nodeMs?: number | ((classType: string, nodeId: string) => number);
  /** Progress steps for sampler-like nodes (KSampler, KSamplerAdvanced, SamplerCustom[Advanced]), default 4. */
  samplerSteps?: number;
  /** Like --preview-method, default 'auto'. */
  previewMethod?: PreviewMethod;
  /** Like --multi-user. */
  multiUser?: boolean;
  /** Shown in system_stats devices[0].name, default 'cpu' ("cuda:0 …" reports a cuda device). */
  name?: string;
  /** Model file names per model folder (checkpoints, loras, vae, …), added to the loader combos. */
  models?: Record<string, string[]>;
  /** Multiplies every simulated duration (nodeMs and RigSlowProgress step_ms), default 1. */
  timeScale?: number;
  /** Like --enable-cors-header ORIGIN: adds CORS headers and disables the origin check. */
  corsOrigin?: string;
}

export interface SimulatorHandle {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Fault injection, changeable at run time. */
  faults: {
    /** Runtime execution_error on the next N prompts (at the first sampler-like node, else the first output node). */
    failNextPrompts: number;
    /** Executing prompts freeze (no messages, no progress) until cleared. */
    stall: boolean;
    /** POST /prompt answers 500. */
    rejectSubmits: boolean;
  };
  /** Like kill -9: destroys every socket, stops listening at once, loses the in-memory queue and history. */
  crash(): Promise<void>;
  /** Listens again on the same port with an empty queue and history (files on disk kept). */
  restart(): Promise<void>;
  close(): Promise<void>;
  readonly stats: { promptsExecuted: number; interrupts: number };
}

class Faults implements FaultSwitches {
  failNextPrompts = 0;
  rejectSubmits = false;
  #stall = false;
  #waiters: (() => void)[] = [];

  get stall(): boolean {
    return this.#stall;
  }

  set stall(value: boolean) {
    this.#stall = value;
    if (!value) for (const wake of this.#waiters.splice(0)) wake();
  }

  whenRunnable(): Promise<void> {
    if (!this.#stall) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function validate(options: SimulatorOptions): void {
  const bad = (field: string, message: string) => {
    throw new QueueError('invalid_request', message, { field });
  };
  if (options.version !== undefined && options.version !== '0.8.0' && options.version !== '0.38.1') {
    bad('version', "version must be '0.8.0' or '0.38.1'");
  }
  if (options.previewMethod !== undefined && !['none', 'auto', 'latent2rgb', 'taesd'].includes(options.previewMethod)) {
    bad('previewMethod', "previewMethod must be one of 'none', 'auto', 'latent2rgb', 'taesd'");
  }
  if (options.samplerSteps !== undefined && (!Number.isInteger(options.samplerSteps) || options.samplerSteps < 1)) {
    bad('samplerSteps', 'samplerSteps must be a positive integer');
  }
  if (typeof options.nodeMs === 'number' && !(options.nodeMs >= 0)) bad('nodeMs', 'nodeMs must be a non-negative number of milliseconds');
  if (options.timeScale !== undefined && !(options.timeScale >= 0)) bad('timeScale', 'timeScale must be a non-negative number');
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    bad('port', 'port must be an integer between 0 and 65535');
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  validate(options);
  const host = options.host ?? '127.0.0.1';
  const version = options.version ?? '0.8.0';
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'comfy-sim-'));
  const dirs = new DataDirs(dataDir);
  const catalog = new NodeCatalog(options.objectInfo ?? defaultObjectInfo(), options.models ?? {});
  const nodeMs = options.nodeMs ?? 5;
  const previewMethod = options.previewMethod ?? 'auto';
  const faults = new Faults();
  const stats = { promptsExecuted: 0, interrupts: 0 };
  let port = options.port ?? 0;
  let server: Server | null = null;
  let instance: Instance | null = null;

  const listen = async (): Promise<void> => {
    // ComfyUI empties its temp directory at every start.
    rmSync(dirs.temp, { recursive: true, force: true });
    const inst = new Instance({
      version,
      name: options.name ?? 'cpu',
      multiUser: options.multiUser ?? false,
      catalog,
      dirs: new DataDirs(dataDir),
      models: options.models ?? {},
      executor: {
        nodeMs: typeof nodeMs === 'function' ? nodeMs : () => nodeMs,
        samplerSteps: options.samplerSteps ?? 4,
        timeScale: options.timeScale ?? 1,
        previewMethod,
      },
      faults,
      counted: (event) => {
        if (event === 'prompt') stats.promptsExecuted++;
        else stats.interrupts++;
      },
      corsOrigin: options.corsOrigin,
      argv: [
        'main.py',
        '--listen',
        host,
        '--port',
        String(port),
        '--preview-method',
        previewMethod,
        ...(options.multiUser ? ['--multi-user'] : []),
        '--base-directory',
        dataDir,
      ],
    });
    const srv = createServer((req, res) => void inst.handle(req, res));
    srv.on('upgrade', (req, socket, head) => inst.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (err: NodeJS.ErrnoException) => {
        inst.stop(true);
        if (err.code !== 'EADDRINUSE') return reject(err);
        reject(new QueueError('conflict', `port ${port} is already in use on ${host}; choose another port, or 0 for a free one`, { field: 'port', cause: err }));
      });
      srv.listen(port, host, () => resolve());
    });
    port = (srv.address() as AddressInfo).port;
    inst.argv[4] = String(port);
    inst.start();
    server = srv;
    instance = inst;
  };

  const shutdown = async (hard: boolean): Promise<void> => {
    const srv = server;
    const inst = instance;
    server = null;
    instance = null;
    if (!srv || !inst) return;
    inst.stop(hard);
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    srv.closeAllConnections();
    await closed;
  };

  try {
    await listen();
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    get url() {
      return `http://${urlHost}:${port}`;
    },
    get port() {
      return port;
    },
    dataDir: dirs.root,
    faults,
    stats,
    crash: () => shutdown(true),
    async restart() {
      await shutdown(true);
      await listen();
    },
    async close() {
      await shutdown(false);
      faults.stall = false;
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
