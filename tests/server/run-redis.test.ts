import { after, before, describe } from 'node:test';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';
import { runSuite } from './api-run.ts';

describe('jobs executed through the server on a real Redis', () => {
  let redis: RedisServerHandle;
  before(async () => {
    redis = await startRedis({ appendonly: false });
  });
  after(() => redis.stop());
  runSuite({ redisUrl: () => redis.url });
});
