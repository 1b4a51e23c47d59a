import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startSimulator } from '../../lib/simulator/index.ts';
import { finished, imagePrompt, openPool, slowPrompt, until, untilReady } from '../helpers/pool.ts';

describe('recovery and pre-submit', () => {
  it('a pool restarted mid-run reconciles the running job with its worker: it finishes once, outputs copied', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm-restart-'));
    const sims = [await startSimulator({})];
    try {
      const first = await openPool({ dir, sims, pool: { preSubmit: false } });
      await untilReady(first.pool, 1);
      const { job } = await first.queue.submit({ seat: 'user01', prompt: slowPrompt(5, 10, 60) });
      await until(async () => (await first.queue.store.get(job.id))?.state === 'running', 5_000, 'running');
      await first.close(); // the process goes away; the worker keeps running the prompt

      const second = await openPool({ dir, sims, pool: { preSubmit: false } });
      try {
        const done = await finished(second.queue, job.id);
        assert.equal(done.state, 'succeeded');
        assert.equal(done.attempts, 1, 'reconciled, not re-run');
        assert.equal(done.outputs.length, 1);
        assert.equal(sims[0]!.stats.promptsExecuted, 3, "each pool's readiness canary and the job once: nothing ran twice");
      } finally {
        await second.close();
      }
    } finally {
      await Promise.all(sims.map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a worker that restarts and forgets the job: the job runs again, once', async () => {
    const fx = await openPool({ workers: 1 });
    try {
      await untilReady(fx.pool, 1);
      const { job } = await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(9, 20, 40) });
      await until(async () => (await fx.queue.store.get(job.id))?.state === 'running', 5_000, 'running');
      await fx.sims[0]!.crash();
      await fx.sims[0]!.restart();
      const done = await finished(fx.queue, job.id);
      assert.equal(done.state, 'succeeded');
      assert.equal(done.attempts, 2);
      assert.equal(fx.comfy.filter((e) => e.job.id === job.id && e.type === 'execution_success').length, 1);
    } finally {
      await fx.close();
    }
  });

  it('pre-submit keeps the next job in the worker\'s own queue; cancelling or out-ranking it pulls it back', async () => {
    const fx = await openPool({ workers: 1, pool: { preSubmit: true }, queue: { settings: { policy: 'fifo', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } } });
    try {
      await untilReady(fx.pool, 1);
      const a = (await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(1, 8, 50), title: 'a' })).job;
      const b = (await fx.queue.submit({ seat: 'user02', prompt: slowPrompt(2, 2, 20), title: 'b' })).job;
      const c = (await fx.queue.submit({ seat: 'user03', prompt: slowPrompt(3, 2, 20), title: 'c' })).job;
      const workerQueue = async () => {
        const res = await fetch(`${fx.sims[0]!.url}/queue`);
        const body = (await res.json()) as { queue_pending: unknown[][] };
        return body.queue_pending.map((item) => item[1]);
      };
      await until(async () => (await workerQueue()).includes(b.id), 5_000, 'b pre-submitted');

      await fx.queue.cancel(b.id, { seat: 'user02' });
      assert.equal((await finished(fx.queue, b.id)).state, 'cancelled');
      await until(async () => (await workerQueue()).includes(c.id), 5_000, 'c pre-submitted next');

      const d = (await fx.queue.submit({ seat: 'user04', prompt: imagePrompt(4), title: 'd' })).job;
      await fx.queue.moveToFront(d.id);
      const [, jc, jd] = await Promise.all([finished(fx.queue, a.id), finished(fx.queue, c.id), finished(fx.queue, d.id)]);
      assert.equal(jc.state, 'succeeded');
      assert.ok(jd.startedAt! < jc.startedAt!, 'the job moved to the front ran before the pre-submitted one');
      assert.ok(!fx.comfy.some((e) => e.job.id === b.id && e.type === 'execution_start'), 'the cancelled job never started');
    } finally {
      await fx.close();
    }
  });
});
