import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobState } from '../../lib/job.ts';
import { drain, openSqliteQueue, promptFor } from '../helpers/queue.ts';

const unlimited = { caps: { maxQueuedPerSeat: 0, maxDepth: 0 } };

describe('instructor actions', () => {
  it('move to front and to a position reorders the queue and the dispatch order', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'fifo', ...unlimited } });
    try {
      const ids: Record<string, string> = {};
      for (const [i, title] of ['a', 'b', 'c', 'd', 'e'].entries()) {
        ids[title] = (await queue.submit({ seat: `user0${i + 1}`, prompt: promptFor(i), title })).job.id;
      }
      let snap = await queue.moveToFront(ids['d']!);
      assert.deepEqual(snap.queued.map((q) => q.id), [ids['d'], ids['a'], ids['b'], ids['c'], ids['e']]);
      snap = await queue.moveToPosition(ids['e']!, 2);
      assert.deepEqual(snap.queued.map((q) => q.id), [ids['d'], ids['e'], ids['a'], ids['b'], ids['c']]);
      snap = await queue.moveToPosition(ids['a']!, 99);
      assert.deepEqual(snap.queued.map((q) => q.id), [ids['d'], ids['e'], ids['b'], ids['c'], ids['a']]);
      assert.deepEqual((await drain(queue)).map((j) => j.title), ['d', 'e', 'b', 'c', 'a']);
    } finally {
      await cleanup();
    }
  });

  it('moving a job that is not queued is a clear conflict', async () => {
    const { queue, cleanup } = await openSqliteQueue();
    try {
      const { job } = await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      await queue.claimNext('w1');
      await assert.rejects(queue.moveToFront(job.id), { code: 'invalid_state' });
      await assert.rejects(queue.setPriority(job.id, 'high'), { code: 'invalid_state' });
      await assert.rejects(queue.moveToFront('00000000-0000-4000-8000-000000000000'), { code: 'not_found' });
    } finally {
      await cleanup();
    }
  });

  it('set priority under the priority policy lets a job overtake', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'priority', ...unlimited } });
    try {
      await queue.submit({ seat: 'user01', prompt: promptFor(1), title: 'first' });
      const late = await queue.submit({ seat: 'user02', prompt: promptFor(2), title: 'late' });
      const changed = await queue.setPriority(late.job.id, 'high');
      assert.equal(changed.priority, 'high');
      assert.deepEqual((await drain(queue)).map((j) => j.title), ['late', 'first']);
    } finally {
      await cleanup();
    }
  });

  it('cancel: a queued job is removed; a running one is flagged for its worker; a seat cannot touch another seat\'s job', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: unlimited });
    try {
      const requested: string[] = [];
      queue.events.on('job.cancel_requested', ({ job }) => requested.push(job.id));
      const queued = await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      const running = await queue.submit({ seat: 'user02', prompt: promptFor(2) });
      const claimed = await queue.claimNext('w1');
      assert.equal(claimed?.id, queued.job.id);
      await queue.markRunning(queued.job.id);

      await assert.rejects(queue.cancel(running.job.id, { seat: 'user01' }), { code: 'not_found' });
      assert.equal((await queue.get(running.job.id)).state, 'queued');

      const cancelled = await queue.cancel(running.job.id, { seat: 'user02' });
      assert.equal(cancelled.state, 'cancelled');
      assert.equal((await queue.snapshot()).queued.length, 0);

      const flagged = await queue.cancel(queued.job.id);
      assert.equal(flagged.state, 'running');
      assert.equal(flagged.cancelRequested, true);
      assert.deepEqual(requested, [queued.job.id]);
      const done = await queue.markCancelled(queued.job.id);
      assert.equal(done?.state, 'cancelled');
      await assert.rejects(queue.cancel(queued.job.id), { code: 'invalid_state' });
    } finally {
      await cleanup();
    }
  });

  it('pausing dispatch holds every job; resuming releases them', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: unlimited });
    try {
      await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      await queue.updateSettings({ paused: { dispatch: true } });
      assert.equal(await queue.claimNext('w1'), null);
      await queue.updateSettings({ paused: { dispatch: false } });
      assert.notEqual(await queue.claimNext('w1'), null);
    } finally {
      await cleanup();
    }
  });

  it('emits typed events for every state change', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: unlimited });
    try {
      const seen: string[] = [];
      queue.events.on('job.queued', ({ job }) => seen.push(`queued:${job.state}`));
      queue.events.on('job.state', ({ from, job }) => seen.push(`${from}->${job.state}`));
      queue.events.on('job.finished', ({ job }) => seen.push(`finished:${job.state}`));
      const { job } = await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      await queue.claimNext('w1');
      await queue.markRunning(job.id);
      await queue.markSucceeded(job.id, []);
      const expected: string[] = ['queued:queued', 'queued->dispatching', 'dispatching->running', 'running->succeeded', 'finished:succeeded'];
      assert.deepEqual(seen, expected);
    } finally {
      await cleanup();
    }
  });

  it('a lost worker sends the job back to the front, then fails it after the attempt limit', async () => {
    const { queue, cleanup } = await openSqliteQueue({ maxAttempts: 2, settings: { policy: 'fifo', ...unlimited } });
    try {
      const a = await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      const b = await queue.submit({ seat: 'user02', prompt: promptFor(2) });
      await queue.claimNext('w1');
      const back = await queue.requeue(a.job.id, 'worker w1 stopped answering');
      assert.equal(back?.state, 'queued');
      assert.equal(back?.attempts, 1);
      const again = await queue.claimNext('w2');
      assert.equal(again?.id, a.job.id, 'the requeued job runs before jobs that were behind it');
      const failed = await queue.requeue(a.job.id, 'worker w2 stopped answering');
      const states: JobState[] = [failed!.state];
      assert.deepEqual(states, ['failed']);
      assert.equal(failed?.error?.code, 'worker_lost');
      assert.match(failed?.error?.message ?? '', /after 2 attempts: worker w2/);
      assert.equal((await queue.claimNext('w1'))?.id, b.job.id);
    } finally {
      await cleanup();
    }
  });
});
