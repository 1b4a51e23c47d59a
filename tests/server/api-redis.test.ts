import { after, before, describe } from 'node:test';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';
import { apiSuite } from './api-e2e.ts';

describe('REST API end to end on a real Redis', () => {
  let redis: RedisServerHandle;
  before(async () => {
    redis = await startRedis({ appendonly: false });
  });
  after(() => redis.stop());
  apiSuite({ redisUrl: () => redis.url });
});
