/**
 * The embedded default store: one SQLite file through `node:sqlite`.
 *
 * SQLite is the one-node store. Claims are safe across processes sharing the
 * file (every move is a `BEGIN IMMEDIATE` transaction), but `watch`/`publish`
 * only reach instances of this process that use the same file: run several
 * server processes on Redis instead.
 *
 * Durability: WAL with `synchronous = NORMAL` keeps every committed job across
 * a process crash or kill; a power cut may lose the last moments of commits,
 * as Redis's default `appendfsync everysec` does.
 *
 * Lanes are answered through partial indexes over queued jobs only, so
 * `candidates()` costs one index seek per (seat, priority) lane, whatever the
 * number of queued or finished jobs. Per-seat and per-state counts are kept
 * by triggers, so caps and `counts()` never count rows.
 */
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { QueueError } from '../errors.ts';
import { JOB_STATES, type Job, type JobState, PRIORITY_CLASSES, type PriorityClass } from '../job.ts';
import type { SchedulerSettings } from '../scheduling/settings.ts';
import type {
  ClaimCandidates,
  InsertResult,
  JobPage,
  JobPatch,
  JobQuery,
  QueueCaps,
  QueueCounts,
  QueuedEntry,
  QueueStore,
  SeatService,
  StoreSignal,
} from './queue-store.ts';
import { INSERT_JOB, MIGRATIONS, type Row, toJob, toLaneHead, toRow } from './sqlite-schema.ts';

export interface SqliteStoreOptions {
  /** Database file, created if missing; ':memory:' for a private in-memory store. */
  path: string;
  /** How long a write waits for another process's transaction, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

const LANE_COLUMNS = 'id, seat, priority, rank, pin, queued_at';
const PRIORITY_VALUES = PRIORITY_CLASSES.map((p) => `('${p}')`).join(', ');
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** Signal channels of this process, one per database file, shared by every instance on that file. */
const channels = new Map<string, EventEmitter>();
let memoryStores = 0;

export class SqliteQueueStore implements QueueStore {
  readonly kind = 'sqlite';
  private readonly db: DatabaseSync;
  private readonly path: string;
  private readonly channelKey: string;
  private readonly statements = new Map<string, StatementSync>();
  private readonly listeners = new Set<(signal: StoreSignal) => void>();

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.channelKey = options.path === ':memory:' ? `:memory:${++memoryStores}` : resolve(options.path);
    this.db = new DatabaseSync(options.path, {
      open: false,
      enableForeignKeyConstraints: false,
      timeout: options.busyTimeoutMs ?? 5000,
    });
  }

  async init(): Promise<void> {
    try {
      this.db.open();
    } catch (error) {
      throw new QueueError('store_unavailable', `cannot open the SQLite store at ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    this.transaction(() => {
      const current = Number(this.row('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')?.['v']);
      for (let version = current + 1; version <= MIGRATIONS.length; version++) {
        this.db.exec(MIGRATIONS[version - 1]!);
        this.run('INSERT INTO schema_version (version) VALUES (?)', version);
      }
    });
  }

  async close(): Promise<void> {
    for (const listener of this.listeners) this.unwatch(listener);
    this.statements.clear();
    if (this.db.isOpen) this.db.close();
  }

  async insert(job: Job, caps: QueueCaps): Promise<InsertResult> {
    return this.transaction((): InsertResult => {
      if (job.clientRequestId !== null) {
        const existing = this.row('SELECT * FROM jobs WHERE seat = ? AND client_request_id = ?', job.seat, job.clientRequestId);
        if (existing) return { ok: true, job: toJob(existing), duplicate: true };
      }
      const seatQueued = this.queuedCount(job.seat);
      if (caps.maxQueuedPerSeat > 0 && seatQueued >= caps.maxQueuedPerSeat) {
        return { ok: false, reason: 'seat_cap', count: seatQueued, limit: caps.maxQueuedPerSeat };
      }
      if (caps.maxDepth > 0) {
        const total = this.queuedCount(null);
        if (total >= caps.maxDepth) return { ok: false, reason: 'queue_full', count: total, limit: caps.maxDepth };
      }
      if (this.row('SELECT 1 AS found FROM jobs WHERE id = ?', job.id)) {
        throw new QueueError('conflict', `a job with id ${job.id} already exists`, { field: 'id' });
      }
      this.run('INSERT OR IGNORE INTO seats (seat) VALUES (?)', job.seat);
      const rank = job.options.front
        ? Number(this.row('UPDATE seats SET low_rank = low_rank - 1 WHERE seat = ? RETURNING low_rank AS r', job.seat)?.['r'])
        : Number(this.row('UPDATE seats SET high_rank = high_rank + 1 WHERE seat = ? RETURNING high_rank AS r', job.seat)?.['r']);
      const stored: Job = { ...job, state: 'queued', rank };
      // Read back, a job never carries an explicit `workflow: undefined`; neither does the answer.
      if (stored.workflow === undefined) delete stored.workflow;
      this.run(INSERT_JOB, ...toRow(stored));
      return { ok: true, job: stored, duplicate: false };
    });
  }

  async get(id: string): Promise<Job | null> {
    const row = this.row('SELECT * FROM jobs WHERE id = ?', id);
    return row ? toJob(row) : null;
  }

  async list(query: JobQuery): Promise<JobPage> {
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? DEFAULT_PAGE)));
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.seat !== undefined) {
      where.push('seat = ?');
      params.push(query.seat);
    }
    if (query.states && query.states.length > 0) {
      where.push(`state IN (${query.states.map(() => '?').join(', ')})`);
      params.push(...query.states);
    }
    if (query.cursor) {
      const [queuedAt, id] = decodeCursor(query.cursor);
      where.push('(queued_at, id) < (?, ?)');
      params.push(queuedAt, id);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY queued_at DESC, id DESC LIMIT ?`;
    const rows = this.rows(sql, ...params, limit + 1);
    const jobs = rows.slice(0, limit).map(toJob);
    const last = jobs[jobs.length - 1];
    return { jobs, nextCursor: rows.length > limit && last ? encodeCursor(last.queuedAt, last.id) : null };
  }

  async candidates(): Promise<ClaimCandidates> {
    // One read transaction, so heads, pin and service counters are one consistent snapshot.
    return this.transaction(() => {
      const heads = this.rows(
        `WITH lanes (priority) AS (VALUES ${PRIORITY_VALUES})
         SELECT j.id, j.seat, j.priority, j.rank, j.pin, j.queued_at FROM seats AS s CROSS JOIN lanes AS l
           JOIN jobs AS j ON j.rowid = (
             SELECT rowid FROM jobs
             WHERE state = 'queued' AND seat = s.seat AND priority = l.priority AND pin IS NULL
             ORDER BY rank, queued_at, id LIMIT 1)`,
      ).map(toLaneHead);
      const pinnedRow = this.row(`SELECT ${LANE_COLUMNS} FROM jobs WHERE state = 'queued' AND pin IS NOT NULL ORDER BY pin LIMIT 1`);
      const seats: Record<string, SeatService> = {};
      for (const row of this.rows('SELECT seat, last_served, served FROM seats')) {
        seats[String(row['seat'])] = { lastServed: Number(row['last_served']), served: Number(row['served']) };
      }
      return { heads, pinned: pinnedRow ? toLaneHead(pinnedRow) : null, seats };
    }, 'BEGIN');
  }

  async claim(id: string, worker: string, now: number): Promise<Job | null> {
    return this.transaction(() => {
      const row = this.row(
        `UPDATE jobs SET state = 'dispatching', worker = ?, started_at = ?, attempts = attempts + 1, pin = NULL
         WHERE id = ? AND state = 'queued' RETURNING *`,
        worker,
        now,
        id,
      );
      if (!row) return null;
      const seq = this.row(`UPDATE meta SET value = value + 1 WHERE key = 'claim_seq' RETURNING value`)?.['value'];
      this.run('UPDATE seats SET last_served = ?, served = served + 1 WHERE seat = ?', Number(seq), row['seat']!);
      return toJob(row);
    });
  }

  async update(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null> {
    return this.transaction(() => {
      const current = this.row('SELECT state, pin FROM jobs WHERE id = ?', id);
      if (!current || !from.includes(current['state'] as JobState)) return null;
      const state = patch.state ?? (current['state'] as JobState);
      let pin = state === 'queued' ? current['pin']! : null;
      if (state === 'queued' && patch.pinFront) {
        const lowest = this.row(`SELECT MIN(pin) AS p FROM jobs WHERE state = 'queued' AND pin IS NOT NULL AND id <> ?`, id)?.['p'];
        pin = lowest === null || lowest === undefined ? 1 : Number(lowest) - 1;
      }
      const sets = ['state = ?', 'pin = ?'];
      const params: SQLInputValue[] = [state, pin];
      const set = (column: string, value: SQLInputValue | undefined) => {
        if (value === undefined) return;
        sets.push(`${column} = ?`);
        params.push(value);
      };
      set('worker', patch.worker);
      set('started_at', patch.startedAt);
      set('finished_at', patch.finishedAt);
      set('error', patch.error === undefined ? undefined : patch.error === null ? null : JSON.stringify(patch.error));
      set('outputs', patch.outputs === undefined ? undefined : JSON.stringify(patch.outputs));
      set('cancel_requested', patch.cancelRequested === undefined ? undefined : patch.cancelRequested ? 1 : 0);
      const row = this.row(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ? RETURNING *`, ...params, id);
      return row ? toJob(row) : null;
    });
  }

  async setPriority(id: string, priority: PriorityClass): Promise<Job | null> {
    const row = this.row(`UPDATE jobs SET priority = ? WHERE id = ? AND state = 'queued' RETURNING *`, priority, id);
    return row ? toJob(row) : null;
  }

  async setPins(ids: readonly string[]): Promise<void> {
    this.transaction(() => {
      this.run(`UPDATE jobs SET pin = NULL WHERE state = 'queued' AND pin IS NOT NULL`);
      let pin = 0;
      for (const id of new Set(ids)) {
        if (this.run(`UPDATE jobs SET pin = ? WHERE id = ? AND state = 'queued'`, pin + 1, id).changes > 0) pin++;
      }
    });
  }

  async queued(): Promise<QueuedEntry[]> {
    return this.rows(`SELECT ${LANE_COLUMNS}, shape FROM jobs WHERE state = 'queued'`).map((row) => ({
      ...toLaneHead(row),
      shape: String(row['shape']),
    }));
  }

  async active(): Promise<Job[]> {
    return this.rows(`SELECT * FROM jobs WHERE state IN ('dispatching', 'running')`).map(toJob);
  }

  async counts(): Promise<QueueCounts> {
    const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    const queuedBySeat: Record<string, number> = {};
    const activeBySeat: Record<string, number> = {};
    for (const row of this.rows('SELECT seat, state, n FROM state_counts WHERE n > 0')) {
      const seat = String(row['seat']);
      const state = row['state'] as JobState;
      const n = Number(row['n']);
      byState[state] += n;
      if (state === 'queued') queuedBySeat[seat] = n;
      if (state === 'dispatching' || state === 'running') activeBySeat[seat] = (activeBySeat[seat] ?? 0) + n;
    }
    return { byState, queuedBySeat, activeBySeat };
  }

  async runTimes(shape: string, limit: number): Promise<number[]> {
    return this.rows(
      `SELECT finished_at - started_at AS ms FROM jobs
       WHERE state = 'succeeded' AND shape = ? AND started_at IS NOT NULL AND finished_at IS NOT NULL
       ORDER BY finished_at DESC LIMIT ?`,
      shape,
      Math.max(0, Math.floor(limit)),
    ).map((row) => Number(row['ms']));
  }

  async getSettings(): Promise<SchedulerSettings | null> {
    const value = this.row(`SELECT value FROM meta WHERE key = 'settings'`)?.['value'];
    return typeof value === 'string' ? (JSON.parse(value) as SchedulerSettings) : null;
  }

  async setSettings(settings: SchedulerSettings): Promise<void> {
    this.run(`INSERT INTO meta (key, value) VALUES ('settings', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, JSON.stringify(settings));
  }

  async publish(signal: StoreSignal): Promise<void> {
    const channel = channels.get(this.channelKey);
    // Delivered after the caller's current step, as a pub/sub message would be.
    if (channel) queueMicrotask(() => channel.emit('signal', structuredClone(signal)));
  }

  watch(listener: (signal: StoreSignal) => void): () => void {
    let channel = channels.get(this.channelKey);
    if (!channel) {
      channel = new EventEmitter();
      channel.setMaxListeners(0);
      channels.set(this.channelKey, channel);
    }
    // Wrapped so one function watching twice gets two independent subscriptions.
    const own = (signal: StoreSignal) => listener(signal);
    channel.on('signal', own);
    this.listeners.add(own);
    return () => this.unwatch(own);
  }

  private unwatch(listener: (signal: StoreSignal) => void): void {
    this.listeners.delete(listener);
    const channel = channels.get(this.channelKey);
    if (!channel) return;
    channel.off('signal', listener);
    if (channel.listenerCount('signal') === 0) channels.delete(this.channelKey);
  }

  /** Queued jobs of one seat, or of every seat when `seat` is null; read from the trigger-kept counts. */
  private queuedCount(seat: string | null): number {
    const row =
      seat === null
        ? this.row(`SELECT COALESCE(SUM(n), 0) AS n FROM state_counts WHERE state = 'queued'`)
        : this.row(`SELECT n FROM state_counts WHERE seat = ? AND state = 'queued'`, seat);
    return Number(row?.['n'] ?? 0);
  }

  /** Runs `fn` in one transaction; IMMEDIATE takes the write lock up front so two processes never interleave a move. */
  private transaction<T>(fn: () => T, begin: 'BEGIN IMMEDIATE' | 'BEGIN' = 'BEGIN IMMEDIATE'): T {
    this.guard(() => this.db.exec(begin));
    try {
      const result = this.guard(fn);
      this.guard(() => this.db.exec('COMMIT'));
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** A lock held past the busy timeout or a failing disk becomes a `store_unavailable` error; other errors pass through. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      const errcode = (error as { errcode?: unknown }).errcode;
      // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN (primary codes, low byte).
      if (typeof errcode === 'number' && [5, 6, 10, 13, 14].includes(errcode & 0xff)) {
        throw new QueueError('store_unavailable', `SQLite store ${this.path}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private row(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.guard(() => this.statement(sql).get(...params) as Row | undefined);
  }

  private rows(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.guard(() => this.statement(sql).all(...params) as Row[]);
  }

  private run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    const result = this.guard(() => this.statement(sql).run(...params));
    return { changes: Number(result.changes) };
  }
}

/** Cursors are opaque to callers: base64url of the last row's sort key. */
function encodeCursor(queuedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([queuedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the error below
  }
  throw new QueueError('invalid_request', 'cursor is not one this server issued; start again without it', { field: 'cursor' });
}
