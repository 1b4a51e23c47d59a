/** Opens a Queue over a fresh SQLite file in a temp dir (or a given store) for tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueue, type Queue, type QueueOptions } from '../../lib/queue.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';

export interface QueueFixture {
  queue: Queue;
  dir: string;
  cleanup(): Promise<void>;
}

export async function openSqliteQueue(options: Omit<QueueOptions, 'store'> = {}): Promise<QueueFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cm-queue-'));
  const store = new SqliteQueueStore({ path: join(dir, 'queue.db') });
  const queue = await createQueue({ ...options, store });
  return {
    queue,
    dir,
    async cleanup() {
      await queue.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A prompt whose shape is the same for every seed: EmptyImage(color=seed) -> SaveImage. */
export function promptFor(seed: number) {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: seed } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: `p${seed}` } },
  };
}

export const seatName = (n: number): string => `user${String(n).padStart(2, '0')}`;

/** Claims until the queue is empty and returns the claimed jobs' seats and ids in claim order. */
export async function drain(queue: Queue, worker = 'w1'): Promise<{ id: string; seat: string; title: string | null }[]> {
  const order: { id: string; seat: string; title: string | null }[] = [];
  for (;;) {
    const job = await queue.claimNext(worker);
    if (!job) return order;
    order.push({ id: job.id, seat: job.seat, title: job.title });
  }
}
