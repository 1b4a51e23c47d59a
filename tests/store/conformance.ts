/**
 * The QueueStore conformance suite: every promise made by the doc comments of
 * lib/store/queue-store.ts, checked against one implementation. Each store's
 * test file calls `runStoreConformance` with a fixture factory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job, JobState } from '../../lib/job.ts';
import { DEFAULT_SETTINGS, type SchedulerSettings } from '../../lib/scheduling/settings.ts';
import type { QueueCaps, QueueStore, StoreSignal } from '../../lib/store/queue-store.ts';
import { makeJob } from '../helpers/job-factory.ts';

export interface StoreFixture {
  /** An initialised store over empty data. */
  store: QueueStore;
  /** Closes the current store and returns a new, initialised one over the same data. */
  reopen(): Promise<QueueStore>;
  /** Closes whatever is open and removes the data. */
  cleanup(): Promise<void>;
}

const UNLIMITED: QueueCaps = { maxQueuedPerSeat: 0, maxDepth: 0 };

async function add(store: QueueStore, overrides: Partial<Job> = {}, caps: QueueCaps = UNLIMITED): Promise<Job> {
  const result = await store.insert(makeJob(overrides), caps);
  assert.ok(result.ok, 'insert was rejected');
  assert.equal(result.duplicate, false);
  return result.job;
}

/** Inserting `job` under `caps` is refused with `expected`, and the store is left as it was. */
async function assertRefused(store: QueueStore, job: Job, caps: QueueCaps, expected: Awaited<ReturnType<QueueStore['insert']>>): Promise<void> {
  const before = await store.counts();
  assert.deepEqual(await store.insert(job, caps), expected);
  assert.equal(await store.get(job.id), null);
  assert.deepEqual(await store.counts(), before);
}

async function addMany(store: QueueStore, count: number, overrides: Partial<Job> = {}): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < count; i++) jobs.push(await add(store, overrides));
  return jobs;
}

/** Drives a job through a worker to a final state, the way the pool does. */
async function finish(store: QueueStore, id: string, state: JobState, startedAt: number, finishedAt: number): Promise<Job> {
  assert.ok(await store.claim(id, 'w1', startedAt));
  assert.ok(await store.update(id, ['dispatching'], { state: 'running', startedAt }));
  const done = await store.update(id, ['running'], { state, finishedAt });
  assert.ok(done);
  return done;
}

async function headIds(store: QueueStore): Promise<string[]> {
  return (await store.candidates()).heads.map((h) => h.id).sort();
}

async function queuedIds(store: QueueStore): Promise<string[]> {
  return (await store.queued()).map((e) => e.id).sort();
}

async function listAll(store: QueueStore, query: { seat?: string; states?: JobState[]; limit?: number } = {}): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = await store.list({ ...query, ...(cursor ? { cursor } : {}) });
    jobs.push(...result.jobs);
    if (!result.nextCursor) return jobs;
    cursor = result.nextCursor;
  }
  assert.fail('list never returned a null nextCursor');
}

const nonZero = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));

/**
 * Resolves with the first signal a new watcher sees that matches. Rejects after `giveUpMs`
 * so a store that drops a signal fails the test instead of hanging it.
 */
export function nextSignal(store: QueueStore, match: (s: StoreSignal) => boolean, giveUpMs = 5000): Promise<StoreSignal> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching signal was delivered within ${giveUpMs} ms`));
    }, giveUpMs);
    const stop = store.watch((signal) => {
      if (!match(signal)) return;
      clearTimeout(timer);
      stop();
      resolve(signal);
    });
  });
}

export function runStoreConformance(name: string, open: () => Promise<StoreFixture>): void {
  /** Every test gets its own empty store and always cleans it up. */
  const withStore = (fn: (store: QueueStore, fixture: StoreFixture) => Promise<void>) => async () => {
    const fixture = await open();
    try {
      await fn(fixture.store, fixture);
    } finally {
      await fixture.cleanup();
    }
  };

  describe(`${name} store conformance`, () => {
    describe('insert', () => {
      it(
        'stores the job as given, state queued, and get returns exactly what insert returned',
        withStore(async (store) => {
          const job = makeJob({
            workflow: { extra: { name: 'portrait' } },
            options: { front: false, preview_method: 'taesd', partial_execution_targets: ['2'] },
            clientRequestId: 'req-1',
            title: 'portrait',
          });
          const result = await store.insert(job, UNLIMITED);
          assert.ok(result.ok);
          assert.equal(result.duplicate, false);
          assert.deepEqual({ ...result.job, rank: job.rank }, job);
          assert.deepEqual(await store.get(job.id), result.job);
          assert.equal(result.job.state, 'queued');
        }),
      );

      it(
        'ranks a new job after every job already in its seat lane',
        withStore(async (store) => {
          const [a, b, c] = await addMany(store, 3);
          assert.ok(a!.rank < b!.rank && b!.rank < c!.rank, `ranks ${a!.rank}, ${b!.rank}, ${c!.rank}`);
          const { heads } = await store.candidates();
          assert.deepEqual(
            heads.map((h) => h.id),
            [a!.id],
          );
        }),
      );

      it(
        'options.front ranks the job before every queued job of its own seat, not ahead of other seats',
        withStore(async (store) => {
          const [a, b] = await addMany(store, 2);
          const other = await add(store, { seat: 'user02' });
          const front = await add(store, { options: { front: true } });
          assert.ok(front.rank < a!.rank && front.rank < b!.rank);
          assert.deepEqual(await headIds(store), [front.id, other.id].sort());
          const second = await add(store, { options: { front: true } });
          assert.ok(second.rank < front.rank, 'the latest front job goes first');
        }),
      );

      it(
        'never reuses a rank within a seat: a requeued job goes back ahead of jobs submitted after it',
        withStore(async (store) => {
          const first = await add(store);
          assert.ok(await store.claim(first.id, 'w1', Date.now()));
          const later = await add(store);
          assert.ok(later.rank > first.rank);
          assert.ok(await store.update(first.id, ['dispatching'], { state: 'queued', worker: null }));
          assert.deepEqual(await headIds(store), [first.id]);
        }),
      );

      it(
        'dedupes by (seat, clientRequestId): returns the same job with duplicate true and inserts nothing',
        withStore(async (store) => {
          const original = await add(store, { clientRequestId: 'abc' });
          const again = await store.insert(makeJob({ clientRequestId: 'abc', title: 'retry' }), UNLIMITED);
          assert.ok(again.ok);
          assert.equal(again.duplicate, true);
          assert.deepEqual(again.job, original);
          assert.equal((await store.queued()).length, 1);
          assert.equal((await store.counts()).byState.queued, 1);

          const otherSeat = await store.insert(makeJob({ seat: 'user02', clientRequestId: 'abc' }), UNLIMITED);
          assert.ok(otherSeat.ok);
          assert.equal(otherSeat.duplicate, false, 'the same request id from another seat is another job');
          assert.notEqual(otherSeat.job.id, original.id);
        }),
      );

      it(
        'dedupes a finished job too, and before checking caps',
        withStore(async (store) => {
          const original = await add(store, { clientRequestId: 'abc' });
          await finish(store, original.id, 'succeeded', 10, 20);
          await add(store);
          const again = await store.insert(makeJob({ clientRequestId: 'abc' }), { maxQueuedPerSeat: 1, maxDepth: 1 });
          assert.ok(again.ok);
          assert.equal(again.duplicate, true);
          assert.equal(again.job.id, original.id);
          assert.equal(again.job.state, 'succeeded');
        }),
      );

      it(
        'seat_cap: rejects with the count and limit and changes nothing',
        withStore(async (store) => {
          const caps: QueueCaps = { maxQueuedPerSeat: 2, maxDepth: 100 };
          await add(store, {}, caps);
          await add(store, {}, caps);
          await assertRefused(store, makeJob({ clientRequestId: 'over' }), caps, { ok: false, reason: 'seat_cap', count: 2, limit: 2 });
          const other = await store.insert(makeJob({ seat: 'user02' }), caps);
          assert.ok(other.ok, 'another seat still has room');
          // The rejected request id was not remembered: a retry once there is room is a new job.
          await store.claim((await store.candidates()).heads.find((h) => h.seat === 'user01')!.id, 'w1', 1);
          const retry = await store.insert(makeJob({ clientRequestId: 'over' }), caps);
          assert.ok(retry.ok && !retry.duplicate);
        }),
      );

      it(
        'queue_full: rejects with the count and limit and changes nothing',
        withStore(async (store) => {
          const caps: QueueCaps = { maxQueuedPerSeat: 10, maxDepth: 3 };
          await add(store, { seat: 'user01' }, caps);
          await add(store, { seat: 'user02' }, caps);
          await add(store, { seat: 'user03' }, caps);
          await assertRefused(store, makeJob({ seat: 'user04' }), caps, { ok: false, reason: 'queue_full', count: 3, limit: 3 });
        }),
      );

      it(
        'caps count queued jobs only: a claimed or cancelled job frees its place',
        withStore(async (store) => {
          const caps: QueueCaps = { maxQueuedPerSeat: 2, maxDepth: 2 };
          const a = await add(store, {}, caps);
          const b = await add(store, {}, caps);
          assert.ok(await store.claim(a.id, 'w1', Date.now()));
          await add(store, {}, caps);
          assert.ok(await store.update(b.id, ['queued'], { state: 'cancelled', finishedAt: Date.now() }));
          await add(store, {}, caps);
          const full = await store.insert(makeJob(), caps);
          assert.equal(full.ok, false);
        }),
      );

      it(
        'caps of 0 mean unlimited',
        withStore(async (store) => {
          await addMany(store, 30);
          assert.equal((await store.queued()).length, 30);
        }),
      );
    });

    describe('get and list', () => {
      it(
        'get returns null for an unknown id',
        withStore(async (store) => {
          assert.equal(await store.get(makeJob().id), null);
        }),
      );

      it(
        'list is newest first and filters by seat and by state',
        withStore(async (store) => {
          const a = await add(store, { seat: 'user01' });
          const b = await add(store, { seat: 'user02' });
          const c = await add(store, { seat: 'user01' });
          const d = await add(store, { seat: 'user02' });
          assert.ok(await store.claim(c.id, 'w1', Date.now()));
          const ids = async (query: Parameters<QueueStore['list']>[0]) => (await store.list(query)).jobs.map((j) => j.id);
          assert.deepEqual(await ids({}), [d.id, c.id, b.id, a.id]);
          assert.deepEqual(await ids({ seat: 'user01' }), [c.id, a.id]);
          assert.deepEqual(await ids({ states: ['queued'] }), [d.id, b.id, a.id]);
          assert.deepEqual(await ids({ states: ['dispatching', 'running'] }), [c.id]);
          assert.deepEqual(await ids({ seat: 'user02', states: ['queued'] }), [d.id, b.id]);
          assert.deepEqual(await ids({ seat: 'user03' }), []);
          const page = await store.list({ seat: 'user01' });
          assert.deepEqual(page.jobs[1], a, 'list returns whole jobs');
        }),
      );

      it(
        'list pages with a cursor: every job exactly once, newest first, then a null cursor',
        withStore(async (store) => {
          const jobs = await addMany(store, 23);
          await addMany(store, 5, { seat: 'user02' });
          const expected = jobs.map((j) => j.id).reverse();
          for (const limit of [1, 5, 23, 50]) {
            const seen = (await listAll(store, { seat: 'user01', limit })).map((j) => j.id);
            assert.deepEqual(seen, expected, `pages of ${limit}`);
          }
          const first = await store.list({ seat: 'user01', limit: 10 });
          assert.equal(first.jobs.length, 10);
          assert.equal(typeof first.nextCursor, 'string');
          const all = await listAll(store, { limit: 7 });
          assert.equal(all.length, 28);
          assert.equal(new Set(all.map((j) => j.id)).size, 28);
        }),
      );

      it(
        'list returns 50 jobs by default and at most 500',
        withStore(async (store) => {
          await addMany(store, 510);
          assert.equal((await store.list({})).jobs.length, 50);
          const big = await store.list({ limit: 10_000 });
          assert.equal(big.jobs.length, 500);
          assert.ok(big.nextCursor);
          assert.equal((await store.list({ limit: 10_000, cursor: big.nextCursor })).jobs.length, 10);
        }),
      );
    });

    describe('candidates', () => {
      it(
        'an empty store has no heads and no pinned job',
        withStore(async (store) => {
          const c = await store.candidates();
          assert.deepEqual(c.heads, []);
          assert.equal(c.pinned, null);
        }),
      );

      it(
        'returns one head per (seat, priority) lane: its lowest-ranked queued job',
        withStore(async (store) => {
          const n1 = await add(store, { seat: 'user01', priority: 'normal' });
          await add(store, { seat: 'user01', priority: 'normal' });
          const h1 = await add(store, { seat: 'user01', priority: 'high' });
          await add(store, { seat: 'user01', priority: 'high' });
          const n2 = await add(store, { seat: 'user02', priority: 'normal' });
          const i3 = await add(store, { seat: 'user03', priority: 'instructor' });
          const l3 = await add(store, { seat: 'user03', priority: 'low' });
          const { heads, pinned } = await store.candidates();
          assert.equal(pinned, null);
          const byLane = new Map(heads.map((h) => [`${h.seat}/${h.priority}`, h]));
          assert.equal(heads.length, 5);
          assert.equal(byLane.size, 5);
          for (const job of [n1, h1, n2, i3, l3]) {
            assert.deepEqual(byLane.get(`${job.seat}/${job.priority}`), {
              id: job.id,
              seat: job.seat,
              priority: job.priority,
              rank: job.rank,
              pin: null,
              queuedAt: job.queuedAt,
            });
          }
        }),
      );

      it(
        'pinned jobs are not lane heads; the lowest pin is returned as pinned',
        withStore(async (store) => {
          const [a, b, c] = await addMany(store, 3);
          const other = await add(store, { seat: 'user02' });
          await store.setPins([c!.id, a!.id]);
          const { heads, pinned } = await store.candidates();
          assert.equal(pinned?.id, c!.id);
          assert.equal(pinned?.pin, 1);
          assert.equal(pinned?.seat, 'user01');
          assert.deepEqual(heads.map((h) => h.id).sort(), [b!.id, other.id].sort());
          assert.ok(heads.every((h) => h.pin === null));
        }),
      );

      it(
        'lists service counters for every seat with queued jobs, zero before the first claim',
        withStore(async (store) => {
          await add(store, { seat: 'user01' });
          await add(store, { seat: 'user02' });
          const { seats } = await store.candidates();
          assert.deepEqual(seats['user01'], { lastServed: 0, served: 0 });
          assert.deepEqual(seats['user02'], { lastServed: 0, served: 0 });
        }),
      );
    });

    describe('claim', () => {
      it(
        'moves queued -> dispatching: worker and startedAt set, attempts + 1, pin cleared',
        withStore(async (store) => {
          const job = await add(store, { attempts: 1 });
          await store.setPins([job.id]);
          const claimed = await store.claim(job.id, 'worker-a', 12345);
          assert.ok(claimed);
          assert.equal(claimed.state, 'dispatching');
          assert.equal(claimed.worker, 'worker-a');
          assert.equal(claimed.startedAt, 12345);
          assert.equal(claimed.attempts, 2);
          assert.equal(claimed.pin, null);
          assert.equal(claimed.rank, job.rank);
          assert.deepEqual(claimed.prompt, job.prompt);
          assert.deepEqual(await store.get(job.id), claimed);
          const c = await store.candidates();
          assert.equal(c.pinned, null);
          assert.deepEqual(c.heads, []);
        }),
      );

      it(
        'is a compare-and-set: a second claim of the same job returns null and changes nothing',
        withStore(async (store) => {
          const job = await add(store);
          const first = await store.claim(job.id, 'w1', 1);
          assert.ok(first);
          assert.equal(await store.claim(job.id, 'w2', 2), null);
          assert.deepEqual(await store.get(job.id), first);
          assert.equal(await store.claim(makeJob().id, 'w1', 3), null, 'unknown id');
        }),
      );

      it(
        'bumps seat service: lastServed grows with every claim across seats, served counts claims',
        withStore(async (store) => {
          const [a1, a2] = await addMany(store, 2, { seat: 'user01' });
          const [b1] = await addMany(store, 1, { seat: 'user02' });
          await store.claim(a1!.id, 'w1', 1);
          const s1 = (await store.candidates()).seats;
          assert.equal(s1['user01']?.served, 1);
          assert.ok(s1['user01']!.lastServed > 0);
          await store.claim(b1!.id, 'w1', 2);
          const s2 = (await store.candidates()).seats;
          assert.ok(s2['user02']!.lastServed > s1['user01']!.lastServed);
          assert.equal(s2['user01']?.lastServed, s1['user01']!.lastServed, 'other seats untouched');
          await store.claim(a2!.id, 'w1', 3);
          const s3 = (await store.candidates()).seats;
          assert.ok(s3['user01']!.lastServed > s2['user02']!.lastServed);
          assert.equal(s3['user01']?.served, 2);
          assert.equal(s3['user02']?.served, 1);
        }),
      );

      it(
        'the next job of the lane becomes its head',
        withStore(async (store) => {
          const [a, b] = await addMany(store, 2);
          await store.claim(a!.id, 'w1', 1);
          assert.deepEqual(await headIds(store), [b!.id]);
          assert.deepEqual(await queuedIds(store), [b!.id]);
        }),
      );
    });

    describe('update', () => {
      it(
        'applies the patch only when the state is one of `from`, else returns null and changes nothing',
        withStore(async (store) => {
          const job = await add(store);
          assert.equal(await store.update(job.id, ['running', 'dispatching'], { state: 'failed' }), null);
          assert.deepEqual(await store.get(job.id), job);
          assert.equal(await store.update(makeJob().id, ['queued'], { state: 'cancelled' }), null, 'unknown id');
          const cancelled = await store.update(job.id, ['queued', 'running'], { state: 'cancelled', finishedAt: 99 });
          assert.equal(cancelled?.state, 'cancelled');
          assert.equal(cancelled?.finishedAt, 99);
        }),
      );

      it(
        'sets every patchable field, and null clears them',
        withStore(async (store) => {
          const job = await add(store);
          await store.claim(job.id, 'w1', 10);
          const outputs = [{ node_id: '2', kind: 'images', filename: 'a.png', subfolder: job.id, type: 'output' as const, size: 3 }];
          const error = { code: 'execution_error', message: 'boom', details: { node_id: '2' } };
          const patched = await store.update(job.id, ['dispatching'], {
            state: 'failed',
            worker: 'w9',
            startedAt: 11,
            finishedAt: 12,
            error,
            outputs,
            cancelRequested: true,
          });
          assert.ok(patched);
          assert.deepEqual(
            { ...patched, prompt: undefined },
            {
              ...job,
              prompt: undefined,
              state: 'failed',
              attempts: 1,
              worker: 'w9',
              startedAt: 11,
              finishedAt: 12,
              error,
              outputs,
              cancelRequested: true,
            },
          );
          assert.deepEqual(await store.get(job.id), patched);
          const cleared = await store.update(job.id, ['failed'], { worker: null, startedAt: null, finishedAt: null, error: null });
          assert.equal(cleared?.worker, null);
          assert.equal(cleared?.startedAt, null);
          assert.equal(cleared?.finishedAt, null);
          assert.equal(cleared?.error, null);
          assert.deepEqual(cleared?.outputs, outputs, 'fields absent from the patch are kept');
        }),
      );

      it(
        "state 'queued' puts the job back into its lane with its original rank",
        withStore(async (store) => {
          const [a, b] = await addMany(store, 2);
          await store.claim(a!.id, 'w1', 1);
          await add(store);
          const back = await store.update(a!.id, ['dispatching', 'running'], { state: 'queued', worker: null, startedAt: null });
          assert.equal(back?.state, 'queued');
          assert.equal(back?.rank, a!.rank);
          assert.equal(back?.attempts, 1, 'attempts are kept for the retry limit');
          const { heads } = await store.candidates();
          assert.deepEqual(
            heads.map((h) => h.id),
            [a!.id],
          );
          assert.ok((await queuedIds(store)).includes(a!.id));
          assert.equal((await store.counts()).queuedBySeat['user01'], 3);
          assert.ok(b);
        }),
      );

      it(
        'pinFront pins a requeued or queued job ahead of every existing pin',
        withStore(async (store) => {
          const [a, b, c] = await addMany(store, 3);
          await store.setPins([a!.id, b!.id]);
          await store.claim(c!.id, 'w1', 1);
          const back = await store.update(c!.id, ['dispatching'], { state: 'queued', pinFront: true });
          assert.ok(back?.pin !== null && back!.pin < 1, `pin ${back?.pin}`);
          assert.equal((await store.candidates()).pinned?.id, c!.id);
          const d = await add(store);
          const moved = await store.update(d.id, ['queued'], { pinFront: true });
          assert.ok(moved?.pin !== null && moved!.pin < back!.pin!);
          assert.equal((await store.candidates()).pinned?.id, d.id);
        }),
      );

      it(
        'leaving queued removes the job from lane heads, pinned and queued()',
        withStore(async (store) => {
          const [a, b] = await addMany(store, 2);
          await store.setPins([b!.id]);
          await store.update(a!.id, ['queued'], { state: 'cancelled' });
          await store.update(b!.id, ['queued'], { state: 'cancelled' });
          const c = await store.candidates();
          assert.deepEqual(c.heads, []);
          assert.equal(c.pinned, null);
          assert.deepEqual(await store.queued(), []);
          assert.equal((await store.counts()).byState.cancelled, 2);
        }),
      );
    });

    describe('setPriority', () => {
      it(
        'moves a queued job to another priority lane and keeps its rank',
        withStore(async (store) => {
          const [a, b, c] = await addMany(store, 3);
          const moved = await store.setPriority(b!.id, 'high');
          assert.equal(moved?.priority, 'high');
          assert.equal(moved?.rank, b!.rank);
          const { heads } = await store.candidates();
          const lanes = Object.fromEntries(heads.map((h) => [h.priority, h.id]));
          assert.deepEqual(lanes, { high: b!.id, normal: a!.id });
          await store.setPriority(c!.id, 'high');
          const high = (await store.candidates()).heads.find((h) => h.priority === 'high');
          assert.equal(high?.id, b!.id, 'ranks keep their order inside the new lane');
          assert.equal((await store.get(c!.id))?.priority, 'high');
        }),
      );

      it(
        'returns null and changes nothing for a job that is not queued',
        withStore(async (store) => {
          const job = await add(store);
          const claimed = await store.claim(job.id, 'w1', 1);
          assert.equal(await store.setPriority(job.id, 'instructor'), null);
          assert.deepEqual(await store.get(job.id), claimed);
          assert.equal(await store.setPriority(makeJob().id, 'high'), null);
        }),
      );
    });

    describe('setPins', () => {
      it(
        'pins the given jobs 1, 2, … in order and unpins every other queued job',
        withStore(async (store) => {
          const [a, b, c, d] = await addMany(store, 4);
          await store.setPins([a!.id, b!.id]);
          await store.setPins([d!.id, c!.id, a!.id]);
          const pins = Object.fromEntries((await store.queued()).map((e) => [e.id, e.pin]));
          assert.deepEqual(pins, { [d!.id]: 1, [c!.id]: 2, [a!.id]: 3, [b!.id]: null });
          assert.equal((await store.get(b!.id))?.pin, null);
          await store.setPins([]);
          assert.ok((await store.queued()).every((e) => e.pin === null));
          assert.equal((await store.candidates()).pinned, null);
        }),
      );

      it(
        'ignores ids that are not queued',
        withStore(async (store) => {
          const [a, b, c] = await addMany(store, 3);
          await store.claim(b!.id, 'w1', 1);
          await store.setPins([c!.id, b!.id, makeJob().id, a!.id]);
          assert.equal((await store.get(b!.id))?.pin, null);
          assert.equal((await store.get(b!.id))?.state, 'dispatching');
          const ca = (await store.get(c!.id))?.pin;
          const aa = (await store.get(a!.id))?.pin;
          assert.ok(ca !== null && ca !== undefined && aa !== null && aa !== undefined && ca < aa);
          assert.equal((await store.candidates()).pinned?.id, c!.id);
        }),
      );
    });

    describe('queued, active, counts, runTimes', () => {
      it(
        'queued() lists every queued job, pinned ones included, with its place data',
        withStore(async (store) => {
          const a = await add(store, { seat: 'user01' });
          const b = await add(store, { seat: 'user02', priority: 'low', prompt: { '9': { class_type: 'Other', inputs: {} } } });
          const c = await add(store);
          await store.setPins([c.id]);
          const claimed = await add(store);
          await store.claim(claimed.id, 'w1', 1);
          const entries = (await store.queued()).sort((x, y) => x.queuedAt - y.queuedAt);
          const entry = (j: Job, pin: number | null) => ({
            id: j.id,
            seat: j.seat,
            priority: j.priority,
            rank: j.rank,
            pin,
            queuedAt: j.queuedAt,
            shape: j.shape,
          });
          assert.deepEqual(entries, [entry(a, null), entry(b, null), entry(c, 1)]);
          assert.notEqual(b.shape, a.shape);
        }),
      );

      it(
        'active() lists the dispatching and running jobs only',
        withStore(async (store) => {
          const [a, b, c, d] = await addMany(store, 4);
          await store.claim(a!.id, 'w1', 1);
          await store.claim(b!.id, 'w2', 1);
          await store.update(b!.id, ['dispatching'], { state: 'running' });
          await finish(store, c!.id, 'succeeded', 1, 2);
          const active = (await store.active()).sort((x, y) => x.queuedAt - y.queuedAt);
          assert.deepEqual(
            active.map((j) => [j.id, j.state]),
            [
              [a!.id, 'dispatching'],
              [b!.id, 'running'],
            ],
          );
          assert.deepEqual(active[1], await store.get(b!.id));
          assert.ok(d);
        }),
      );

      it(
        'counts() by state (every state present) and queued/active per seat',
        withStore(async (store) => {
          const [a, b] = await addMany(store, 3, { seat: 'user01' });
          const [c, d] = await addMany(store, 2, { seat: 'user02' });
          await store.claim(a!.id, 'w1', 1);
          await store.claim(c!.id, 'w1', 1);
          await store.update(c!.id, ['dispatching'], { state: 'running' });
          await store.update(b!.id, ['queued'], { state: 'cancelled' });
          await finish(store, d!.id, 'failed', 1, 2);
          const counts = await store.counts();
          assert.deepEqual(counts.byState, { queued: 1, dispatching: 1, running: 1, succeeded: 0, failed: 1, cancelled: 1 });
          assert.deepEqual(nonZero(counts.queuedBySeat), { user01: 1 });
          assert.deepEqual(nonZero(counts.activeBySeat), { user01: 1, user02: 1 });
        }),
      );

      it(
        'counts() of an empty store are all zero',
        withStore(async (store) => {
          const counts = await store.counts();
          assert.deepEqual(counts.byState, { queued: 0, dispatching: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 });
          assert.deepEqual(nonZero(counts.queuedBySeat), {});
          assert.deepEqual(nonZero(counts.activeBySeat), {});
        }),
      );

      it(
        'runTimes: succeeded jobs of that shape only, newest first, at most `limit`',
        withStore(async (store) => {
          const [a, b, c, d] = await addMany(store, 4);
          const odd = await add(store, { prompt: { '1': { class_type: 'Other', inputs: {} } } });
          await finish(store, a!.id, 'succeeded', 1000, 1100);
          await finish(store, b!.id, 'succeeded', 2000, 2300);
          await finish(store, c!.id, 'failed', 3000, 3500);
          await finish(store, d!.id, 'succeeded', 4000, 4200);
          await finish(store, odd.id, 'succeeded', 5000, 9000);
          assert.deepEqual(await store.runTimes(a!.shape, 10), [200, 300, 100]);
          assert.deepEqual(await store.runTimes(a!.shape, 2), [200, 300]);
          assert.deepEqual(await store.runTimes(odd.shape, 10), [4000]);
          assert.deepEqual(await store.runTimes('no-such-shape', 10), []);
          assert.notEqual(odd.shape, a!.shape);
        }),
      );
    });

    describe('settings', () => {
      it(
        'getSettings is null until set, then returns the last settings set',
        withStore(async (store) => {
          assert.equal(await store.getSettings(), null);
          await store.setSettings(DEFAULT_SETTINGS);
          assert.deepEqual(await store.getSettings(), DEFAULT_SETTINGS);
          const next: SchedulerSettings = {
            policy: 'priority',
            paused: { submissions: true, dispatch: false },
            caps: { maxQueuedPerSeat: 3, maxDepth: 0 },
          };
          await store.setSettings(next);
          assert.deepEqual(await store.getSettings(), next);
        }),
      );
    });

    describe('signals', () => {
      it(
        'delivers every kind of published signal to every watcher, the publishing process included',
        withStore(async (store) => {
          const signals: StoreSignal[] = [
            { kind: 'job', id: makeJob().id, state: 'running' },
            { kind: 'settings' },
            { kind: 'cancel', id: makeJob().id, worker: 'w1' },
            { kind: 'custom', topic: 'announcement', payload: { text: 'break in 5 minutes', n: [1, 2] } },
          ];
          const seenA: StoreSignal[] = [];
          const seenB: StoreSignal[] = [];
          const stopA = store.watch((s) => seenA.push(s));
          const stopB = store.watch((s) => seenB.push(s));
          const last = nextSignal(store, (s) => s.kind === 'custom');
          for (const signal of signals) await store.publish(signal);
          await last;
          stopA();
          stopB();
          assert.deepEqual(seenA, signals);
          assert.deepEqual(seenB, signals);
        }),
      );

      it(
        'unsubscribing stops delivery to that watcher only',
        withStore(async (store) => {
          const seen: StoreSignal[] = [];
          const stop = store.watch((s) => seen.push(s));
          const first = nextSignal(store, (s) => s.kind === 'custom' && s.topic === 'one');
          await store.publish({ kind: 'custom', topic: 'one', payload: null });
          await first;
          stop();
          const second = nextSignal(store, (s) => s.kind === 'custom' && s.topic === 'two');
          await store.publish({ kind: 'custom', topic: 'two', payload: null });
          await second;
          assert.deepEqual(seen, [{ kind: 'custom', topic: 'one', payload: null }]);
        }),
      );
    });

    describe('durability', () => {
      it(
        'after reopening, jobs, settings, lanes, pins, ranks and seat service are all still there',
        withStore(async (store, fixture) => {
          const [a, b, c] = await addMany(store, 3, { seat: 'user01' });
          const high = await add(store, { seat: 'user02', priority: 'high', clientRequestId: 'keep-me' });
          await store.setPins([c!.id]);
          await store.claim(a!.id, 'w1', 5);
          await finish(store, b!.id, 'succeeded', 10, 60);
          const settings: SchedulerSettings = { ...DEFAULT_SETTINGS, policy: 'fifo' };
          await store.setSettings(settings);
          const jobs = await listAll(store);
          const before = { candidates: await store.candidates(), counts: await store.counts(), active: await store.active() };

          const reopened = await fixture.reopen();
          assert.deepEqual(await listAll(reopened), jobs);
          assert.deepEqual(await reopened.candidates(), before.candidates);
          assert.deepEqual(await reopened.counts(), before.counts);
          assert.deepEqual(await reopened.active(), before.active);
          assert.deepEqual(await reopened.getSettings(), settings);
          assert.deepEqual(await reopened.runTimes(b!.shape, 5), [50]);

          const dup = await reopened.insert(makeJob({ seat: 'user02', clientRequestId: 'keep-me' }), UNLIMITED);
          assert.ok(dup.ok && dup.duplicate && dup.job.id === high.id, 'request ids are remembered');
          const after = await add(reopened, { seat: 'user01' });
          assert.ok(after.rank > c!.rank, 'ranks continue after the highest one');
          const lastServed = before.candidates.seats['user01']!.lastServed;
          await reopened.claim(high.id, 'w1', 70);
          assert.ok((await reopened.candidates()).seats['user02']!.lastServed > lastServed, 'the claim sequence continues');
        }),
      );
    });

    describe('concurrency', () => {
      it(
        '8 concurrent claim loops claim each of 50 jobs exactly once',
        withStore(async (store) => {
          const jobs: Job[] = [];
          for (let i = 0; i < 50; i++) jobs.push(await add(store, { seat: `user0${i % 5}`, priority: i % 3 ? 'normal' : 'high' }));
          const claimed: string[] = [];
          const loop = async (worker: string) => {
            for (let round = 0; round < 1000; round++) {
              const { heads, pinned } = await store.candidates();
              const pick = pinned ?? heads[0];
              if (!pick) return;
              const job = await store.claim(pick.id, worker, Date.now());
              if (job) {
                assert.equal(job.worker, worker);
                claimed.push(job.id);
              }
            }
            assert.fail('claim loop did not drain the queue');
          };
          await Promise.all(Array.from({ length: 8 }, (_, i) => loop(`w${i}`)));
          assert.deepEqual(claimed.sort(), jobs.map((j) => j.id).sort());
          const counts = await store.counts();
          assert.equal(counts.byState.dispatching, 50);
          assert.equal(counts.byState.queued, 0);
          const served = Object.values((await store.candidates()).seats).reduce((sum, s) => sum + s.served, 0);
          assert.equal(served, 50);
        }),
      );
    });
  });
}
