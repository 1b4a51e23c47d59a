import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { drainTogether } from '../helpers/drainer.ts';
import { makeJob } from '../helpers/job-factory.ts';
import { nextSignal, runStoreConformance, type StoreFixture } from './conformance.ts';

async function tempDbPath(): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'comfy-multi-sqlite-'));
  return { path: join(dir, 'queue.db'), dir };
}

async function openStore(path: string): Promise<SqliteQueueStore> {
  const store = new SqliteQueueStore({ path });
  await store.init();
  return store;
}

runStoreConformance('sqlite', async (): Promise<StoreFixture> => {
  const { path, dir } = await tempDbPath();
  let current = await openStore(path);
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await openStore(path);
      return current;
    },
    async cleanup() {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite store specifics', () => {
  it('uses WAL journaling and a versioned schema, and init is idempotent', async () => {
    const { path, dir } = await tempDbPath();
    try {
      const store = await openStore(path);
      await store.close();
      const again = await openStore(path);
      await again.close();
      const db = new DatabaseSync(path);
      assert.deepEqual({ ...db.prepare('PRAGMA journal_mode').get() }, { journal_mode: 'wal' });
      assert.deepEqual(
        db.prepare('SELECT version FROM schema_version').all().map((r) => r['version']),
        [1],
      );
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers lane heads, pins and caps through indexes, never by scanning jobs', async () => {
    const { path, dir } = await tempDbPath();
    try {
      (await openStore(path)).close();
      const db = new DatabaseSync(path);
      const plan = (sql: string) =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all()
          .map((r) => String(r['detail']));
      const queries = [
        `WITH lanes (priority) AS (VALUES ('high'), ('normal'))
         SELECT j.id FROM seats AS s CROSS JOIN lanes AS l JOIN jobs AS j ON j.rowid = (
           SELECT rowid FROM jobs WHERE state = 'queued' AND seat = s.seat AND priority = l.priority AND pin IS NULL
           ORDER BY rank, queued_at, id LIMIT 1)`,
        `SELECT id FROM jobs WHERE state = 'queued' AND pin IS NOT NULL ORDER BY pin LIMIT 1`,
        `SELECT n FROM state_counts WHERE seat = 'user01' AND state = 'queued'`,
        `SELECT * FROM jobs WHERE seat = 'user01' AND client_request_id = 'x'`,
        `SELECT * FROM jobs WHERE state IN ('dispatching', 'running')`,
        `SELECT * FROM jobs WHERE seat = 'user01' AND (queued_at, id) < (1, 'x') ORDER BY queued_at DESC, id DESC LIMIT 51`,
        `SELECT finished_at - started_at FROM jobs WHERE state = 'succeeded' AND shape = 'x' ORDER BY finished_at DESC LIMIT 20`,
      ];
      for (const sql of queries) {
        const steps = plan(sql);
        for (const step of steps) {
          assert.doesNotMatch(step, /^SCAN jobs\b|TEMP B-TREE/, `${sql}\n${steps.join('\n')}`);
        }
      }
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('two store instances on one file never claim the same job twice', async () => {
    const { path, dir } = await tempDbPath();
    const a = await openStore(path);
    const b = await openStore(path);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const result = await a.insert(makeJob({ seat: `user0${i % 4}` }), { maxQueuedPerSeat: 0, maxDepth: 0 });
        assert.ok(result.ok);
        ids.push(result.job.id);
      }
      const claimed: string[] = [];
      const loop = async (store: SqliteQueueStore, worker: string) => {
        for (;;) {
          const { heads } = await store.candidates();
          if (heads.length === 0) return;
          // Both stores aim at the same head first, so most rounds race for one job.
          const job = await store.claim(heads[0]!.id, worker, Date.now());
          if (job) claimed.push(job.id);
        }
      };
      await Promise.all([loop(a, 'wa1'), loop(b, 'wb1'), loop(a, 'wa2'), loop(b, 'wb2')]);
      assert.deepEqual(claimed.sort(), ids.sort());
      const seen = new Set((await b.active()).map((j) => j.id));
      assert.equal(seen.size, 60);
    } finally {
      await a.close();
      await b.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('three processes draining one file claim every job exactly once', async () => {
    const { path, dir } = await tempDbPath();
    try {
      const store = await openStore(path);
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) {
        const result = await store.insert(makeJob({ seat: `user0${i % 6}` }), { maxQueuedPerSeat: 0, maxDepth: 0 });
        assert.ok(result.ok);
        ids.push(result.job.id);
      }
      await store.close();
      const perProcess = await drainTogether(`sqlite:${path}`, ['p1', 'p2', 'p3']);
      const claimed = perProcess.flat();
      assert.deepEqual(claimed.sort(), ids.sort());
      const after = await openStore(path);
      assert.equal((await after.counts()).byState.dispatching, 300);
      const served = Object.values((await after.candidates()).seats).reduce((sum, s) => sum + s.served, 0);
      assert.equal(served, 300);
      await after.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a signal published by one instance reaches another instance on the same file', async () => {
    const { path, dir } = await tempDbPath();
    const a = await openStore(path);
    const b = await openStore(path);
    try {
      const received = nextSignal(b, () => true);
      await a.publish({ kind: 'settings' });
      assert.deepEqual(await received, { kind: 'settings' });
    } finally {
      await a.close();
      await b.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('inserting a job id that already exists is a conflict, and the first job is kept', async () => {
    const store = await openStore(':memory:');
    try {
      const first = makeJob({ title: 'first' });
      assert.ok((await store.insert(first, { maxQueuedPerSeat: 0, maxDepth: 0 })).ok);
      await assert.rejects(store.insert({ ...first, title: 'second' }, { maxQueuedPerSeat: 0, maxDepth: 0 }), {
        code: 'conflict',
        field: 'id',
      });
      assert.equal((await store.get(first.id))?.title, 'first');
      assert.equal((await store.counts()).byState.queued, 1);
    } finally {
      await store.close();
    }
  });

  it('a bad cursor is an invalid_request error naming the field', async () => {
    const store = await openStore(':memory:');
    try {
      await assert.rejects(store.list({ cursor: 'not-a-cursor' }), { code: 'invalid_request', field: 'cursor' });
    } finally {
      await store.close();
    }
  });

  it('an unopenable path is a store_unavailable error', async () => {
    const store = new SqliteQueueStore({ path: join(tmpdir(), 'no-such-dir-comfy-multi', 'x', 'queue.db') });
    await assert.rejects(store.init(), { code: 'store_unavailable' });
  });
});
