import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ComfyEnvelope, Job } from '../../extension/src/contract.ts';
import { badgeText, formatDuration, runSeconds, waitSeconds } from '../../extension/src/format.ts';
import { nodeFractions, SeatState } from '../../extension/src/seat-state.ts';
import { wireJob, wireQueue } from '../helpers/wire.ts';

const comfy = (jobId: string, event: string, data: Record<string, unknown>): ComfyEnvelope => ({ v: 1, seq: 1, type: 'comfy', job_id: jobId, event, data });

describe('seat state', () => {
  it('follows the seat’s place in the shared queue from queue envelopes', () => {
    const state = new SeatState('user01');
    const mine = wireJob({ state: 'queued', position: 5 });
    state.applySnapshot([mine], wireQueue({ depth: 5 }));
    state.applyQueue(
      wireQueue({
        depth: 3,
        entries: [
          { position: 1, mine: false, eta: 10, eta_start: 0 },
          { position: 2, id: mine.id, seat: 'user01', mine: true, eta: 40, eta_start: 20 },
          { position: 3, mine: false, eta: null, eta_start: null },
        ],
      }),
    );
    assert.deepEqual(state.focus(), { ...mine, position: 2, eta: 40, eta_start: 20 });
    assert.deepEqual(badgeText(state.focus(), 3, null), { text: 'Queued #2 of 3', eta: 'starts ~20s' });
  });

  it('counts queued and running jobs as pending, and focuses the running one', () => {
    const state = new SeatState('user01');
    const queued = wireJob({ state: 'queued', position: 2 });
    const running = wireJob({ state: 'running', position: null, started_at: new Date().toISOString() });
    state.applySnapshot([queued, running, wireJob({ state: 'succeeded', position: null })], null);
    assert.equal(state.pendingCount(), 2);
    assert.equal(state.focus()?.id, running.id);
  });

  it('computes overall progress from progress_state, else from the current node', () => {
    const state = new SeatState('user01');
    const job = wireJob({ state: 'running' });
    state.applyJob(job);
    assert.equal(state.percent(job.id), null);
    state.applyComfy(comfy(job.id, 'progress', { value: 5, max: 20 }));
    assert.equal(state.percent(job.id), 25);
    state.applyComfy(
      comfy(job.id, 'progress_state', {
        nodes: {
          '1': { state: 'finished', value: 1, max: 1 },
          '2': { state: 'running', value: 10, max: 20 },
          '3': { state: 'pending', value: 0, max: 1 },
          '4': { state: 'pending', value: 0, max: 1 },
        },
      }),
    );
    assert.equal(state.percent(job.id), 38);
    assert.deepEqual(badgeText(state.job(job.id)!, 0, state.percent(job.id)).text, 'Running 38%');
  });

  it('reports each state change once, with what was known before', () => {
    const state = new SeatState('user01');
    const seen: [string, string | null][] = [];
    state.onTransition((job, previous) => seen.push([job.state, previous?.state ?? null]));
    const job = wireJob({ state: 'queued' });
    state.applyJob(job);
    state.applyJob({ ...job, position: 3 });
    state.applyJob({ ...job, state: 'running' });
    state.applyJob({ ...job, state: 'succeeded' });
    assert.deepEqual(seen, [
      ['queued', null],
      ['running', 'queued'],
      ['succeeded', 'running'],
    ]);
  });

  it('never lets a late REST answer undo what the stream already said', () => {
    const state = new SeatState('user01');
    const job = wireJob({ state: 'running' });
    state.applyJob({ ...job, state: 'cancelled', cancel_requested: true });
    // The cancel request's own answer ("running, cancel requested") arrives after the stream's "cancelled".
    state.noteJob({ ...job, state: 'running', cancel_requested: true });
    assert.equal(state.job(job.id)?.state, 'cancelled');
    assert.equal(state.pendingCount(), 0);
    // A submit answer after the stream said the job already runs keeps it running.
    const fast = wireJob({ state: 'queued' });
    state.applyJob({ ...fast, state: 'running', position: null });
    state.noteJob(fast);
    assert.equal(state.job(fast.id)?.state, 'running');
  });

  it('moves the badge on to the next running job while one is being cancelled', () => {
    const state = new SeatState('user01');
    const stopping = wireJob({ state: 'running', cancel_requested: true });
    const next = wireJob({ state: 'running' });
    state.applySnapshot([stopping, next], null);
    assert.equal(state.focus()?.id, next.id);
    state.applyJob({ ...next, cancel_requested: true });
    assert.equal(state.focus()?.id, stopping.id);
  });

  it('forgets finished jobs a new snapshot no longer lists, keeps the rest', () => {
    const state = new SeatState('user01');
    const old = wireJob({ state: 'succeeded' });
    const live = wireJob({ state: 'queued' });
    state.applySnapshot([old, live], null);
    state.applySnapshot([live], null);
    assert.deepEqual(
      state.jobs().map((job) => job.id),
      [live.id],
    );
  });

  it('adds REST history without announcing transitions', () => {
    const state = new SeatState('user01');
    let calls = 0;
    state.onTransition(() => {
      calls += 1;
    });
    state.addHistory([wireJob({ state: 'succeeded' }), wireJob({ state: 'failed' })]);
    assert.equal(calls, 0);
    assert.equal(state.jobs().length, 2);
  });

  it('knows when the UI saw a job start but not its end', () => {
    const state = new SeatState('user01');
    const job: Job = wireJob({ state: 'running' });
    state.applyComfy(comfy(job.id, 'execution_start', { prompt_id: job.id }));
    assert.equal(state.needsSyntheticEnd(job.id), true);
    state.applyComfy(comfy(job.id, 'execution_success', { prompt_id: job.id }));
    assert.equal(state.needsSyntheticEnd(job.id), false);
  });
});

describe('progress_state fractions', () => {
  it('weighs finished, running and pending nodes', () => {
    assert.deepEqual(
      [...nodeFractions({ a: { state: 'finished' }, b: { state: 'running', value: 1, max: 4 }, c: { state: 'pending' }, d: { state: 'error' } })!],
      [
        ['a', 1],
        ['b', 0.25],
        ['c', 0],
        ['d', 0],
      ],
    );
    assert.equal(nodeFractions('nope'), null);
  });
});

describe('formatting', () => {
  it('writes durations the short way', () => {
    assert.deepEqual([5, 59.6, 125, 3720].map(formatDuration), ['5s', '1m 00s', '2m 05s', '1h 02m']);
  });

  it('says so when there is no estimate yet', () => {
    assert.deepEqual(badgeText(wireJob({ state: 'queued', position: 1, eta_start: null }), 1, null), { text: 'Queued #1 of 1', eta: 'no estimate yet' });
    assert.deepEqual(badgeText(null, 4, null), { text: 'Queue idle · 4 waiting', eta: '' });
  });

  it('measures wait and run times, still counting while unfinished', () => {
    const now = Date.parse('2026-11-28T10:01:00.000Z');
    const queued = wireJob({ state: 'queued', queued_at: '2026-11-28T10:00:00.000Z' });
    assert.equal(waitSeconds(queued, now), 60);
    assert.equal(runSeconds(queued, now), null);
    const done = wireJob({
      state: 'succeeded',
      queued_at: '2026-11-28T10:00:00.000Z',
      started_at: '2026-11-28T10:00:10.000Z',
      finished_at: '2026-11-28T10:00:40.000Z',
    });
    assert.equal(waitSeconds(done, now), 10);
    assert.equal(runSeconds(done, now), 30);
  });
});
