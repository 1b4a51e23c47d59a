/**
 * The client a worker pool uses to drive ONE ComfyUI: one socket under the
 * pool's own client id, submit with `prompt_id` = our job id, prompt-scoped
 * events relayed by prompt id, and results that survive a dropped socket
 * (recovered from /queue, /history/{id} and /api/jobs/{id}, since ComfyUI drops
 * events for a disconnected client id instead of buffering them).
 */
import { randomBytes } from 'node:crypto';
import { QueueError } from '../errors.ts';
import type { Prompt } from '../job.ts';
import { TypedEmitter } from '../typed-emitter.ts';
import type { BackoffOptions } from './backoff.ts';
import { decodeBinaryFrame } from './binary-frames.ts';
import { ComfyRequestError } from './comfy-http.ts';
import { ComfyRest, type ComfyRestOptions, type SubmitResult } from './comfy-rest.ts';
import { ComfySocket } from './comfy-socket.ts';
import { type PromptMessage, parseServerMessage } from './messages.ts';
import { type PreviewEvent, PromptTracker, type TextEvent } from './prompt-tracker.ts';
import { missingResult, type TerminalResult, terminalFromHistory, terminalFromJob } from './terminal.ts';

export interface ComfyWorkerClientOptions extends ComfyRestOptions {
  /** The pool's own client id (never a browser's); default a fresh 32-hex id. */
  clientId?: string;
  /** Reconnect backoff; defaults 250 ms doubling up to 10 s, with jitter. */
  reconnect?: BackoffOptions;
  connectTimeoutMs?: number;
  /** WebSocket ping interval (0 disables); default 15 s. */
  heartbeatMs?: number;
  /** How often unfinished prompts are checked over HTTP while events cannot reach us; default 1 s. */
  pollIntervalMs?: number;
}

export interface SubmitOptions {
  /** Our job id; newer cores require a canonical lowercase UUID. */
  promptId: string;
  extraData?: Record<string, unknown>;
  front?: boolean;
  partialExecutionTargets?: string[];
}

export type ComfyWorkerClientEvents = {
  status: { queueRemaining: number };
  /** Every prompt-scoped JSON message of a prompt this client owns. */
  message: PromptMessage;
  /** A message type outside the known catalogue that names one of our prompts. */
  unknownMessage: { type: string; promptId: string; data: Record<string, unknown> };
  preview: PreviewEvent;
  text: TextEvent;
  /** Once per prompt run: how it ended, live or recovered. */
  terminal: TerminalResult;
  connected: { clientId: string; reconnect: boolean };
  disconnected: { code: number; reason: string; willReconnect: boolean };
  reconnected: { clientId: string };
  /** Failures nobody awaits: a listener that threw, a recovery request that failed. */
  error: { error: unknown; context: string };
};

type Listener<T> = (payload: T) => void;
interface Waiter {
  resolve: (result: TerminalResult) => void;
  reject: (error: unknown) => void;
}

/** Declared to every worker so type-4 previews (with prompt/node metadata) arrive. */
const CLIENT_FEATURE_FLAGS = { supports_preview_metadata: true };

export class ComfyWorkerClient extends ComfyRest {
  readonly clientId: string;
  readonly #events: TypedEmitter<ComfyWorkerClientEvents>;
  readonly #socket: ComfySocket;
  readonly #tracker = new PromptTracker();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #recovering = new Map<string, { again: boolean; promise: Promise<TerminalResult | null> }>();
  readonly #pollIntervalMs: number;
  #pollTimer: NodeJS.Timeout | null = null;
  /** Once closed, nothing restarts polling (a caller finishing late must not keep the process alive). */
  #closed = false;
  #serverFeatures: Record<string, unknown> | null = null;

  constructor(options: ComfyWorkerClientOptions) {
    super(options);
    this.clientId = options.clientId ?? randomBytes(16).toString('hex');
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#events = new TypedEmitter((error, event) => {
      if (event !== 'error') this.#events.emit('error', { error, context: `a "${String(event)}" listener threw` });
    });
    this.#socket = new ComfySocket({
      http: this.http,
      clientId: this.clientId,
      featureFlags: CLIENT_FEATURE_FLAGS,
      reconnect: options.reconnect,
      connectTimeoutMs: options.connectTimeoutMs,
      heartbeatMs: options.heartbeatMs,
    });
    this.#socket.on('text', (text) => this.#onText(text));
    this.#socket.on('binary', (bytes) => this.#onBinary(bytes));
    this.#socket.on('open', ({ reconnect }) => this.#onOpen(reconnect));
    this.#socket.on('close', (event) => {
      this.#events.emit('disconnected', event);
      if (event.willReconnect) this.#ensurePolling();
    });
  }

  on<K extends keyof ComfyWorkerClientEvents>(event: K, listener: Listener<ComfyWorkerClientEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  once<K extends keyof ComfyWorkerClientEvents>(event: K, listener: Listener<ComfyWorkerClientEvents[K]>): () => void {
    return this.#events.once(event, listener);
  }

  off<K extends keyof ComfyWorkerClientEvents>(event: K, listener: Listener<ComfyWorkerClientEvents[K]>): void {
    this.#events.off(event, listener);
  }

  get connected(): boolean {
    return this.#socket.ready;
  }

  /** The server flags from the socket's `feature_flags` reply (null before it arrives). */
  get serverFeatures(): Record<string, unknown> | null {
    return this.#serverFeatures;
  }

  /** Opens /ws?clientId=…; resolves once the first `status` arrived. Rejects if that attempt fails. */
  connect(): Promise<void> {
    return this.#socket.connect();
  }

  /** Closes the socket (waiting until it is fully closed) and rejects pending waitForTerminal calls. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopPolling();
    await this.#socket.close();
    const closed = this.#closedError();
    for (const waiters of this.#waiters.values()) for (const waiter of waiters) waiter.reject(closed);
    this.#waiters.clear();
  }

  /**
   * Submits `prompt` under `promptId` with this client's id, after making sure the socket is open
   * (events for a client id without a socket are dropped). A 409 duplicate resolves with
   * `alreadySubmitted: true`; its end is then learned by polling if its events go elsewhere.
   */
  async submit(prompt: Prompt, options: SubmitOptions): Promise<SubmitResult> {
    await this.connect();
    const { promptId } = options;
    // Owned before posting: execution_start can arrive before the HTTP answer. A resubmitted id
    // (requeued after `lost`, released and dispatched again) starts from a clean record.
    const record = this.#tracker.begin(promptId);
    record.submitting = true;
    let result: SubmitResult;
    try {
      result = await this.postPrompt(prompt, { ...options, clientId: this.clientId });
    } catch (error) {
      record.submitting = false;
      if (!record.result && record.messages.length === 0) this.#tracker.forget(promptId);
      throw error;
    }
    record.submitting = false;
    if (result.alreadySubmitted && !record.result) {
      record.poll = true;
      this.#ensurePolling();
    }
    return result;
  }

  /**
   * Removes a queued prompt (see ComfyRest.cancelPending). When it was removed, its waiters and
   * `terminal` listeners learn so: `interrupted` (or the live message, if it was already running).
   */
  override async cancelPending(promptId: string): Promise<boolean> {
    const cancelled = await super.cancelPending(promptId);
    const record = this.#tracker.get(promptId);
    if (cancelled && record && !record.result) {
      record.cancelled = true;
      this.#recoverQuietly(promptId);
    }
    return cancelled;
  }

  /** Takes ownership of a prompt submitted earlier (e.g. before a restart) so its events are relayed. */
  adopt(promptId: string): void {
    const record = this.#tracker.own(promptId);
    // It was submitted under another client id, so its events go there: learn its end by polling.
    record.poll = true;
    this.#ensurePolling();
  }

  /**
   * Resolves when `promptId` has ended: from live messages, or recovered over HTTP after a reconnect,
   * while disconnected, or when the prompt was not submitted through this client.
   * Rejects after `timeoutMs`, on `signal`, or when the client is closed.
   */
  waitForTerminal(promptId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TerminalResult> {
    // A wait begun after close would hold its timer (and the process) with nothing left to settle it.
    if (this.#closed) return Promise.reject(this.#closedError());
    const known = this.#tracker.get(promptId);
    if (known?.result) return Promise.resolve(known.result);
    this.#tracker.own(promptId);
    return new Promise<TerminalResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#waiters.get(promptId)?.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: (result) => {
          done();
          resolve(result);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(options.signal?.reason);
      if (options.signal?.aborted) return reject(options.signal.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(
          () => waiter.reject(new QueueError('worker_unavailable', `prompt ${promptId} did not finish within ${ms} ms`)),
          ms,
        );
      }
      let waiters = this.#waiters.get(promptId);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(promptId, waiters);
      }
      waiters.add(waiter);
      if (!known || !this.#socket.ready) {
        this.#recoverQuietly(promptId);
        this.#ensurePolling();
      }
    });
  }

  /**
   * Asks the worker how `promptId` ended: queue (still there → null), then history, then the jobs
   * API; a prompt none of them knows is `lost`. Settles the prompt (and emits `terminal`) on success.
   */
  recover(promptId: string): Promise<TerminalResult | null> {
    const running = this.#recovering.get(promptId);
    if (running) {
      // A trigger during a check may carry newer news (e.g. `executing null` after a "still
      // running" queue answer), so the check runs once more instead of being merged away.
      running.again = true;
      return running.promise;
    }
    const entry = { again: false, promise: Promise.resolve<TerminalResult | null>(null) };
    entry.promise = (async () => {
      try {
        let result = await this.#recover(promptId);
        while (result === null && entry.again) {
          entry.again = false;
          result = await this.#recover(promptId);
        }
        return result;
      } finally {
        this.#recovering.delete(promptId);
      }
    })();
    this.#recovering.set(promptId, entry);
    return entry.promise;
  }

  async #recover(promptId: string): Promise<TerminalResult | null> {
    const record = this.#tracker.own(promptId);
    if (record.result) return record.result;
    if (record.submitting) return null;
    // Queue first: a prompt leaves the queue only once its history entry is written.
    const queue = await this.getQueue();
    if (queue.running.includes(promptId) || queue.pending.includes(promptId)) return null;
    const history = await this.getHistory(promptId);
    let result = history ? terminalFromHistory(promptId, history) : null;
    if (!result) {
      const job = await this.getJob(promptId);
      if (job) {
        result = terminalFromJob(promptId, job);
        if (!result) return null;
      }
    }
    this.#settle(result ?? missingResult(promptId, record.cancelled));
    return this.#tracker.get(promptId)?.result ?? null;
  }

  #recoverQuietly(promptId: string): void {
    this.recover(promptId).catch((error: unknown) => {
      // An unreachable worker is expected while it is down; polling or the reconnect tries again.
      if (error instanceof ComfyRequestError && error.responseStatus === null) return;
      this.#events.emit('error', { error, context: `recovering prompt ${promptId}` });
    });
  }

  #settle(result: TerminalResult): void {
    if (!this.#tracker.settle(result)) return;
    this.#announce(result);
  }

  #announce(result: TerminalResult): void {
    this.#events.emit('terminal', result);
    const waiters = this.#waiters.get(result.promptId);
    this.#waiters.delete(result.promptId);
    for (const waiter of waiters ?? []) waiter.resolve(result);
  }

  #onOpen(reconnect: boolean): void {
    this.#events.emit('connected', { clientId: this.clientId, reconnect });
    if (!reconnect) return;
    this.#events.emit('reconnected', { clientId: this.clientId });
    for (const record of this.#tracker.unsettled()) this.#recoverQuietly(record.promptId);
  }

  #onText(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      const unknown = parsed.type === null ? null : this.#tracker.acceptUnknown(parsed.type, parsed.data);
      if (unknown) this.#events.emit('unknownMessage', unknown);
      return;
    }
    const { message } = parsed;
    if (message.type === 'status') {
      const queueRemaining = message.data.status?.exec_info.queue_remaining;
      if (queueRemaining !== undefined) this.#events.emit('status', { queueRemaining });
      return;
    }
    if (message.type === 'feature_flags') {
      this.#serverFeatures = message.data;
      return;
    }
    const accepted = this.#tracker.acceptMessage(message);
    if (!accepted) return;
    this.#events.emit('message', accepted.message);
    if (accepted.settled) this.#announce(accepted.settled);
    // `executing null` without a terminal message: the terminal one was dropped, history has it now.
    if (accepted.endedUnsettled) this.#recoverQuietly(accepted.message.promptId);
  }

  #onBinary(frame: Uint8Array): void {
    const decoded = decodeBinaryFrame(frame);
    if (decoded.kind === 'preview') {
      const preview = this.#tracker.acceptPreview(decoded, frame);
      if (preview) this.#events.emit('preview', preview);
    } else if (decoded.kind === 'text') {
      const text = this.#tracker.acceptText(decoded, frame);
      if (text) this.#events.emit('text', text);
    }
  }

  /** Polls unfinished prompts whose events cannot reach us: socket down, or submitted elsewhere (409). */
  #ensurePolling(): void {
    if (this.#pollTimer || this.#closed) return;
    this.#pollTimer = setInterval(() => {
      const targets = this.#tracker
        .unsettled()
        .filter((record) => !record.submitting && (record.poll || !this.#socket.ready));
      if (targets.length === 0) {
        this.#stopPolling();
        return;
      }
      for (const record of targets) this.#recoverQuietly(record.promptId);
    }, this.#pollIntervalMs);
  }

  #closedError(): QueueError {
    return new QueueError('worker_unavailable', `the client for ${this.http.baseUrl.origin} was closed`);
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }
}
