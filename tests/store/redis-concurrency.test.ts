/**
 * "4 processes claiming from one Redis never claim a job twice": real child
 * processes, each with its own connection, race for the same lane heads.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { PRIORITY_CLASSES, type PriorityClass } from '../../lib/job.ts';
import { RedisQueueStore } from '../../lib/store/redis-store.ts';
import { makeJob } from '../helpers/job-factory.ts';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';

const CHILD = fileURLToPath(new URL('./claim-child.ts', import.meta.url));
const PROCESSES = 4;
const NO_CAPS = { maxQueuedPerSeat: 0, maxDepth: 0 };

let redis: RedisServerHandle;
before(async () => {
  redis = await startRedis({ appendonly: false });
});
after(async () => {
  await redis?.stop();
});

async function runChild(prefix: string, worker: string): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, redis.url, prefix, worker], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `claim child ${worker} failed: ${stderr}`);
  return stdout.split('\n').filter((line) => line !== '');
}

const scenario = fc
  .record({ jobs: fc.integer({ min: 50, max: 400 }), seats: fc.integer({ min: 1, max: 20 }) })
  .chain(({ jobs, seats }) =>
    fc.array(
      fc.record({
        seat: fc.integer({ min: 1, max: seats }),
        priority: fc.constantFrom<PriorityClass>(...PRIORITY_CLASSES),
        front: fc.boolean(),
        pinned: fc.boolean({ freq: 10 }),
      }),
      { minLength: jobs, maxLength: jobs },
    ),
  );

let run = 0;
test('4 processes claiming from one Redis never claim a job twice', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (jobs) => {
      const prefix = `race${++run}:`;
      const store = new RedisQueueStore({ url: redis.url, prefix });
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

        const outputs = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => runChild(prefix, `w${i}`)));
        const claimed = outputs.flat();
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
        const { heads, pinned } = await store.candidates();
        assert.deepEqual({ heads, pinned }, { heads: [], pinned: null });
      } finally {
        await store.close();
      }
    }),
    { numRuns: 5 },
  );
});
