/**
 * The live connection to /api/v1/events. Reconnects by itself with capped,
 * jittered backoff, resumes from the last seq it saw, turns preview frames into
 * object URLs, and reports its health to the store so the panel shows "offline".
 */
import { eventsUrl } from './api.ts';
import { parseEnvelope, parsePreviewFrame } from './envelope.ts';
import type { Store } from './store.ts';

export const RETRY_MIN_MS = 500;
export const RETRY_MAX_MS = 10_000;

/** Delay before reconnect attempt `attempt` (0-based): doubling, capped, with ±20% jitter. */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface EventsHooks {
  /** A fresh stream (not a resume) started: reload what the stream does not carry. */
  onFresh(): void;
  /** A job changed: seat counts and stats are now stale. */
  onJobChange(): void;
  /** The socket keeps failing before opening: the session may have ended. Returns false to stop retrying. */
  stillAuthorised(): Promise<boolean>;
}

export class EventsConnection {
  readonly #store: Store;
  readonly #hooks: EventsHooks;
  #socket: WebSocket | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #stopped = true;

  constructor(store: Store, hooks: EventsHooks) {
    this.#store = store;
    this.#hooks = hooks;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#attempt = 0;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, 'panel closed');
    this.#store.dispatch({ type: 'connection', status: 'idle' });
  }

  /** Skips the remaining wait and tries now (the "Reconnect now" button). */
  retryNow(): void {
    if (this.#stopped || this.#socket) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#open();
  }

  #open(): void {
    const { stream, seq } = this.#store.state;
    this.#store.dispatch({ type: 'connection', status: 'connecting' });
    const socket = new WebSocket(eventsUrl(location, stream, seq));
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      this.#attempt = 0;
      this.#store.dispatch({ type: 'connection', status: 'online' });
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.#socket !== socket) return;
      if (typeof event.data === 'string') this.#onText(event.data);
      else if (event.data instanceof ArrayBuffer) this.#onBinary(event.data);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (!this.#stopped) void this.#scheduleRetry(opened);
    });
  }

  #onText(text: string): void {
    const envelope = parseEnvelope(text);
    if (!envelope) return;
    this.#store.dispatch({ type: 'envelope', envelope });
    if (envelope.type === 'hello' && !envelope.resumed) this.#hooks.onFresh();
    if (envelope.type === 'job') this.#hooks.onJobChange();
  }

  #onBinary(buffer: ArrayBuffer): void {
    const frame = parsePreviewFrame(buffer);
    if (!frame) return;
    const url = URL.createObjectURL(new Blob([frame.bytes as Uint8Array<ArrayBuffer>], { type: frame.mime }));
    this.#store.dispatch({ type: 'preview', jobId: frame.header.job_id, url });
    // The reducer ignores previews of finished jobs; free the URL then.
    if (this.#store.state.previews[frame.header.job_id] !== url) URL.revokeObjectURL(url);
  }

  async #scheduleRetry(wasOpen: boolean): Promise<void> {
    const attempt = this.#attempt++;
    if (!wasOpen && attempt >= 1 && !(await this.#hooks.stillAuthorised())) {
      this.stop();
      return;
    }
    if (this.#stopped) return;
    const delay = retryDelay(attempt);
    this.#store.dispatch({ type: 'connection', status: 'offline', retryAt: Date.now() + delay });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) this.#open();
    }, delay);
  }
}
