/**
 * "4 processes claiming from one Redis never claim a job twice": real child
 * processes, each with its own connection, race for the same lane heads.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { PRIORITY_CLASSES, type PriorityClass } from '../../lib/job.ts';
import { RedisQueueStore } from '../../lib/store/redis-store.ts';
import { drainTogether } from '../helpers/drainer.ts';
import { makeJob } from '../helpers/job-factory.ts';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';

const WORKERS = ['w1', 'w2', 'w3', 'w4'];
const NO_CAPS = { maxQueuedPerSeat: 0, maxDepth: 0 };
const RUNS = 5;

let redis: RedisServerHandle;
before(async () => {
  redis = await startRedis({ appendonly: false });
});
after(async () => {
  await redis?.stop();
});

const scenario = fc
  .record({ jobs: fc.integer({ min: 50, max: 400 }), seats: fc.integer({ min: 1, max: 20 }) })
  .chain(({ jobs, seats }) =>
    fc.array(
      fc.record({
        seat: fc.integer({ min: 1, max: seats }),
        priority: fc.constantFrom<PriorityClass>(...PRIORITY_CLASSES),
        front: fc.boolean(),
        pinned: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      }),
      { minLength: jobs, maxLength: jobs },
    ),
  );

let run = 0;
test('4 processes claiming from one Redis never claim a job twice', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (jobs) => {
      // One Redis database per run (a server has 16), so runs never see each other's jobs.
      const url = `${redis.url}/${++run}`;
      const store = new RedisQueueStore({ url });
      await store.init();
      try {
        const ids: string[] = [];
        const pins: string[] = [];
        for (const spec of jobs) {
          const seat = `user${String(spec.seat).padStart(2, '0')}`;
          const result = await store.insert(makeJob({ seat, priority: spec.priority, options: { front: spec.front } }), NO_CAPS);
          assert.ok(result.ok);
          ids.push(result.job.id);
          if (spec.pinned) pins.push(result.job.id);
        }
        await store.setPins(pins);

        // Every drainer aims at the same head (the pinned job, else the first lane), so most claims race.
        const claimed = (await drainTogether(`redis:${url}`, WORKERS)).flat();
        assert.equal(new Set(claimed).size, claimed.length, 'some job was claimed twice');
        assert.deepEqual([...claimed].sort(), [...ids].sort(), 'claimed jobs differ from inserted jobs');

        const counts = await store.counts();
        assert.equal(counts.byState.queued, 0);
        assert.equal(counts.byState.dispatching, ids.length);
        const active = await store.active();
        assert.equal(active.length, ids.length);
        for (const job of active) {
          assert.equal(job.state, 'dispatching');
          assert.equal(job.attempts, 1, `job ${job.id} was claimed ${job.attempts} times`);
        }
        const { heads, pinned, seats } = await store.candidates();
        assert.deepEqual({ heads, pinned }, { heads: [], pinned: null });
        const served = Object.values(seats).reduce((sum, s) => sum + s.served, 0);
        assert.equal(served, ids.length, 'every claim bumped its seat service once');
      } finally {
        await store.close();
      }
    }),
    // No shrinking: every run spawns four processes, and the failing scenario is reported as is.
    { numRuns: RUNS, endOnFailure: true },
  );
});
