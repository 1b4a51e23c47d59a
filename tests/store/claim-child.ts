/**
 * A dispatcher process for the concurrency test: claims from a shared Redis until
 * nothing is left, printing the id of every job it won, one per line.
 * Usage: node tests/store/claim-child.ts <redis-url> <key-prefix> <worker-name>
 */
import { RedisQueueStore } from '../../lib/store/redis-store.ts';

const [url, prefix, worker] = process.argv.slice(2);
if (!url || !prefix || !worker) {
  console.error('usage: claim-child.ts <redis-url> <key-prefix> <worker-name>');
  process.exit(2);
}

const store = new RedisQueueStore({ url, prefix });
await store.init();
for (;;) {
  const { heads, pinned } = await store.candidates();
  // Every process picks the same job, so most claims race each other: exactly what is under test.
  const pick = pinned ?? heads[0];
  if (!pick) break;
  const job = await store.claim(pick.id, worker, Date.now());
  if (job) process.stdout.write(`${job.id}\n`);
}
await store.close();
