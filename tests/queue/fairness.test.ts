import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SchedulingPolicy } from '../../lib/scheduling/policy.ts';
import type { LaneHead } from '../../lib/store/queue-store.ts';
import { drain, openSqliteQueue, promptFor, seatName } from '../helpers/queue.ts';

describe('scheduling policies', () => {
  it('round_robin: one seat batching 20 jobs cannot starve 19 others', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'round_robin', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      for (let i = 1; i <= 20; i++) await queue.submit({ seat: 'user01', prompt: promptFor(i), title: `A${i}` });
      for (let s = 2; s <= 20; s++) await queue.submit({ seat: seatName(s), prompt: promptFor(100 + s), title: seatName(s) });

      const order = (await drain(queue)).map((j) => j.title);
      // A's first job was waiting before anyone else arrived; then every other seat gets its turn
      // (never-served seats first, in arrival order), and only then A's remaining batch.
      const expected = ['A1', ...Array.from({ length: 19 }, (_, i) => seatName(i + 2)), ...Array.from({ length: 19 }, (_, i) => `A${i + 2}`)];
      assert.deepEqual(order, expected);
      assert.ok(order.indexOf('user20') < order.indexOf('A3'), 'every other seat is served before A\'s third job');
    } finally {
      await cleanup();
    }
  });

  it('round_robin keeps alternating while jobs keep arriving', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'round_robin', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      for (let i = 1; i <= 3; i++) await queue.submit({ seat: 'user01', prompt: promptFor(i), title: `A${i}` });
      for (let i = 1; i <= 3; i++) await queue.submit({ seat: 'user02', prompt: promptFor(10 + i), title: `B${i}` });
      const first = await queue.claimNext('w1');
      assert.equal(first?.title, 'A1');
      await queue.submit({ seat: 'user03', prompt: promptFor(20), title: 'C1' });
      const rest = (await drain(queue)).map((j) => j.title);
      assert.deepEqual(rest, ['B1', 'C1', 'A2', 'B2', 'A3', 'B3']);
    } finally {
      await cleanup();
    }
  });

  it('fifo serves strictly in arrival order', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'fifo', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      const titles = ['A1', 'A2', 'B1', 'A3', 'C1'];
      for (const [i, title] of titles.entries()) await queue.submit({ seat: `user0${title.charCodeAt(0) - 64}`, prompt: promptFor(i), title });
      assert.deepEqual((await drain(queue)).map((j) => j.title), titles);
    } finally {
      await cleanup();
    }
  });

  it('priority: an instructor job submitted last runs next; fair share inside a class', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'priority', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      for (let i = 1; i <= 3; i++) await queue.submit({ seat: 'user01', prompt: promptFor(i), title: `A${i}` });
      await queue.submit({ seat: 'user02', prompt: promptFor(10), title: 'B1' });
      await queue.submit({ seat: 'user03', prompt: promptFor(11), title: 'low', priority: 'low' });
      await queue.submit({ seat: 'user04', prompt: promptFor(12), title: 'high', priority: 'high' });
      await queue.submit({ seat: 'instructor', prompt: promptFor(13), title: 'demo', priority: 'instructor' });
      const order = (await drain(queue)).map((j) => j.title);
      assert.deepEqual(order, ['demo', 'high', 'A1', 'B1', 'A2', 'A3', 'low']);
    } finally {
      await cleanup();
    }
  });

  it('the policy can be switched at run time and the new order applies at once', async () => {
    const { queue, cleanup } = await openSqliteQueue({ settings: { policy: 'fifo', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });
    try {
      for (let i = 1; i <= 3; i++) await queue.submit({ seat: 'user01', prompt: promptFor(i), title: `A${i}` });
      await queue.submit({ seat: 'user02', prompt: promptFor(9), title: 'B1' });
      assert.equal((await queue.claimNext('w1'))?.title, 'A1');
      assert.equal((await queue.claimNext('w1'))?.title, 'A2');
      await queue.updateSettings({ policy: 'round_robin' });
      assert.equal(queue.settings.policy, 'round_robin');
      assert.equal((await queue.claimNext('w1'))?.title, 'B1');
    } finally {
      await cleanup();
    }
  });

  it('an embedder policy plugs in by name', async () => {
    const lastIn: SchedulingPolicy = {
      name: 'newest_first',
      pick: ({ heads }) => heads.reduce<LaneHead | null>((a, b) => (!a || b.queuedAt > a.queuedAt ? b : a), null),
    };
    const { queue, cleanup } = await openSqliteQueue({
      policies: [lastIn],
      settings: { policy: 'newest_first', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } },
    });
    try {
      for (const title of ['A1', 'B1', 'C1']) await queue.submit({ seat: `user0${title.charCodeAt(0) - 64}`, prompt: promptFor(title.charCodeAt(0)), title });
      assert.deepEqual((await drain(queue)).map((j) => j.title), ['C1', 'B1', 'A1']);
    } finally {
      await cleanup();
    }
  });
});
