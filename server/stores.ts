/** Opening what the config names: the queue store and the seat directory (shared by the server and the CLI). */
import { join, resolve } from 'node:path';
import { SeatDirectory } from '../lib/seats/seat-directory.ts';
import type { QueueStore } from '../lib/store/queue-store.ts';
import { RedisQueueStore } from '../lib/store/redis-store.ts';
import { SqliteQueueStore } from '../lib/store/sqlite-store.ts';
import type { Config } from './config.ts';

export function openStore(config: Config, dataDir: string): QueueStore {
  return config.store.kind === 'sqlite'
    ? new SqliteQueueStore({ path: resolve(dataDir, config.store.path) })
    : new RedisQueueStore({ url: config.store.url, prefix: config.store.prefix });
}

export function openSeats(config: Config, dataDir: string): ReturnType<typeof SeatDirectory.open> {
  return SeatDirectory.open({
    path: join(dataDir, 'seats.json'),
    count: config.seats.count,
    prefix: config.seats.prefix,
    ...(config.seats.names ? { names: config.seats.names } : {}),
  });
}
