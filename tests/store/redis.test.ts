import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { DEFAULT_SETTINGS } from '../../lib/scheduling/settings.ts';
import type { StoreSignal } from '../../lib/store/queue-store.ts';
import { RedisQueueStore } from '../../lib/store/redis-store.ts';
import { makeJob } from '../helpers/job-factory.ts';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';
import { runStoreConformance, type StoreFixture } from './conformance.ts';

const UNLIMITED = { maxQueuedPerSeat: 0, maxDepth: 0 };

let server: RedisServerHandle;
before(async () => {
  server = await startRedis();
});
after(async () => {
  await server?.stop();
});

let prefixes = 0;
const freshPrefix = (): string => `t${++prefixes}:`;

async function openStore(url: string, prefix: string): Promise<RedisQueueStore> {
  const store = new RedisQueueStore({ url, prefix });
  await store.init();
  return store;
}

// Every fixture gets its own key prefix on the shared server, so fixtures never see each other's data.
runStoreConformance('redis', async (): Promise<StoreFixture> => {
  const prefix = freshPrefix();
  let current = await openStore(server.url, prefix);
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await openStore(server.url, prefix);
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
});

/** Sum of calls of every Redis command so far, scripts' inner commands included. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

const delta = (before: Record<string, number>, after: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([cmd, n]) => [cmd, n - (before[cmd] ?? 0)]).filter(([, n]) => n !== 0));

describe('redis store specifics', () => {
  it('keeps jobs, claims, pins, settings and service across a redis-server restart (AOF)', async () => {
    const own = await startRedis();
    try {
      const store = await openStore(own.url, 'cm:');
      const jobs = [];
      for (let i = 0; i < 6; i++) {
        const result = await store.insert(makeJob({ seat: `user0${i % 3}`, clientRequestId: `r${i}` }), UNLIMITED);
        assert.ok(result.ok);
        jobs.push(result.job);
      }
      const claimed = await store.claim(jobs[0]!.id, 'w1', 100);
      assert.ok(claimed);
      await store.setPins([jobs[4]!.id]);
      const settings = { ...DEFAULT_SETTINGS, policy: 'priority' };
      await store.setSettings(settings);
      const before = {
        jobs: (await store.list({})).jobs,
        candidates: await store.candidates(),
        counts: await store.counts(),
        active: await store.active(),
      };

      await own.restart();

      // The same instance reconnects on its own (and reloads its scripts); a new one sees the same data.
      assert.deepEqual((await store.list({})).jobs, before.jobs);
      await store.close();
      const reopened = await openStore(own.url, 'cm:');
      try {
        assert.deepEqual((await reopened.list({})).jobs, before.jobs);
        assert.deepEqual(await reopened.candidates(), before.candidates);
        assert.deepEqual(await reopened.counts(), before.counts);
        assert.deepEqual(await reopened.active(), before.active);
        assert.deepEqual(await reopened.getSettings(), settings);
        const dup = await reopened.insert(makeJob({ seat: 'user01', clientRequestId: 'r1' }), UNLIMITED);
        assert.ok(dup.ok && dup.duplicate && dup.job.id === jobs[1]!.id);
        assert.equal(await reopened.claim(jobs[0]!.id, 'w2', 200), null, 'a claimed job stays claimed');
      } finally {
        await reopened.close();
      }
    } finally {
      await own.stop();
    }
  });

  it('a signal published by one instance reaches the watchers of another, and the publisher sees it once', async () => {
    const prefix = freshPrefix();
    const a = await openStore(server.url, prefix);
    const b = await openStore(server.url, prefix);
    const admin = new Redis(server.url);
    try {
      const seenA: StoreSignal[] = [];
      const seenB: StoreSignal[] = [];
      a.watch((s) => seenA.push(s));
      const marker = Promise.withResolvers<void>();
      a.watch((s) => {
        if (s.kind === 'custom' && s.topic === 'marker') marker.resolve();
      });
      const received = Promise.withResolvers<void>();
      b.watch((s) => {
        seenB.push(s);
        if (s.kind === 'cancel') received.resolve();
      });
      // Subscriptions are asynchronous: wait until both instances are listening on the channel.
      for (;;) {
        const [, subscribers] = (await admin.pubsub('NUMSUB', `${prefix}signals`)) as [string, number];
        if (subscribers >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const signal: StoreSignal = { kind: 'cancel', id: makeJob().id, worker: 'w3' };
      await a.publish(signal);
      await received.promise;
      assert.deepEqual(seenB, [signal]);
      // Redis delivers a channel's messages in order: once b's later marker reaches a, so would a's own echo have.
      await b.publish({ kind: 'custom', topic: 'marker', payload: null });
      await marker.promise;
      assert.deepEqual(seenA, [signal, { kind: 'custom', topic: 'marker', payload: null }], 'no echo of its own signal');
    } finally {
      await a.close();
      await b.close();
      admin.disconnect();
    }
  });

  it('candidates() costs a few commands per lane whatever the queue length, and a claim cycle is two round trips', async () => {
    const store = await openStore(server.url, freshPrefix());
    const admin = new Redis(server.url);
    try {
      for (let i = 0; i < 400; i++) {
        const result = await store.insert(makeJob({ seat: i % 2 ? 'user01' : 'user02' }), UNLIMITED);
        assert.ok(result.ok);
      }
      await store.setPins([]);
      const before = await commandCalls(admin);
      const { heads } = await store.candidates();
      assert.equal(heads.length, 2);
      const claimed = await store.claim(heads[0]!.id, 'w1', 1);
      assert.ok(claimed);
      const used = delta(before, await commandCalls(admin));
      // Two EVALSHAs (the INFO call itself shows up as one 'info'); everything else ran inside the scripts.
      assert.equal(used['evalsha'], 2, JSON.stringify(used));
      const inner = Object.entries(used)
        .filter(([cmd]) => cmd !== 'evalsha' && cmd !== 'info')
        .reduce((sum, [, n]) => sum + n, 0);
      assert.ok(inner < 40, `candidates + claim ran ${inner} commands for 400 queued jobs: ${JSON.stringify(used)}`);
    } finally {
      await store.close();
      admin.disconnect();
    }
  });

  it('a cursor from another listing is an invalid_request naming the field', async () => {
    const store = await openStore(server.url, freshPrefix());
    try {
      await assert.rejects(store.list({ cursor: 'not-a-cursor' }), { code: 'invalid_request', field: 'cursor' });
    } finally {
      await store.close();
    }
  });

  it('an unreachable Redis is a store_unavailable error from init', async () => {
    const stopped = await startRedis({ appendonly: false });
    const url = stopped.url;
    await stopped.stop();
    const store = new RedisQueueStore({ url });
    await assert.rejects(store.init(), { code: 'store_unavailable' });
    await store.close();
  });
});
