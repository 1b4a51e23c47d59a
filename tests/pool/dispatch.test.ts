import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Job } from '../../lib/job.ts';
import { finished, imagePrompt, openPool, slowPrompt, until, untilReady } from '../helpers/pool.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('worker pool on 3 simulated workers', () => {
  it('runs jobs from several seats; each seat gets its own events and outputs', async () => {
    const fx = await openPool({ workers: 3 });
    try {
      await untilReady(fx.pool, 3);
      const submitted: Job[] = [];
      for (let i = 0; i < 9; i++) {
        const seat = `user0${(i % 3) + 1}`;
        submitted.push((await fx.queue.submit({ seat, prompt: imagePrompt(1000 + i) })).job);
      }
      const done = await Promise.all(submitted.map((job) => finished(fx.queue, job.id)));
      assert.deepEqual(done.map((j) => j.state), Array(9).fill('succeeded'));
      assert.equal(new Set(done.map((j) => j.worker)).size, 3, 'all three workers took jobs');

      for (const job of done) {
        const events = fx.comfy.filter((e) => e.job.id === job.id);
        assert.ok(events.every((e) => e.job.seat === job.seat && e.data['prompt_id'] === job.id), 'events carry the job id and seat');
        const types = events.map((e) => e.type);
        assert.equal(types[0], 'execution_start');
        assert.ok(types.includes('executed') && types.includes('execution_success'));
        assert.equal(job.outputs.length, 1);
        const out = job.outputs[0]!;
        assert.ok(out.subfolder.startsWith(`${job.id}/${job.worker}`));
        const bytes = readFileSync(fx.outputs.resolve(job.seat, out.subfolder, out.filename));
        assert.deepEqual(bytes.subarray(0, 4), PNG, 'a real PNG copied into the seat store');
        const executed = events.find((e) => e.type === 'executed')!;
        const image = (executed.data['output'] as { images: { subfolder: string; filename: string }[] }).images[0]!;
        assert.deepEqual({ subfolder: image.subfolder, filename: image.filename }, { subfolder: out.subfolder, filename: out.filename }, 'executed points at the copy');
      }
    } finally {
      await fx.close();
    }
  });

  it('same file names from two workers never collide in the seat store', async () => {
    // One job per worker at a time, so the two jobs land on different workers.
    const fx = await openPool({ workers: 2, pool: { preSubmit: false } });
    try {
      await untilReady(fx.pool, 2);
      // Both workers start counting at 00001 for this prefix.
      const a = (await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(1, 3, 30, 'same') })).job;
      const b = (await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(2, 3, 30, 'same') })).job;
      const [ja, jb] = await Promise.all([finished(fx.queue, a.id), finished(fx.queue, b.id)]);
      assert.notEqual(ja.worker, jb.worker);
      assert.equal(ja.outputs[0]!.filename, jb.outputs[0]!.filename, 'the workers produced the same name');
      const pa = fx.outputs.resolve('user01', ja.outputs[0]!.subfolder, ja.outputs[0]!.filename);
      const pb = fx.outputs.resolve('user01', jb.outputs[0]!.subfolder, jb.outputs[0]!.filename);
      assert.notEqual(pa, pb);
      assert.ok(existsSync(pa) && existsSync(pb));
    } finally {
      await fx.close();
    }
  });

  it('a worker killed mid-job: the job completes on another worker exactly once', async () => {
    const fx = await openPool({ workers: 2 });
    try {
      await untilReady(fx.pool, 2);
      const { job } = await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(7, 20, 40) });
      await until(async () => (await fx.queue.store.get(job.id))?.state === 'running', 5_000, 'job running');
      const first = (await fx.queue.store.get(job.id))!.worker!;
      await fx.sims[Number(first.slice(1)) - 1]!.crash();
      const done = await finished(fx.queue, job.id);
      assert.equal(done.state, 'succeeded');
      assert.notEqual(done.worker, first);
      assert.equal(done.attempts, 2);
      const successes = fx.comfy.filter((e) => e.job.id === job.id && e.type === 'execution_success');
      assert.equal(successes.length, 1, 'exactly one success relayed');
      assert.equal(fx.pool.worker(first).state, 'down');
    } finally {
      await fx.close();
    }
  });

  it('a worker that stalls past the stall timeout: the job is interrupted there and completes elsewhere once', async () => {
    const fx = await openPool({ workers: 2, pool: { preSubmit: false, timing: { stallTimeoutMs: 600 } } });
    try {
      await untilReady(fx.pool, 2);
      const { job } = await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(11, 20, 40) });
      await until(async () => (await fx.queue.store.get(job.id))?.state === 'running', 5_000, 'job running');
      const first = (await fx.queue.store.get(job.id))!.worker!;
      const stalled = fx.sims[Number(first.slice(1)) - 1]!;
      stalled.faults.stall = true;
      const done = await finished(fx.queue, job.id);
      assert.equal(done.state, 'succeeded');
      assert.notEqual(done.worker, first, 'it finished on the other worker');
      assert.equal(done.attempts, 2);
      assert.equal(stalled.stats.interrupts, 1, 'the stalled run was interrupted on its worker');
      assert.equal(fx.comfy.filter((e) => e.job.id === job.id && e.type === 'execution_success').length, 1);
    } finally {
      await fx.close();
    }
  });

  it('cancelling a running job interrupts only its own worker', async () => {
    const fx = await openPool({ workers: 3, pool: { preSubmit: false } });
    try {
      await untilReady(fx.pool, 3);
      const jobs: Job[] = [];
      for (let i = 0; i < 3; i++) jobs.push((await fx.queue.submit({ seat: `user0${i + 1}`, prompt: slowPrompt(i, 10, 40) })).job);
      await until(async () => (await Promise.all(jobs.map((j) => fx.queue.store.get(j.id)))).every((j) => j?.state === 'running'), 5_000, 'all running');
      const victim = (await fx.queue.store.get(jobs[1]!.id))!;
      await fx.queue.cancel(victim.id, { seat: 'user02' });
      const results = await Promise.all(jobs.map((j) => finished(fx.queue, j.id)));
      assert.deepEqual(results.map((j) => j.state), ['succeeded', 'cancelled', 'succeeded']);
      const interrupts = fx.sims.map((sim) => sim.stats.interrupts);
      const victimIndex = Number(victim.worker!.slice(1)) - 1;
      assert.deepEqual(interrupts, interrupts.map((_, i) => (i === victimIndex ? 1 : 0)));
      assert.ok(fx.comfy.some((e) => e.job.id === victim.id && e.type === 'execution_interrupted'));
    } finally {
      await fx.close();
    }
  });

  it('a worker that drains finishes its job and takes no more; enable brings it back', async () => {
    const fx = await openPool({ workers: 1 });
    try {
      await untilReady(fx.pool, 1);
      const first = (await fx.queue.submit({ seat: 'user01', prompt: slowPrompt(1, 5, 40) })).job;
      await until(async () => (await fx.queue.store.get(first.id))?.state === 'running', 5_000, 'running');
      await fx.pool.drain('w1');
      assert.equal(fx.pool.worker('w1').state, 'draining');
      const second = (await fx.queue.submit({ seat: 'user01', prompt: imagePrompt(2) })).job;
      assert.equal((await finished(fx.queue, first.id)).state, 'succeeded');
      await until(() => fx.pool.worker('w1').state === 'disabled', 2_000, 'disabled');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await fx.queue.store.get(second.id))?.state, 'queued');
      await fx.pool.enable('w1');
      assert.equal((await finished(fx.queue, second.id)).state, 'succeeded');
    } finally {
      await fx.close();
    }
  });
});
