import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimate, median } from '../../lib/scheduling/eta.ts';
import { openSqliteQueue, promptFor } from '../helpers/queue.ts';

describe('ETA', () => {
  it('lays queued jobs onto the ready workers with per-shape medians', () => {
    const etas = estimate({
      now: 10_000,
      readyWorkers: 2,
      running: [{ shape: 'video', startedAt: 4_000 }],
      queued: ['video', 'image', 'video'],
      median: (shape) => (shape === 'video' ? 10_000 : 1_000),
    });
    // Worker 1 frees at 4 s (10 s run, 6 s elapsed); worker 2 is free now.
    assert.deepEqual(etas, [
      { startMs: 0, doneMs: 10_000 },
      { startMs: 4_000, doneMs: 5_000 },
      { startMs: 5_000, doneMs: 15_000 },
    ]);
  });

  it('is unknown, never invented, without history or without workers', () => {
    const known = (shape: string) => (shape === 'seen' ? 1_000 : null);
    assert.deepEqual(estimate({ now: 0, readyWorkers: 1, running: [], queued: ['seen', 'new', 'seen'], median: known }), [
      { startMs: 0, doneMs: 1_000 },
      { startMs: null, doneMs: null },
      { startMs: null, doneMs: null },
    ]);
    assert.deepEqual(estimate({ now: 0, readyWorkers: 0, running: [], queued: ['seen'], median: known }), [{ startMs: null, doneMs: null }]);
    assert.equal(median([]), null);
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('queue snapshots learn run times from finished jobs of the same shape, ignoring seeds and text', async () => {
    let now = 1_000_000;
    const { queue, cleanup } = await openSqliteQueue({ clock: () => now, settings: { caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      queue.setReadyWorkers(1);
      const first = await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      assert.equal(first.snapshot.queued[0]?.etaDoneMs, null, 'no history yet: unknown');
      assert.equal(first.snapshot.queued[0]?.position, 1);

      await queue.claimNext('w1');
      await queue.markRunning(first.job.id);
      now += 8_000;
      await queue.markSucceeded(first.job.id, []);

      const second = await queue.submit({ seat: 'user01', prompt: promptFor(2) });
      const third = await queue.submit({ seat: 'user02', prompt: promptFor(3) });
      // user02 has not been served yet, so it goes first under round_robin.
      const view = third.snapshot.queued.map((q) => [q.id, q.position, q.etaStartMs, q.etaDoneMs]);
      assert.deepEqual(view, [
        [third.job.id, 1, 0, 8_000],
        [second.job.id, 2, 8_000, 16_000],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('positions follow the policy and update as jobs start', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'round_robin', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      const changes: number[] = [];
      queue.events.on('queue.changed', (s) => changes.push(s.queued.length));
      const a1 = await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      const a2 = await queue.submit({ seat: 'user01', prompt: promptFor(2) });
      const b1 = await queue.submit({ seat: 'user02', prompt: promptFor(3) });
      assert.deepEqual(b1.snapshot.queued.map((q) => q.id), [a1.job.id, b1.job.id, a2.job.id]);
      await queue.claimNext('w1');
      const after = await queue.refresh();
      assert.deepEqual(after.queued.map((q) => [q.id, q.position]), [[b1.job.id, 1], [a2.job.id, 2]]);
      assert.ok(changes.length >= 3, 'queue.changed is emitted on changes');
    } finally {
      await cleanup();
    }
  });
});
