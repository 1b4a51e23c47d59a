/**
 * The seat's /api/v1/events WebSocket: reconnects with backoff and resumes with
 * `since`/`stream`, so envelopes sent while the socket was down are replayed
 * (the server keeps the last few thousand) and none is delivered twice.
 */
import { Backoff } from '../../lib/comfy/backoff.ts';
import type { Envelope, PreviewFrame } from './contract.ts';
import { parseEnvelope, parsePreviewFrame } from './envelope.ts';

export interface EventStreamHandlers {
  onEnvelope(envelope: Envelope): void;
  onPreview(frame: PreviewFrame): void;
  /** true once a hello arrived, false when the socket dropped. */
  onConnection?(connected: boolean): void;
}

type SocketLike = Pick<WebSocket, 'binaryType' | 'close' | 'addEventListener'>;

export interface EventStreamOptions {
  createSocket?: (url: string) => SocketLike;
  backoff?: Backoff;
}

/** `ws(s)://<host><path>` for an absolute path on the page's origin. */
export function socketUrl(path: string, base: string): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export class EventStream {
  readonly #url: string;
  readonly #handlers: EventStreamHandlers;
  readonly #createSocket: (url: string) => SocketLike;
  readonly #backoff: Backoff;
  #socket: SocketLike | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = true;
  #stream: string | null = null;
  #seq = 0;

  constructor(url: string, handlers: EventStreamHandlers, options: EventStreamOptions = {}) {
    this.#url = url;
    this.#handlers = handlers;
    this.#createSocket = options.createSocket ?? ((target) => new WebSocket(target));
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 500, maxMs: 10_000 });
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#socket?.close();
    this.#socket = null;
  }

  /** The URL of the next connection: resume where the last one stopped, if it got anywhere. */
  nextUrl(): string {
    if (this.#stream === null) return this.#url;
    const url = new URL(this.#url);
    url.searchParams.set('since', String(this.#seq));
    url.searchParams.set('stream', this.#stream);
    return url.toString();
  }

  #connect(): void {
    let socket: SocketLike;
    try {
      socket = this.#createSocket(this.nextUrl());
    } catch {
      this.#retry();
      return;
    }
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', (event) => {
      if (this.#socket !== socket) return;
      this.#receive((event as MessageEvent).data);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#handlers.onConnection?.(false);
      this.#retry();
    });
  }

  #retry(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) this.#connect();
    }, this.#backoff.next());
  }

  #receive(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      const frame = parsePreviewFrame(data);
      if (frame) this.#handlers.onPreview(frame);
      return;
    }
    if (typeof data !== 'string') return;
    const envelope = parseEnvelope(data);
    if (!envelope) return;
    if (envelope.type === 'hello') {
      // A new stream id means the server could not resume (restart or expired): a snapshot follows.
      if (envelope.stream !== this.#stream || !envelope.resumed) this.#seq = envelope.seq;
      this.#stream = envelope.stream;
      this.#backoff.reset();
      this.#handlers.onConnection?.(true);
      this.#handlers.onEnvelope(envelope);
      return;
    }
    if (envelope.type !== 'snapshot' && envelope.seq <= this.#seq) return;
    this.#seq = Math.max(this.#seq, envelope.seq);
    this.#handlers.onEnvelope(envelope);
  }
}
