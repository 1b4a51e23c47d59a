/**
 * What every benchmark gets (a temp dir, one shared redis-server, the size
 * switch) and what it hands back (tables and one verdict per target).
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Job } from '../lib/job.ts';
import { makeJob } from '../tests/helpers/job-factory.ts';
import { promptFor, seatName } from '../tests/helpers/queue.ts';
import type { RedisServerHandle } from '../tests/helpers/redis-server.ts';
import type { Table } from './stats.ts';

export { promptFor, seatName };

export interface Verdict {
  target: string;
  measured: string;
  /** null: informational, no target to pass. */
  pass: boolean | null;
}

export interface Section {
  title: string;
  tables: Table[];
  notes: string[];
  verdicts: Verdict[];
}

export interface BenchContext {
  /** Smaller sizes, for the smoke test. */
  quick: boolean;
  dir: string;
  redis: RedisServerHandle;
  /** Progress lines go to stderr so stdout stays the report. */
  log(line: string): void;
  /** A fresh SQLite file path in the temp dir. */
  sqlitePath(name: string): string;
  /** A key prefix no earlier run used, so runs on the shared Redis never see each other's keys. */
  redisPrefix(name: string): string;
  /** Empties the shared Redis between benchmarks (memory, not correctness). */
  flushRedis(): Promise<void>;
}

export interface Benchmark {
  /** Name used with --only. */
  id: string;
  run(ctx: BenchContext): Promise<Section>;
}

export function createContext(options: { quick: boolean; dir: string; redis: RedisServerHandle }): BenchContext {
  let counter = 0;
  return {
    quick: options.quick,
    dir: options.dir,
    redis: options.redis,
    log: (line) => process.stderr.write(`[bench] ${line}\n`),
    sqlitePath: (name) => join(options.dir, `${name}-${++counter}.db`),
    redisPrefix: (name) => `bench${++counter}:${name}:`,
    async flushRedis() {
      const client = new Redis(options.redis.url);
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
  };
}

/** No caps: benchmarks fill queues far beyond the workshop defaults on purpose. */
export const NO_CAPS = { maxQueuedPerSeat: 0, maxDepth: 0 } as const;

/** A queued job of `seat` for direct store calls; `seed` varies the prompt the way a new seed would. */
export function benchJob(seat: string, seed: number): Job {
  return makeJob({ seat, prompt: promptFor(seed) });
}

/** Spreads work over the 20 seats of a workshop. */
export const SEATS = 20;
export const seatOf = (i: number): string => seatName((i % SEATS) + 1);

export function verdictLine(verdict: Verdict): string {
  const status = verdict.pass === null ? 'INFO' : verdict.pass ? 'PASS' : 'MISS';
  return `- **${status}** ${verdict.target}: ${verdict.measured}`;
}
