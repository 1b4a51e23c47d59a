import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { RedisLeases } from '../../lib/store/redis-leases.ts';
import { RedisQueueStore } from '../../lib/store/redis-store.ts';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';
import { openPool, slowPrompt } from '../helpers/pool.ts';
import { finished, until } from '../helpers/wait.ts';

const CHILD = join(import.meta.dirname, 'pool-child.ts');

describe('several processes over one Redis', () => {
  let redis: RedisServerHandle;
  let sims: SimulatorHandle[];
  let dir: string;
  before(async () => {
    redis = await startRedis();
    sims = await Promise.all([startSimulator({}), startSimulator({})]);
    dir = await mkdtemp(join(tmpdir(), 'cm-leases-'));
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('each worker is driven by one process; when it dies another takes over and settles its running job once', async () => {
    const prefix = 'lease-test:';
    const child: ChildProcess = spawn(process.execPath, [CHILD, redis.url, prefix, 'A', dir, JSON.stringify(sims.map((s) => s.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const leases = new RedisLeases({ url: redis.url, prefix });
    const holders = () => Promise.all(['w1', 'w2'].map((w) => leases.holder(w)));
    let fx: Awaited<ReturnType<typeof openPool>> | null = null;
    try {
      await until(async () => (await holders()).every((h) => h === 'A'), 10_000, 'process A to hold both workers');

      fx = await openPool({
        dir,
        sims,
        store: new RedisQueueStore({ url: redis.url, prefix }),
        pool: { owner: 'B', leases, timing: { healthIntervalMs: 150, leaseTtlMs: 1_000, downAfterMs: 2_000 } },
      });
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(await holders(), ['A', 'A'], 'B does not drive workers A holds');
      assert.ok(fx.pool.workers().every((w) => w.owner === null));

      const { job } = await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(3, 25, 40) });
      await until(async () => (await fx!.queue.store.get(job.id))?.state === 'running', 10_000, 'A running the job');

      child.kill('SIGKILL');
      // The lease TTL is 1 s here: B must hold both workers within a few seconds of A's death.
      await until(async () => (await holders()).every((h) => h === 'B'), 8_000, 'B to take both workers over');

      const done = await finished(fx.queue, job.id);
      assert.equal(done.state, 'succeeded');
      assert.equal(done.attempts, 1, 'settled from the worker, not run again');
      assert.equal(done.outputs.length, 1);
    } finally {
      child.kill('SIGKILL');
      await fx?.close();
      await leases.close();
    }
  });
});
