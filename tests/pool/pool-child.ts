/**
 * A server-like process for the lease test: a queue on Redis and a worker pool
 * holding Redis leases. argv: <redis url> <prefix> <owner> <data dir> <worker urls as JSON>.
 */
import { join } from 'node:path';
import { OutputStore } from '../../lib/outputs/output-store.ts';
import { InputStager } from '../../lib/pool/input-stager.ts';
import { createWorkerPool } from '../../lib/pool/worker-pool.ts';
import { LocalProvider } from '../../lib/providers/local-provider.ts';
import { createQueue } from '../../lib/queue.ts';
import { RedisLeases } from '../../lib/store/redis-leases.ts';
import { RedisQueueStore } from '../../lib/store/redis-store.ts';

const [url, prefix, owner, dir, workers] = process.argv.slice(2) as [string, string, string, string, string];
const queue = await createQueue({ store: new RedisQueueStore({ url, prefix }) });
await createWorkerPool({
  queue,
  owner,
  leases: new RedisLeases({ url, prefix }),
  provider: new LocalProvider({ workers: (JSON.parse(workers) as string[]).map((u, i) => ({ id: `w${i + 1}`, url: u })) }),
  outputs: new OutputStore({ root: join(dir, 'outputs') }),
  inputs: new InputStager({ root: join(dir, 'inputs') }),
  timing: { healthIntervalMs: 150, leaseTtlMs: 1_000, downAfterMs: 2_000 },
});
console.log('ready');
