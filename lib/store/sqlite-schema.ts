/**
 * The SQLite store's schema and the mapping between its rows and jobs. Migrations are
 * applied in order, each once (tracked in `schema_version`); add a new entry to change
 * the schema, never edit a released one.
 */
import type { SQLInputValue } from 'node:sqlite';
import type { Job, JobState, PriorityClass } from '../job.ts';
import type { LaneHead } from './queue-store.ts';

export type Row = Record<string, SQLInputValue>;

/** Applied in order, each once; every statement is idempotent so a half-applied step can be re-run. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seat TEXT NOT NULL,
    state TEXT NOT NULL,
    priority TEXT NOT NULL,
    rank INTEGER NOT NULL,
    pin INTEGER,
    queued_at INTEGER NOT NULL,
    client_request_id TEXT,
    shape TEXT NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    attempts INTEGER NOT NULL,
    worker TEXT,
    cancel_requested INTEGER NOT NULL,
    title TEXT,
    error TEXT,
    outputs TEXT NOT NULL,
    -- prompt, workflow and options: large and never changed, so no update rewrites them
    body TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS jobs_lane ON jobs (seat, priority, pin, rank, queued_at, id, shape) WHERE state = 'queued';
  CREATE INDEX IF NOT EXISTS jobs_pinned ON jobs (pin) WHERE state = 'queued' AND pin IS NOT NULL;
  CREATE INDEX IF NOT EXISTS jobs_active ON jobs (state) WHERE state IN ('dispatching', 'running');
  CREATE UNIQUE INDEX IF NOT EXISTS jobs_request ON jobs (seat, client_request_id) WHERE client_request_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (queued_at, id);
  CREATE INDEX IF NOT EXISTS jobs_seat_newest ON jobs (seat, queued_at, id);
  CREATE INDEX IF NOT EXISTS jobs_run_times ON jobs (shape, finished_at) WHERE state = 'succeeded';

  -- Every seat ever seen: rank counters (high for new jobs, low for "front" jobs) and service.
  CREATE TABLE IF NOT EXISTS seats (
    seat TEXT PRIMARY KEY,
    high_rank INTEGER NOT NULL DEFAULT 0,
    low_rank INTEGER NOT NULL DEFAULT 0,
    last_served INTEGER NOT NULL DEFAULT 0,
    served INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE IF NOT EXISTS state_counts (
    seat TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (seat, state)
  ) WITHOUT ROWID;
  CREATE TRIGGER IF NOT EXISTS jobs_count_insert AFTER INSERT ON jobs BEGIN
    INSERT OR IGNORE INTO state_counts (seat, state, n) VALUES (NEW.seat, NEW.state, 0);
    UPDATE state_counts SET n = n + 1 WHERE seat = NEW.seat AND state = NEW.state;
  END;
  CREATE TRIGGER IF NOT EXISTS jobs_count_update AFTER UPDATE OF state ON jobs WHEN OLD.state <> NEW.state BEGIN
    UPDATE state_counts SET n = n - 1 WHERE seat = OLD.seat AND state = OLD.state;
    INSERT OR IGNORE INTO state_counts (seat, state, n) VALUES (NEW.seat, NEW.state, 0);
    UPDATE state_counts SET n = n + 1 WHERE seat = NEW.seat AND state = NEW.state;
  END;

  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('claim_seq', 0);
  `,
];

/** The columns of `jobs`, in the order `toRow` gives their values. */
const JOB_COLUMNS = [
  'id',
  'seat',
  'state',
  'priority',
  'rank',
  'pin',
  'queued_at',
  'client_request_id',
  'shape',
  'started_at',
  'finished_at',
  'attempts',
  'worker',
  'cancel_requested',
  'title',
  'error',
  'outputs',
  'body',
] as const;

export const INSERT_JOB = `INSERT INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map(() => '?').join(', ')})`;

export function toRow(job: Job): SQLInputValue[] {
  return [
    job.id,
    job.seat,
    job.state,
    job.priority,
    job.rank,
    job.pin,
    job.queuedAt,
    job.clientRequestId,
    job.shape,
    job.startedAt,
    job.finishedAt,
    job.attempts,
    job.worker,
    job.cancelRequested ? 1 : 0,
    job.title,
    job.error === null ? null : JSON.stringify(job.error),
    JSON.stringify(job.outputs),
    JSON.stringify({ prompt: job.prompt, workflow: job.workflow, options: job.options }),
  ];
}

export function toLaneHead(row: Row): LaneHead {
  return {
    id: String(row['id']),
    seat: String(row['seat']),
    priority: row['priority'] as PriorityClass,
    rank: Number(row['rank']),
    pin: row['pin'] === null ? null : Number(row['pin']),
    queuedAt: Number(row['queued_at']),
  };
}

export function toJob(row: Row): Job {
  const body = JSON.parse(String(row['body'])) as Pick<Job, 'prompt' | 'workflow' | 'options'>;
  const job: Job = {
    id: String(row['id']),
    seat: String(row['seat']),
    prompt: body.prompt,
    options: body.options,
    priority: row['priority'] as PriorityClass,
    state: row['state'] as JobState,
    attempts: Number(row['attempts']),
    queuedAt: Number(row['queued_at']),
    startedAt: row['started_at'] === null ? null : Number(row['started_at']),
    finishedAt: row['finished_at'] === null ? null : Number(row['finished_at']),
    worker: row['worker'] === null ? null : String(row['worker']),
    error: row['error'] === null ? null : JSON.parse(String(row['error'])),
    outputs: JSON.parse(String(row['outputs'])),
    shape: String(row['shape']),
    clientRequestId: row['client_request_id'] === null ? null : String(row['client_request_id']),
    rank: Number(row['rank']),
    pin: row['pin'] === null ? null : Number(row['pin']),
    cancelRequested: row['cancel_requested'] === 1,
    title: row['title'] === null ? null : String(row['title']),
  };
  if (body.workflow !== undefined) job.workflow = body.workflow;
  return job;
}
