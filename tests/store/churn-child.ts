/**
 * A child process for multi-process store tests. Usage:
 *   node tests/store/churn-child.ts <store spec> churn        insert and claim jobs forever
 *   node tests/store/churn-child.ts <store spec> drain <name>  print `ready`, wait for a line on stdin, then claim
 *                                                             queued jobs until none is left and exit
 * It prints `accepted <id>` only after an insert resolved and `claimed <id>` only after a claim
 * resolved, so every printed id is a promise the store must keep after a SIGKILL.
 */
import { once } from 'node:events';
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { QueueStore } from '../../lib/store/queue-store.ts';
import { RedisQueueStore } from '../../lib/store/redis-store.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { makeJob } from '../helpers/job-factory.ts';

/** Opens an initialised store from `<kind>:<target>`, e.g. `sqlite:/tmp/x/queue.db` or `redis:redis://127.0.0.1:6379`. */
export async function openStoreFromSpec(spec: string): Promise<QueueStore> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const target = spec.slice(colon + 1);
  let store: QueueStore;
  switch (kind) {
    case 'sqlite':
      store = new SqliteQueueStore({ path: target });
      break;
    case 'redis':
      store = new RedisQueueStore({ url: target });
      break;
    default:
      throw new Error(`unknown store spec "${spec}"; expected sqlite:<path> or redis:<url>`);
  }
  await store.init();
  return store;
}

/** Synchronous, so a line is out of the process before the next store call starts. */
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

async function churn(store: QueueStore): Promise<never> {
  for (let i = 0; ; i++) {
    const result = await store.insert(makeJob({ seat: `user0${i % 4}` }), { maxQueuedPerSeat: 0, maxDepth: 0 });
    if (!result.ok) throw new Error(`insert rejected: ${result.reason}`);
    say(`accepted ${result.job.id}`);
    if (i % 3 === 2) {
      const head = (await store.candidates()).heads[0];
      const job = head ? await store.claim(head.id, 'churn', Date.now()) : null;
      if (job) say(`claimed ${job.id}`);
    }
  }
}

async function drain(store: QueueStore, worker: string): Promise<void> {
  // A start barrier, so several drainers really claim at the same time.
  const input = createInterface({ input: process.stdin });
  say('ready');
  await once(input, 'line');
  input.close();
  for (;;) {
    const { heads, pinned } = await store.candidates();
    const pick = pinned ?? heads[0];
    if (!pick) return;
    const job = await store.claim(pick.id, worker, Date.now());
    if (job) say(`claimed ${job.id}`);
  }
}

if (import.meta.main) {
  const [spec, mode, worker] = process.argv.slice(2);
  if (!spec || (mode !== 'churn' && mode !== 'drain')) {
    throw new Error('usage: churn-child.ts <store spec> churn | drain <worker name>');
  }
  const store = await openStoreFromSpec(spec);
  if (mode === 'churn') await churn(store);
  await drain(store, worker ?? `drain-${process.pid}`);
  await store.close();
}
