/**
 * The store keeps its promises across a crash: a child process inserts and claims jobs
 * and is SIGKILLed mid-run; the reopened store still has every job it reported, once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Job, JobSchema } from '../../lib/job.ts';
import type { QueueStore } from '../../lib/store/queue-store.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { openStoreFromSpec } from './churn-child.ts';

const CHILD = fileURLToPath(new URL('./churn-child.ts', import.meta.url));
const KILL_AFTER_ACCEPTED = 200;
const ROUNDS = 3;

interface Run {
  accepted: string[];
  claimed: string[];
}

/** Runs the churn child until it has accepted `killAfter` jobs, SIGKILLs it, and returns every id it printed. */
function churnUntilKilled(spec: string, killAfter: number, onAccepted?: (count: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, spec, 'churn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { accepted: [], claimed: [] };
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [what, id] = line.split(' ');
      if (what === 'accepted' && id) {
        run.accepted.push(id);
        onAccepted?.(run.accepted.length);
      }
      else if (what === 'claimed' && id) run.claimed.push(id);
      if (!killed && run.accepted.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    // 'close' waits for stdout to end, so lines printed just before the kill are counted too.
    child.on('close', (_code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve(run);
      else reject(new Error(`churn child ended on its own (signal ${signal}) after ${run.accepted.length} jobs:\n${stderr}`));
    });
  });
}

async function listAll(store: QueueStore): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.list({ limit: 500, ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor);
  return jobs;
}

interface StoreCase {
  name: string;
  /** A fresh, empty store spec for churn-child.ts, and how to remove it afterwards. */
  create(): Promise<{ spec: string; cleanup(): Promise<void> }>;
}

const cases: StoreCase[] = [
  {
    name: 'sqlite',
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'comfy-multi-restart-'));
      return { spec: `sqlite:${join(dir, 'queue.db')}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'redis',
    async create() {
      const server = await startRedis();
      return { spec: `redis:${server.url}`, cleanup: () => server.stop() };
    },
  },
];

describe('store restart after SIGKILL', () => {
  for (const storeCase of cases) {
    it(`${storeCase.name}: every accepted job survives, once, and claimed jobs can be reconciled`, async () => {
      const { spec, cleanup } = await storeCase.create();
      const accepted = new Set<string>();
      const claimed = new Set<string>();
      /** Jobs committed without their line reaching us: at most one per kill. */
      const unreported = new Set<string>();
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          const run = await churnUntilKilled(spec, KILL_AFTER_ACCEPTED);
          for (const id of run.accepted) accepted.add(id);
          for (const id of run.claimed) claimed.add(id);

          const store = await openStoreFromSpec(spec);
          try {
            const jobs = await listAll(store);
            const ids = jobs.map((j) => j.id);
            assert.equal(new Set(ids).size, ids.length, 'no job is stored twice');
            const stored = new Set(ids);
            const lost = [...accepted].filter((id) => !stored.has(id));
            assert.deepEqual(lost, [], `round ${round}: accepted jobs are missing`);

            const extra = jobs.filter((j) => !accepted.has(j.id) && !unreported.has(j.id));
            assert.ok(extra.length <= 1, `round ${round}: ${extra.length} jobs appeared that were never reported`);
            for (const job of extra) {
              JobSchema.parse(job);
              unreported.add(job.id);
            }
            assert.equal(jobs.length, accepted.size + unreported.size);

            const active = await store.active();
            const activeIds = new Set(active.map((j) => j.id));
            for (const id of claimed) assert.ok(activeIds.has(id), `round ${round}: claimed job ${id} is not active`);
            assert.ok(active.length - claimed.size <= round, 'at most one unreported claim per kill');
            assert.ok(active.every((j) => j.state === 'dispatching' && j.worker === 'churn' && j.attempts === 1));

            const counts = await store.counts();
            assert.equal(counts.byState.queued, jobs.filter((j) => j.state === 'queued').length);
            assert.equal(counts.byState.dispatching, active.length);
            const queuedIds = new Set((await store.queued()).map((e) => e.id));
            assert.equal(queuedIds.size, counts.byState.queued);
            for (const head of (await store.candidates()).heads) assert.ok(queuedIds.has(head.id));
          } finally {
            await store.close();
          }
        }
      } finally {
        await cleanup();
      }
    });
  }

  it('redis: every accepted job survives, once, when redis-server itself is SIGKILLed and restarted mid-run', async () => {
    // appendfsync always: Redis writes every change to the AOF before it answers, so an answered insert survives a SIGKILL.
    const server = await startRedis();
    const spec = `redis:${server.url}`;
    try {
      let outage: Promise<void> | undefined;
      const run = await churnUntilKilled(spec, 2 * KILL_AFTER_ACCEPTED, (count) => {
        if (count === KILL_AFTER_ACCEPTED / 2) outage = server.kill().then(() => server.restart());
      });
      await outage;
      assert.equal(new Set(run.accepted).size, run.accepted.length, 'no job was accepted twice');
      const store = await openStoreFromSpec(spec);
      try {
        const jobs = await listAll(store);
        const stored = new Set(jobs.map((j) => j.id));
        assert.equal(stored.size, jobs.length, 'no job is stored twice');
        assert.deepEqual(
          run.accepted.filter((id) => !stored.has(id)),
          [],
          'accepted jobs are missing',
        );
        // Only the insert in flight when the child was killed may be stored unreported.
        assert.ok(jobs.length - run.accepted.length <= 1, `${jobs.length - run.accepted.length} unreported jobs`);
        const active = await store.active();
        const activeIds = new Set(active.map((j) => j.id));
        for (const id of run.claimed) assert.ok(activeIds.has(id), `claimed job ${id} is not active`);
        // A claim whose answer was lost in the outage, and one in flight at the child's kill.
        assert.ok(active.length - run.claimed.length <= 2, `${active.length - run.claimed.length} unreported claims`);
        assert.ok(active.every((j) => j.state === 'dispatching' && j.worker === 'churn' && j.attempts === 1));
        const counts = await store.counts();
        assert.equal(counts.byState.queued + counts.byState.dispatching, jobs.length);
        assert.equal((await store.queued()).length, counts.byState.queued);
      } finally {
        await store.close();
      }
    } finally {
      await server.stop();
    }
  });
});
