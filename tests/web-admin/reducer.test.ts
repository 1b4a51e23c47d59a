import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINISHED_JOBS_KEPT, initialState, reduce, type Action, type AdminState } from '../../web-admin/src/reducer.ts';
import { runningCards, queueRows, queuedInOrder, summary } from '../../web-admin/src/selectors.ts';
import { createStore } from '../../web-admin/src/store.ts';
import { envelope, job, queueOf, worker } from './fixtures.ts';

const apply = (actions: Action[], state: AdminState = initialState()): AdminState => actions.reduce(reduce, state);
const env = (e: Parameters<typeof envelope>[0]): Action => ({ type: 'envelope', envelope: envelope(e) });

describe('admin store reducer', () => {
  it('a fresh stream: hello then snapshot sets jobs, positions and announcements', () => {
    const a = job({ seat: 'user01' });
    const b = job({ seat: 'user02' });
    const state = apply([
      { type: 'session', auth: 'admin' },
      env({ type: 'hello', stream: 'st-1', role: 'admin', resumed: false }),
      env({ type: 'snapshot', jobs: [a, b], queue: queueOf([b, a]), announcements: [{ id: 'n1', text: 'hi', at: '2026-11-28T10:00:00Z' }] }),
    ]);
    assert.equal(state.stream, 'st-1');
    assert.deepEqual(queuedInOrder(state).map((j) => j.id), [b.id, a.id]);
    assert.equal(state.jobs[b.id]?.position, 1);
    assert.equal(state.jobs[a.id]?.eta, 20);
    assert.equal(state.announcements[0]?.text, 'hi');
    assert.ok(state.seq > 0);
  });

  it('a queue frame reorders the table and carries policy and pause state into the scheduler view', () => {
    const [a, b, c] = [job(), job(), job()];
    let state = apply([
      { type: 'scheduler.loaded', scheduler: { policy: 'fifo', policies: ['fifo', 'round_robin', 'priority'], paused: { submissions: false, dispatch: false }, caps: { max_queued_per_seat: 5, max_depth: 50 } } },
      { type: 'jobs.loaded', jobs: [a, b, c] },
      { type: 'queue.loaded', queue: queueOf([a, b, c]) },
    ]);
    state = reduce(state, env({ type: 'queue', queue: queueOf([c, a, b], { policy: 'priority', paused: { submissions: true, dispatch: false } }) }));
    assert.deepEqual(queueRows(state, { seat: '', state: 'queued' }).map((j) => j.id), [c.id, a.id, b.id]);
    assert.equal(state.scheduler?.policy, 'priority');
    assert.equal(state.scheduler?.paused.submissions, true);
    assert.equal(state.scheduler?.caps.max_depth, 50, 'caps are not in the queue frame and stay');
  });

  it('job frames move a job through its states; finishing drops its progress and preview', () => {
    const a = job();
    let state = apply([env({ type: 'hello', stream: 's', role: 'admin', resumed: false }), env({ type: 'snapshot', jobs: [a], queue: queueOf([a]), announcements: [] })]);
    const running = { ...a, state: 'running' as const, worker: 'w1', started_at: '2026-11-28T10:01:00Z', position: null };
    state = apply(
      [
        env({ type: 'job', job: running }),
        env({ type: 'comfy', job_id: a.id, event: 'execution_start', data: { prompt_id: a.id } }),
        env({ type: 'comfy', job_id: a.id, event: 'progress', data: { value: 5, max: 20, node: '3', prompt_id: a.id } }),
        { type: 'preview', jobId: a.id, url: 'blob:one' },
        { type: 'workers.loaded', workers: [worker({ id: 'w1', state: 'busy', current_job: a.id })] },
      ],
      state,
    );
    const [card] = runningCards(state);
    assert.equal(card?.job?.id, a.id);
    assert.equal(card?.progress, 0.25);
    assert.equal(card?.node, '3');
    assert.equal(card?.preview, 'blob:one');

    state = reduce(state, env({ type: 'job', job: { ...running, state: 'succeeded', finished_at: '2026-11-28T10:02:00Z' } }));
    assert.equal(state.progress[a.id], undefined);
    assert.equal(state.previews[a.id], undefined);
    // A late preview of a finished job is ignored.
    assert.equal(reduce(state, { type: 'preview', jobId: a.id, url: 'blob:late' }), state);
  });

  it('a REST page never overwrites a newer state from the stream', () => {
    const a = job();
    const state = apply([
      env({ type: 'job', job: { ...a, state: 'succeeded' } }),
      { type: 'jobs.loaded', jobs: [{ ...a, state: 'queued' }] },
    ]);
    assert.equal(state.jobs[a.id]?.state, 'succeeded');
  });

  it('keeps every unfinished job but only the most recent finished ones', () => {
    const finished = Array.from({ length: FINISHED_JOBS_KEPT + 20 }, (_, i) =>
      job({ state: 'succeeded', finished_at: new Date(Date.UTC(2026, 10, 28, 11, 0, 0, i)).toISOString() }),
    );
    const waiting = job();
    const state = apply([{ type: 'jobs.loaded', jobs: [waiting, ...finished] }]);
    const kept = Object.values(state.jobs);
    assert.equal(kept.filter((j) => j.state === 'succeeded').length, FINISHED_JOBS_KEPT);
    assert.ok(state.jobs[waiting.id]);
    assert.ok(!state.jobs[finished[0]!.id], 'the oldest finished job fell off');
    assert.ok(state.jobs[finished.at(-1)!.id]);
  });

  it('announcements arrive once, newest first, whether from the socket or the send answer', () => {
    const first = { id: 'a1', text: 'one', at: '2026-11-28T10:00:00Z' };
    const second = { id: 'a2', text: 'two', at: '2026-11-28T10:05:00Z' };
    const state = apply([
      env({ type: 'announcement', announcement: first }),
      { type: 'announcement.added', announcement: second },
      env({ type: 'announcement', announcement: second }),
    ]);
    assert.deepEqual(state.announcements.map((a) => a.id), ['a2', 'a1']);
  });

  it('a resumed stream keeps its seq; a fresh one restarts from the server’s', () => {
    let state = apply([env({ type: 'hello', stream: 's', role: 'admin', resumed: false })]);
    state = { ...state, seq: 500 };
    const resumed = reduce(state, { type: 'envelope', envelope: { v: 1, seq: 20, type: 'hello', stream: 's', role: 'admin', resumed: true } });
    assert.equal(resumed.seq, 500);
    const fresh = reduce(state, { type: 'envelope', envelope: { v: 1, seq: 20, type: 'hello', stream: 's2', role: 'admin', resumed: false } });
    assert.equal(fresh.seq, 20);
    assert.equal(fresh.stream, 's2');
  });

  it('signing out forgets the data but not the pending messages', () => {
    const state = apply([
      { type: 'session', auth: 'admin' },
      { type: 'jobs.loaded', jobs: [job()] },
      { type: 'toast', kind: 'error', text: 'Not logged in' },
      { type: 'session', auth: 'anonymous' },
    ]);
    assert.equal(state.auth, 'anonymous');
    assert.deepEqual(state.jobs, {});
    assert.equal(state.toasts[0]?.text, 'Not logged in');
  });

  it('summary: queue depth from the queue frame, running and starting jobs apart, workers up', () => {
    const a = job();
    const state = apply([
      { type: 'jobs.loaded', jobs: [a, job({ state: 'running' }), job({ state: 'dispatching' }), job({ state: 'dispatching' })] },
      { type: 'queue.loaded', queue: queueOf([a], { depth: 7, running: 3 }) },
      { type: 'workers.loaded', workers: [worker({ id: 'w1', state: 'busy' }), worker({ id: 'w2', state: 'down' })] },
    ]);
    assert.deepEqual(summary(state), { queued: 7, running: 1, starting: 2, workersReady: 1, workersTotal: 2 });
  });

  it('filters the table by seat and state', () => {
    const rows = apply([
      { type: 'jobs.loaded', jobs: [job({ seat: 'user01' }), job({ seat: 'user02' }), job({ seat: 'user02', state: 'failed' })] },
    ]);
    assert.equal(queueRows(rows, { seat: 'user02', state: 'active' }).length, 1);
    assert.equal(queueRows(rows, { seat: 'user02', state: 'all' }).length, 2);
    assert.equal(queueRows(rows, { seat: '', state: 'failed' }).length, 1);
  });
});

describe('admin store', () => {
  it('notifies subscribers and frees preview URLs no state refers to any more', () => {
    const released: string[] = [];
    const store = createStore({ releasePreview: (url) => released.push(url) });
    const seen: number[] = [];
    const stop = store.subscribe((state) => seen.push(Object.keys(state.previews).length));
    const a = job({ state: 'running' });
    store.dispatch({ type: 'jobs.loaded', jobs: [a] });
    store.dispatch({ type: 'preview', jobId: a.id, url: 'blob:1' });
    store.dispatch({ type: 'preview', jobId: a.id, url: 'blob:2' });
    assert.deepEqual(released, ['blob:1']);
    store.dispatch({ type: 'job.updated', job: { ...a, state: 'cancelled' } });
    assert.deepEqual(released, ['blob:1', 'blob:2']);
    stop();
    store.dispatch({ type: 'toast', kind: 'ok', text: 'x' });
    assert.deepEqual(seen, [0, 1, 1, 0]);
  });
});
