/**
 * The events hub behind GET /api/v1/events: turns queue and pool events into
 * versioned envelopes, keeps the last ones in a ring buffer so a reconnecting
 * browser resumes without a gap, and sends each socket only what its viewer
 * may see (a seat: its own jobs and an anonymised queue; the admin: everything).
 *
 * The pool is any emitter of PoolEvents (`attachPool`), so the hub works with
 * the real worker pool, a test emitter, or none at all.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Job } from '../lib/job.ts';
import type { PoolEvents, PreviewMeta } from '../lib/pool/types.ts';
import type { EnvelopeType, PreviewHeader } from '../lib/protocol/envelope.ts';
import type { Queue } from '../lib/queue.ts';
import type { QueueSnapshot } from '../lib/scheduling/snapshot.ts';
import { type Announcement, type Announcements, announcementJson } from './announcements.ts';
import { EVENTS_VERSION } from './schemas.ts';
import { jobView, queueView, type Viewer, workerJson } from './views.ts';

/** Anything that emits PoolEvents, e.g. the worker pool's TypedEmitter. */
export interface PoolEventSource {
  on<K extends keyof PoolEvents & string>(event: K, listener: (payload: PoolEvents[K]) => void): () => void;
}

type Audience = { kind: 'all' } | { kind: 'admin' } | { kind: 'seat'; seat: string };
type Body = Record<string, unknown>;

interface Entry {
  seq: number;
  type: EnvelopeType;
  audience: Audience;
  body: Body | ((viewer: Viewer) => Body);
  /** The serialised frame when it is the same for every viewer. */
  frame?: string;
}

interface Client {
  socket: WebSocket;
  viewer: Viewer;
  /** False until hello (and the snapshot) went out; entries meanwhile wait in `pending`. */
  ready: boolean;
  pending: Entry[];
  alive: boolean;
}

export interface EventsHubOptions {
  queue: Queue;
  announcements: Announcements;
  /** Envelopes kept for resuming. */
  capacity?: number;
  /** Finished jobs included in a snapshot. */
  recentFinished?: number;
  /** Interval of WebSocket pings that detect dead connections. */
  pingMs?: number;
  /** Minimum gap between two queue envelopes; queue changes in between are merged. */
  queueThrottleMs?: number;
  /** Called for every frame sent, for metrics. */
  onSent?: (type: string) => void;
}

export interface ResumeRequest {
  since?: number | undefined;
  stream?: string | undefined;
}

/** Beyond this much unsent data previews are skipped; far beyond it the socket is dropped (the client resumes). */
const SKIP_PREVIEWS_AT = 8 * 1024 * 1024;
const DROP_AT = 64 * 1024 * 1024;

const sees = (viewer: Viewer, audience: Audience): boolean =>
  audience.kind === 'all' || viewer.role === 'admin' || (audience.kind === 'seat' && audience.seat === viewer.seat);

export class EventsHub {
  /** Identifies this process's sequence numbers; a resume with another stream id gets a snapshot. */
  readonly stream = randomUUID();
  readonly #queue: Queue;
  readonly #announcements: Announcements;
  readonly #capacity: number;
  readonly #recentFinished: number;
  readonly #throttleMs: number;
  readonly #onSent: (type: string) => void;
  readonly #ring: Entry[] = [];
  readonly #clients = new Set<Client>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #previews = new Map<string, { image: Uint8Array; type: string; at: number }>();
  readonly #pinger: NodeJS.Timeout;
  #seq = 0;
  #snapshot: QueueSnapshot | null = null;
  #queueTimer: NodeJS.Timeout | null = null;
  #lastQueueAt = 0;

  constructor(options: EventsHubOptions) {
    this.#queue = options.queue;
    this.#announcements = options.announcements;
    this.#capacity = options.capacity ?? 2000;
    this.#recentFinished = options.recentFinished ?? 20;
    this.#throttleMs = options.queueThrottleMs ?? 200;
    this.#onSent = options.onSent ?? (() => {});
    const events = this.#queue.events;
    this.#unsubscribe.push(
      events.on('job.queued', ({ job }) => this.#job(job)),
      events.on('job.state', ({ job }) => this.#job(job)),
      events.on('queue.changed', (snapshot) => {
        this.#snapshot = snapshot;
        this.#scheduleQueue();
      }),
      events.on('settings.changed', (settings) => {
        if (this.#snapshot) this.#snapshot = { ...this.#snapshot, policy: settings.policy, paused: { ...settings.paused } };
        this.#scheduleQueue();
      }),
      this.#announcements.events.on('added', (a) => this.#publish('announcement', { kind: 'all' }, { announcement: announcementJson(a) })),
    );
    this.#pinger = setInterval(() => this.#ping(), options.pingMs ?? 30_000);
    this.#pinger.unref();
  }

  /** Relays a pool's events; returns a function that detaches it. */
  attachPool(source: PoolEventSource): () => void {
    const offs = [
      source.on('job.comfy', ({ job, type, data }) =>
        this.#publish('comfy', { kind: 'seat', seat: job.seat }, { job_id: job.id, event: type, data }),
      ),
      source.on('job.preview', ({ job, meta, image }) => this.#preview(job, meta, image)),
      source.on('worker.changed', (worker) =>
        this.#publish('worker', { kind: 'admin' }, { worker: workerJson(worker, this.previewUrl(worker.id)) }),
      ),
    ];
    const detach = (): void => {
      for (const off of offs) off();
    };
    this.#unsubscribe.push(detach);
    return detach;
  }

  /** Latest sequence number handed out. */
  get seq(): number {
    return this.#seq;
  }

  /** Seats with at least one open event stream. */
  onlineSeats(): Set<string> {
    const seats = new Set<string>();
    for (const client of this.#clients) if (client.viewer.role === 'seat') seats.add(client.viewer.seat);
    return seats;
  }

  /** The last live preview a worker produced, for the admin panel. */
  lastPreview(workerId: string): { image: Uint8Array; type: string; at: number } | null {
    return this.#previews.get(workerId) ?? null;
  }

  previewUrl(workerId: string): string | null {
    return this.#previews.has(workerId) ? `/api/v1/admin/workers/${encodeURIComponent(workerId)}/preview` : null;
  }

  /**
   * Starts streaming to a socket: hello first, then either the missed
   * envelopes (same stream, `since` still in the buffer) or a fresh snapshot.
   */
  async connect(socket: WebSocket, viewer: Viewer, resume: ResumeRequest = {}): Promise<void> {
    const client: Client = { socket, viewer, ready: false, pending: [], alive: true };
    this.#clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => this.#clients.delete(client));
    // Clients have nothing to say; a message is not an error, it is ignored.
    socket.on('message', () => {});

    const base = { role: viewer.role, ...(viewer.role === 'seat' ? { seat: viewer.seat } : {}) };
    if (this.#canResume(resume)) {
      const since = resume.since!;
      this.#sendRaw(client, 'hello', JSON.stringify({ v: EVENTS_VERSION, seq: this.#seq, type: 'hello', stream: this.stream, ...base, resumed: true }));
      const missed = this.#ring.filter((entry) => entry.seq > since && sees(viewer, entry.audience));
      const lastQueue = missed.findLast((entry) => entry.type === 'queue');
      for (const entry of missed) if (entry.type !== 'queue' || entry === lastQueue) this.#send(client, entry);
      client.ready = true;
      return;
    }
    const at = this.#seq;
    this.#sendRaw(client, 'hello', JSON.stringify({ v: EVENTS_VERSION, seq: at, type: 'hello', stream: this.stream, ...base, resumed: false }));
    try {
      const snapshot = await this.#snapshotFor(viewer);
      this.#sendRaw(client, 'snapshot', JSON.stringify({ v: EVENTS_VERSION, seq: at, type: 'snapshot', ...snapshot }));
    } catch {
      socket.close(1011, 'snapshot failed; reconnect');
      this.#clients.delete(client);
      return;
    }
    for (const entry of client.pending) this.#send(client, entry);
    client.pending = [];
    client.ready = true;
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    clearInterval(this.#pinger);
    if (this.#queueTimer) clearTimeout(this.#queueTimer);
    for (const client of this.#clients) client.socket.close(1001, 'server shutting down');
    this.#clients.clear();
  }

  // ---- sources -----------------------------------------------------------------

  #job(job: Job): void {
    this.#publish('job', { kind: 'seat', seat: job.seat }, { job: jobView(job, this.#snapshot) });
  }

  #scheduleQueue(): void {
    if (this.#queueTimer) return;
    const wait = Math.max(0, this.#lastQueueAt + this.#throttleMs - Date.now());
    this.#queueTimer = setTimeout(() => {
      this.#queueTimer = null;
      this.#lastQueueAt = Date.now();
      const snapshot = this.#snapshot;
      if (snapshot) this.#publish('queue', { kind: 'all' }, (viewer) => ({ queue: queueView(snapshot, viewer) }));
    }, wait);
  }

  #preview(job: Job, meta: PreviewMeta, image: Uint8Array): void {
    if (job.worker) this.#previews.set(job.worker, { image, type: meta.imageType, at: Date.now() });
    const header = Buffer.from(
      JSON.stringify({
        v: EVENTS_VERSION,
        type: 'preview',
        job_id: job.id,
        node_id: meta.nodeId,
        display_node_id: meta.displayNodeId,
        parent_node_id: meta.parentNodeId,
        real_node_id: meta.realNodeId,
        image_type: meta.imageType,
      } satisfies PreviewHeader),
    );
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    const frame = Buffer.concat([length, header, image]);
    for (const client of this.#clients) {
      if (!client.ready || !sees(client.viewer, { kind: 'seat', seat: job.seat })) continue;
      if (client.socket.readyState !== client.socket.OPEN || client.socket.bufferedAmount > SKIP_PREVIEWS_AT) continue;
      client.socket.send(frame, { binary: true });
      this.#onSent('preview');
    }
  }

  // ---- delivery ------------------------------------------------------------------

  #publish(type: EnvelopeType, audience: Audience, body: Entry['body']): void {
    const entry: Entry = { seq: ++this.#seq, type, audience, body };
    this.#ring.push(entry);
    if (this.#ring.length > this.#capacity) this.#ring.splice(0, this.#ring.length - this.#capacity);
    for (const client of this.#clients) {
      if (!sees(client.viewer, audience)) continue;
      if (client.ready) this.#send(client, entry);
      else client.pending.push(entry);
    }
  }

  #send(client: Client, entry: Entry): void {
    let frame: string;
    if (typeof entry.body === 'function') {
      frame = JSON.stringify({ v: EVENTS_VERSION, seq: entry.seq, type: entry.type, ...entry.body(client.viewer) });
    } else {
      entry.frame ??= JSON.stringify({ v: EVENTS_VERSION, seq: entry.seq, type: entry.type, ...entry.body });
      frame = entry.frame;
    }
    this.#sendRaw(client, entry.type, frame);
  }

  #sendRaw(client: Client, type: string, frame: string): void {
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > DROP_AT) {
      socket.terminate();
      this.#clients.delete(client);
      return;
    }
    socket.send(frame);
    this.#onSent(type);
  }

  #canResume(resume: ResumeRequest): boolean {
    if (resume.stream !== this.stream || resume.since === undefined || resume.since > this.#seq) return false;
    const oldest = this.#ring[0]?.seq ?? this.#seq + 1;
    return resume.since >= oldest - 1;
  }

  async #snapshotFor(viewer: Viewer): Promise<Body> {
    const actor = viewer.role === 'seat' ? { seat: viewer.seat } : {};
    const [snapshot, unfinished, finished] = await Promise.all([
      this.#queue.snapshot(),
      this.#queue.list({ states: ['queued', 'dispatching', 'running'], limit: 500 }, actor),
      this.#queue.list({ states: ['succeeded', 'failed', 'cancelled'], limit: this.#recentFinished }, actor),
    ]);
    return {
      jobs: [...unfinished.jobs, ...finished.jobs].map((job) => jobView(job, snapshot)),
      queue: queueView(snapshot, viewer),
      announcements: this.#announcements.list().map((a: Announcement) => announcementJson(a)),
    };
  }

  #ping(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.socket.terminate();
        this.#clients.delete(client);
        continue;
      }
      client.alive = false;
      if (client.socket.readyState === client.socket.OPEN) client.socket.ping();
    }
  }
}
