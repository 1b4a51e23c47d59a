/**
 * A scheduling policy of your own: "shortest job first" by each job's prompt
 * shape history is too clever for a workshop, so this one is simpler — seats
 * that have been served least often go first, ties by waiting time.
 *
 *   node examples/custom-policy.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueue, type LaneHead, type SchedulingPolicy, SqliteQueueStore } from '../lib/index.ts';

const fewestServed: SchedulingPolicy = {
  name: 'fewest_served',
  pick({ heads, seats }) {
    let best: LaneHead | null = null;
    for (const head of heads) {
      const served = seats[head.seat]?.served ?? 0;
      const bestServed = best ? (seats[best.seat]?.served ?? 0) : Number.POSITIVE_INFINITY;
      if (!best || served < bestServed || (served === bestServed && head.queuedAt < best.queuedAt)) best = head;
    }
    return best;
  },
};

const dir = await mkdtemp(join(tmpdir(), 'comfy-multi-policy-'));
const store = new SqliteQueueStore({ path: join(dir, 'queue.db') });
const queue = await createQueue({ store, policies: [fewestServed], settings: { policy: 'fewest_served', caps: { maxQueuedPerSeat: 0, maxDepth: 0 } } });

const prompt = { '1': { class_type: 'EmptyImage', inputs: {} }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } } };
const titles = new Map<string, string>();
for (const [seat, count] of [['alice', 3], ['bob', 1], ['carol', 2]] as const) {
  for (let i = 1; i <= count; i++) {
    const { job } = await queue.submit({ seat, prompt, title: `${seat} #${i}` });
    titles.set(job.id, job.title!);
  }
}

// Positions and ETAs replay the policy, so they match the order jobs will really run in.
const snapshot = await queue.refresh();
console.log('planned:   ', snapshot.queued.map((q) => titles.get(q.id)).join(', '));
const order: string[] = [];
for (let job = await queue.claimNext('gpu0'); job; job = await queue.claimNext('gpu0')) order.push(job.title ?? job.id);
console.log('dispatched:', order.join(', '));

await queue.close();
await store.close();
await rm(dir, { recursive: true, force: true });
