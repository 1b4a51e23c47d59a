/**
 * QueueStore on Redis, for several server processes sharing one queue.
 * Every multi-key change is one Lua script (lib/store/redis-scripts.ts), so a
 * claim is one atomic compare-and-set and a dispatcher needs two round trips
 * per job: `candidates()` then `claim()`. Durability is Redis's: run it with
 * `appendonly yes` (and `appendfsync always` if no acknowledged job may be lost).
 *
 * Key layout (prefix p, default 'cm:'):
 *   p:job:<id>            hash, one field per Job property
 *   p:lane:<pri>:<seat>   zset of queued ids scored by rank (pinned ones included)
 *   p:lanes               set of non-empty lanes, '<pri>:<seat>'
 *   p:pins                zset of pinned queued ids scored by pin
 *   p:seq, p:last, p:served  claim sequence; per-seat last claim number and claim count
 *   p:rankhi, p:ranklo    per-seat rank water marks
 *   p:jobs, p:seatjobs:<seat>  zsets by queuedAt, for list()
 *   p:req:<seat>          hash clientRequestId -> id
 *   p:count, p:qseat, p:aseat, p:active  counters by state / seat, set of active ids
 *   p:rt:<shape>          list of recent run times, newest first
 *   p:settings            scheduler settings (JSON)
 *   p:signals             pub/sub channel
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { QueueError } from '../errors.ts';
import type { Job, JobState, PriorityClass } from '../job.ts';
import { type SchedulerSettings, SchedulerSettingsSchema } from '../scheduling/settings.ts';
import type {
  ClaimCandidates,
  InsertResult,
  JobPage,
  JobPatch,
  JobQuery,
  LaneHead,
  QueueCaps,
  QueueCounts,
  QueuedEntry,
  QueueStore,
  SeatService,
  StoreSignal,
} from './queue-store.ts';
import { type LuaScript, SCRIPTS } from './redis-scripts.ts';

export interface RedisQueueStoreOptions {
  /** e.g. redis://127.0.0.1:6379/0 */
  url: string;
  /** Prefix of every key and of the signal channel, so several queues can share one Redis. Default 'cm:'. */
  prefix?: string;
}

/** Run times kept per prompt shape; ETAs look at far fewer. */
const RUN_TIME_HISTORY = 100;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

type Reply = string | null | Reply[];
type Listener = (signal: StoreSignal) => void;

export class RedisQueueStore implements QueueStore {
  readonly kind = 'redis';
  readonly #prefix: string;
  readonly #redis: Redis;
  readonly #channel: string;
  /** Tags this instance's signals so it can skip their echo: local watchers get them without the round trip. */
  readonly #origin = randomUUID();
  readonly #listeners = new Set<Listener>();
  #subscriber: Redis | null = null;

  constructor(options: RedisQueueStoreOptions) {
    this.#prefix = options.prefix ?? 'cm:';
    this.#channel = `${this.#prefix}signals`;
    this.#redis = new Redis(options.url, { lazyConnect: true });
    // ioredis reconnects on its own; without a listener it would print every failed attempt.
    this.#redis.on('error', () => {});
  }

  async init(): Promise<void> {
    if (this.#redis.status !== 'wait') return;
    try {
      await this.#redis.connect();
    } catch (error) {
      this.#redis.disconnect(); // stop ioredis from retrying in the background
      throw new QueueError('store_unavailable', `cannot connect to Redis: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const connections = [this.#redis, this.#subscriber].filter((c): c is Redis => c !== null);
    this.#subscriber = null;
    // ioredis rejects QUIT with "Connection is closed" when the socket closes with commands still queued
    // (redis/ioredis#2025): the connection is gone either way, so that is not a failure to report.
    await Promise.all(connections.map((c) => (c.status === 'ready' ? c.quit().then(() => {}, () => c.disconnect()) : c.disconnect())));
  }

  async insert(job: Job, caps: QueueCaps): Promise<InsertResult> {
    const queued: Job = { ...job, state: 'queued' };
    // Read back, a job never carries an explicit `workflow: undefined`; neither does the answer.
    if (queued.workflow === undefined) delete queued.workflow;
    const reply = (await this.#run(SCRIPTS.insert, [
      job.id,
      job.seat,
      job.priority,
      job.clientRequestId ?? '',
      job.options.front ? '1' : '0',
      caps.maxQueuedPerSeat,
      caps.maxDepth,
      job.queuedAt,
      numberField(job.pin),
      ...encodeJob(queued),
    ])) as Reply[];
    switch (reply[0]) {
      case 'ok':
        return { ok: true, job: { ...queued, rank: Number(reply[1]) }, duplicate: false };
      case 'duplicate':
        return { ok: true, job: decodeJob(reply[1] as string[]), duplicate: true };
      case 'seat_cap':
      case 'queue_full':
        return { ok: false, reason: reply[0], count: Number(reply[1]), limit: Number(reply[2]) };
      default:
        throw new QueueError('conflict', `a job with id ${job.id} already exists`, { field: 'id' });
    }
  }

  async get(id: string): Promise<Job | null> {
    const flat = await this.#call('get', () => this.#redis.hgetall(this.#key(`job:${id}`)));
    return Object.keys(flat).length === 0 ? null : decodeJob(flat);
  }

  async list(query: JobQuery): Promise<JobPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
    const index = query.seat === undefined ? 'jobs' : `seatjobs:${query.seat}`;
    const reply = (await this.#run(SCRIPTS.list, [index, query.cursor ?? '', limit, (query.states ?? []).join(',')])) as Reply[];
    if (reply[0] === 'bad_cursor') {
      throw new QueueError('invalid_request', 'cursor does not belong to this listing; start again without one', { field: 'cursor' });
    }
    const jobs = (reply[1] as string[][]).map(decodeJob);
    return { jobs, nextCursor: reply[0] === '' ? null : (reply[0] as string) };
  }

  async candidates(): Promise<ClaimCandidates> {
    const [heads, pinned, last, served] = (await this.#run(SCRIPTS.candidates, [])) as [string[][], string[], string[], string[]];
    const seats: Record<string, SeatService> = {};
    for (const [seat, value] of pairs(served)) seats[seat] = { lastServed: 0, served: Number(value) };
    for (const [seat, value] of pairs(last)) seats[seat] = { lastServed: Number(value), served: seats[seat]?.served ?? 0 };
    const laneHeads = heads.map(([id, seat, priority, rank, queuedAt]): LaneHead => {
      seats[seat!] ??= { lastServed: 0, served: 0 };
      return { id: id!, seat: seat!, priority: priority as PriorityClass, rank: Number(rank), pin: null, queuedAt: Number(queuedAt) };
    });
    let pinnedHead: LaneHead | null = null;
    if (pinned.length > 0) {
      const [id, seat, priority, rank, queuedAt, pin] = pinned as [string, string, string, string, string, string];
      pinnedHead = { id, seat, priority: priority as PriorityClass, rank: Number(rank), pin: Number(pin), queuedAt: Number(queuedAt) };
      seats[seat] ??= { lastServed: 0, served: 0 };
    }
    // SMEMBERS order changes when Redis rebuilds the set (e.g. on an AOF reload); sorted, the answer is stable.
    laneHeads.sort((a, b) => (laneName(a) < laneName(b) ? -1 : 1));
    return { heads: laneHeads, pinned: pinnedHead, seats };
  }

  async claim(id: string, worker: string, now: number): Promise<Job | null> {
    const reply = (await this.#run(SCRIPTS.claim, [id, JSON.stringify(worker), now])) as string[] | null;
    return reply ? decodeJob(reply) : null;
  }

  async update(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null> {
    if (from.length === 0) return null;
    const reply = (await this.#run(SCRIPTS.update, [
      id,
      from.join(','),
      patch.state ?? '',
      patch.pinFront ? '1' : '0',
      RUN_TIME_HISTORY,
      ...encodePatch(patch),
    ])) as string[] | null;
    return reply ? decodeJob(reply) : null;
  }

  async setPriority(id: string, priority: PriorityClass): Promise<Job | null> {
    const reply = (await this.#run(SCRIPTS.setPriority, [id, priority])) as string[] | null;
    return reply ? decodeJob(reply) : null;
  }

  async setPins(ids: readonly string[]): Promise<void> {
    await this.#run(SCRIPTS.setPins, [...ids]);
  }

  async queued(): Promise<QueuedEntry[]> {
    const rows = (await this.#run(SCRIPTS.queued, [])) as string[][];
    return rows.map(([id, seat, priority, rank, pin, queuedAt, shape]) => ({
      id: id!,
      seat: seat!,
      priority: priority as PriorityClass,
      rank: Number(rank),
      pin: nullableNumber(pin),
      queuedAt: Number(queuedAt),
      shape: shape!,
    }));
  }

  async active(): Promise<Job[]> {
    const rows = (await this.#run(SCRIPTS.active, [])) as string[][];
    return rows.map(decodeJob);
  }

  async counts(): Promise<QueueCounts> {
    const [byState, queuedBySeat, activeBySeat] = (await this.#run(SCRIPTS.counts, [])) as [string[], string[], string[]];
    const counts: QueueCounts = {
      byState: { queued: 0, dispatching: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      queuedBySeat: {},
      activeBySeat: {},
    };
    for (const [state, n] of pairs(byState)) counts.byState[state as JobState] = Number(n);
    for (const [seat, n] of pairs(queuedBySeat)) counts.queuedBySeat[seat] = Number(n);
    for (const [seat, n] of pairs(activeBySeat)) counts.activeBySeat[seat] = Number(n);
    return counts;
  }

  async runTimes(shape: string, limit: number): Promise<number[]> {
    if (limit <= 0) return [];
    const values = await this.#call('runTimes', () => this.#redis.lrange(this.#key(`rt:${shape}`), 0, limit - 1));
    return values.map(Number);
  }

  async getSettings(): Promise<SchedulerSettings | null> {
    const raw = await this.#call('getSettings', () => this.#redis.get(this.#key('settings')));
    if (raw === null) return null;
    const parsed = SchedulerSettingsSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) {
      throw new QueueError('internal', `stored scheduler settings are invalid: ${parsed.error.issues[0]?.message}`, { field: 'settings' });
    }
    return parsed.data;
  }

  async setSettings(settings: SchedulerSettings): Promise<void> {
    await this.#call('setSettings', () => this.#redis.set(this.#key('settings'), JSON.stringify(settings)));
  }

  async publish(signal: StoreSignal): Promise<void> {
    // Local watchers get it at once, without waiting for the subscriber connection; their own echo is skipped.
    queueMicrotask(() => this.#deliver(structuredClone(signal)));
    const message = JSON.stringify({ origin: this.#origin, signal });
    await this.#call('publish', () => this.#redis.publish(this.#channel, message));
  }

  watch(listener: Listener): () => void {
    // Wrapped so one function watching twice gets two independent subscriptions.
    const own: Listener = (signal) => listener(signal);
    this.#listeners.add(own);
    if (this.#subscriber === null) {
      const subscriber = this.#redis.duplicate();
      subscriber.on('error', () => {});
      subscriber.on('message', (_channel: string, message: string) => this.#receive(message));
      // A failure here surfaces as missed remote signals only; ioredis resubscribes after reconnecting.
      subscriber.subscribe(this.#channel).catch(() => {});
      this.#subscriber = subscriber;
    }
    return () => {
      this.#listeners.delete(own);
    };
  }

  #receive(message: string): void {
    let parsed: { origin?: unknown; signal?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      return; // not ours: someone else published on the channel
    }
    const signal = parsed.signal as StoreSignal | undefined;
    if (parsed.origin === this.#origin || typeof signal?.kind !== 'string') return;
    this.#deliver(signal);
  }

  #deliver(signal: StoreSignal): void {
    for (const listener of [...this.#listeners]) listener(signal);
  }

  #key(suffix: string): string {
    return this.#prefix + suffix;
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) after a restart or flush. */
  #run(script: LuaScript, args: (string | number)[]): Promise<unknown> {
    return this.#call(script.name, async () => {
      try {
        return await this.#redis.evalsha(script.sha, 0, this.#prefix, ...args);
      } catch (error) {
        if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
        return await this.#redis.eval(script.source, 0, this.#prefix, ...args);
      }
    });
  }

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof QueueError) throw error;
      const message = (error as Error).message;
      const isReply = (error as Error).name === 'ReplyError';
      throw new QueueError(isReply ? 'internal' : 'store_unavailable', `Redis ${operation} failed: ${message}`, { cause: error });
    }
  }
}

const laneName = (head: LaneHead): string => `${head.seat} ${head.priority}`;

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!];
}

const nullableNumber = (value: string | null | undefined): number | null => (value === '' || value == null ? null : Number(value));
const numberField = (value: number | null): string => (value === null ? '' : String(value));

/** The job as hash field/value pairs, rank excluded (the insert script assigns it). */
function encodeJob(job: Job): string[] {
  const fields = [
    'id', job.id,
    'seat', job.seat,
    'priority', job.priority,
    'state', job.state,
    'shape', job.shape,
    'attempts', String(job.attempts),
    'queuedAt', String(job.queuedAt),
    'startedAt', numberField(job.startedAt),
    'finishedAt', numberField(job.finishedAt),
    'pin', numberField(job.pin),
    'prompt', JSON.stringify(job.prompt),
    'options', JSON.stringify(job.options),
    'worker', JSON.stringify(job.worker),
    'error', JSON.stringify(job.error),
    'outputs', JSON.stringify(job.outputs),
    'clientRequestId', JSON.stringify(job.clientRequestId),
    'cancelRequested', job.cancelRequested ? '1' : '0',
    'title', JSON.stringify(job.title),
  ];
  if (job.workflow !== undefined) fields.push('workflow', JSON.stringify(job.workflow));
  return fields;
}

function encodePatch(patch: JobPatch): string[] {
  const fields: string[] = [];
  if (patch.worker !== undefined) fields.push('worker', JSON.stringify(patch.worker));
  if (patch.startedAt !== undefined) fields.push('startedAt', numberField(patch.startedAt));
  if (patch.finishedAt !== undefined) fields.push('finishedAt', numberField(patch.finishedAt));
  if (patch.error !== undefined) fields.push('error', JSON.stringify(patch.error));
  if (patch.outputs !== undefined) fields.push('outputs', JSON.stringify(patch.outputs));
  if (patch.cancelRequested !== undefined) fields.push('cancelRequested', patch.cancelRequested ? '1' : '0');
  return fields;
}

/** Hash replies arrive as a flat [field, value, …] array from scripts and as an object from HGETALL. */
function decodeJob(reply: readonly string[] | Record<string, string>): Job {
  const h: Record<string, string> = Array.isArray(reply) ? Object.fromEntries(pairs(reply)) : (reply as Record<string, string>);
  const json = (field: string): unknown => JSON.parse(h[field] ?? 'null');
  const job: Job = {
    id: h['id']!,
    seat: h['seat']!,
    prompt: json('prompt') as Job['prompt'],
    options: json('options') as Job['options'],
    priority: h['priority'] as PriorityClass,
    state: h['state'] as JobState,
    attempts: Number(h['attempts']),
    queuedAt: Number(h['queuedAt']),
    startedAt: nullableNumber(h['startedAt']),
    finishedAt: nullableNumber(h['finishedAt']),
    worker: json('worker') as string | null,
    error: json('error') as Job['error'],
    outputs: json('outputs') as Job['outputs'],
    shape: h['shape']!,
    clientRequestId: json('clientRequestId') as string | null,
    rank: Number(h['rank']),
    pin: nullableNumber(h['pin']),
    cancelRequested: h['cancelRequested'] === '1',
    title: json('title') as string | null,
  };
  if (h['workflow'] !== undefined) job.workflow = JSON.parse(h['workflow']);
  return job;
}
