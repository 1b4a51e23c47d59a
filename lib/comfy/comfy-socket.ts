/**
 * One WebSocket to one ComfyUI under a fixed client id, kept open: the
 * `feature_flags` hello goes out as the first message, "ready" means the first
 * `status` (with `sid`) arrived, and a dropped socket is reopened with
 * exponential backoff until `close()`.
 *
 * A new socket is opened only after the previous one has fully closed: ComfyUI
 * 0.33.0 unregisters the client id when an old connection finishes closing,
 * which would silently cut off a fresh socket that reused the id.
 */
import WebSocket from 'ws';
import { QueueError } from '../errors.ts';
import { TypedEmitter } from '../typed-emitter.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { ComfyHttp } from './comfy-http.ts';
import { parseServerMessage } from './messages.ts';

export interface ComfySocketOptions {
  http: ComfyHttp;
  clientId: string;
  /** The client feature flags sent in the hello. */
  featureFlags: Record<string, unknown>;
  reconnect?: BackoffOptions;
  /** How long an attempt may take until the first `status`; default 10 s. */
  connectTimeoutMs?: number;
  /** Ping interval; a socket that misses a pong for one interval is dropped. 0 disables. Default 15 s. */
  heartbeatMs?: number;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

export type ComfySocketEvents = {
  text: string;
  binary: Uint8Array;
  /** The socket is ready: the first `status` arrived. `reconnect` is true for every open after the first. */
  open: { reconnect: boolean };
  close: { code: number; reason: string; willReconnect: boolean };
  /** A reconnect attempt is scheduled in `delayMs`. */
  retry: { attempt: number; delayMs: number };
};

const CLOSE_GRACE_MS = 2_000;

export class ComfySocket extends TypedEmitter<ComfySocketEvents> {
  readonly #options: ComfySocketOptions;
  readonly #backoff: Backoff;
  #ws: WebSocket | null = null;
  #ready = false;
  #wanted = false;
  #everOpened = false;
  #attempt: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  /** Any frame or pong since the last ping. */
  #alive = false;

  constructor(options: ComfySocketOptions) {
    super();
    this.#options = options;
    this.#backoff = new Backoff(options.reconnect, options.random);
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Opens the socket (or joins the attempt under way); a pending backoff wait is skipped. */
  connect(): Promise<void> {
    this.#wanted = true;
    if (this.#ready) return Promise.resolve();
    if (this.#attempt) return this.#attempt;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    const attempt = this.#open().finally(() => {
      if (this.#attempt === attempt) this.#attempt = null;
    });
    this.#attempt = attempt;
    return attempt;
  }

  /** Closes for good (until the next connect) and waits until the socket is fully closed. */
  async close(): Promise<void> {
    this.#wanted = false;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    await this.#closeCurrent();
  }

  async #open(): Promise<void> {
    await this.#closeCurrent();
    if (!this.#wanted) throw new QueueError('worker_unavailable', 'the ComfyUI socket was closed while connecting');
    const { http, clientId } = this.#options;
    const url = http.wsUrl('/ws', { clientId });
    const ws = new WebSocket(url, { headers: http.headers });
    this.#ws = ws;

    await new Promise<void>((resolve, reject) => {
      let failure = '';
      const timer = setTimeout(() => {
        failure = `no status message within ${this.#options.connectTimeoutMs ?? 10_000} ms`;
        ws.terminate();
      }, this.#options.connectTimeoutMs ?? 10_000);

      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'feature_flags', data: this.#options.featureFlags }));
      });
      ws.on('error', (error) => {
        failure ||= error.message;
      });
      ws.on('pong', () => {
        this.#alive = true;
      });
      ws.on('message', (raw, isBinary) => {
        this.#alive = true;
        const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
        if (isBinary) {
          this.emit('binary', bytes);
          return;
        }
        const text = bytes.toString('utf8');
        if (!this.#ready) {
          const parsed = parseServerMessage(text);
          if (parsed.ok && parsed.message.type === 'status' && parsed.message.data.sid !== undefined) {
            clearTimeout(timer);
            this.#ready = true;
            this.#backoff.reset();
            this.#startHeartbeat(ws);
            const reconnect = this.#everOpened;
            this.#everOpened = true;
            this.emit('open', { reconnect });
            resolve();
          }
        }
        this.emit('text', text);
      });
      ws.on('close', (code, reasonBytes) => {
        clearTimeout(timer);
        if (this.#ws === ws) this.#ws = null;
        const wasReady = this.#ready;
        this.#ready = false;
        this.#stopHeartbeat();
        const reason = reasonBytes.toString('utf8');
        // Reconnect on our own only after a socket has worked once; a first connect reports its failure.
        const willReconnect = this.#wanted && this.#everOpened;
        if (wasReady) {
          this.emit('close', { code, reason, willReconnect });
        } else {
          reject(
            new QueueError('worker_unavailable', `could not open ${url.origin}${url.pathname}: ${failure || `closed with ${code}`}`),
          );
        }
        if (willReconnect) this.#scheduleRetry();
      });
    });
  }

  #scheduleRetry(): void {
    if (this.#retryTimer) return;
    const delayMs = this.#backoff.next();
    this.emit('retry', { attempt: this.#backoff.attempts, delayMs });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      // Failures schedule the next retry from the close handler.
      this.connect().catch(() => undefined);
    }, delayMs);
  }

  async #closeCurrent(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    } else {
      ws.close(1000);
      const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      closed.finally(() => clearTimeout(grace));
    }
    await closed;
  }

  #startHeartbeat(ws: WebSocket): void {
    const interval = this.#options.heartbeatMs ?? 15_000;
    if (interval <= 0) return;
    this.#alive = true;
    this.#heartbeat = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (!this.#alive) {
        ws.terminate();
        return;
      }
      this.#alive = false;
      ws.ping();
    }, interval);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}
