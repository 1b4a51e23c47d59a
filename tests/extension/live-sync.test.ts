import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope } from '../../extension/src/contract.ts';
import { parsePreviewFrame } from '../../extension/src/envelope.ts';
import { createLiveSync } from '../../extension/src/live-sync.ts';
import { SeatState } from '../../extension/src/seat-state.ts';
import { FakeHost } from './fake-host.ts';
import { previewFrame, wireJob, wireQueue } from '../helpers/wire.ts';

function setup() {
  const host = new FakeHost();
  const state = new SeatState('user01');
  const announcements: string[] = [];
  const sync = createLiveSync(host, state, { onAnnouncement: (a) => announcements.push(a.text) });
  let seq = 0;
  const send = (body: Record<string, unknown>): void => sync.onEnvelope({ v: 1, seq: ++seq, ...body } as Envelope);
  return { host, state, sync, send, announcements };
}

describe('live sync: events into the native UI', () => {
  it('re-dispatches a job’s ComfyUI events in order, with frontend detail shapes', () => {
    const { host, send } = setup();
    const id = wireJob().id;
    send({ type: 'comfy', job_id: id, event: 'execution_start', data: { prompt_id: id } });
    send({ type: 'comfy', job_id: id, event: 'executing', data: { node: '3', display_node: '3', prompt_id: id } });
    send({ type: 'comfy', job_id: id, event: 'progress', data: { value: 1, max: 4, prompt_id: id, node: '3' } });
    send({ type: 'comfy', job_id: id, event: 'execution_success', data: { prompt_id: id } });
    const comfyEvents = host.dispatched.filter((event) => event.type !== 'status');
    assert.deepEqual(
      comfyEvents.map((event) => event.type),
      ['execution_start', 'executing', 'progress', 'execution_success'],
    );
    assert.equal(comfyEvents[1]?.detail, '3');
  });

  it('dispatches previews as b_preview_with_metadata and b_preview', () => {
    const { host, sync } = setup();
    const frame = parsePreviewFrame(previewFrame({ v: 1, type: 'preview', job_id: 'j', node_id: '3', image_type: 'image/jpeg' }, new Uint8Array([1, 2])))!;
    sync.onPreview(frame);
    assert.deepEqual(host.types(), ['b_preview_with_metadata', 'b_preview']);
  });

  it('keeps the frontend’s pending count on the seat’s remote jobs, not the idle UI host', () => {
    const { host, send } = setup();
    const a = wireJob({ state: 'queued' });
    const b = wireJob({ state: 'running' });
    send({ type: 'snapshot', jobs: [a, b], queue: wireQueue(), announcements: [] });
    const status = host.dispatched.filter((event) => event.type === 'status');
    assert.deepEqual(status.at(-1)?.detail, { exec_info: { queue_remaining: 2 } });
    // The UI host's own socket says 0 and carries its sid: rewritten, sid removed (it would change api.clientId).
    assert.deepEqual(host.hostEvent('status', { exec_info: { queue_remaining: 0 }, sid: 'abc' }), { detail: { exec_info: { queue_remaining: 2 } } });
    assert.deepEqual(host.hostEvent('status', null), { detail: null });
    send({ type: 'job', job: { ...a, state: 'cancelled' } });
    assert.deepEqual(host.dispatched.filter((event) => event.type === 'status').at(-1)?.detail, { exec_info: { queue_remaining: 1 } });
  });

  it('drops the UI host’s "nothing executing" while a remote job runs, and only then', () => {
    const { host, send } = setup();
    assert.deepEqual(host.hostEvent('executing', null), { detail: null });
    send({ type: 'job', job: wireJob({ state: 'running' }) });
    assert.equal(host.hostEvent('executing', null), null);
    assert.deepEqual(host.hostEvent('progress', { value: 1 }), { detail: { value: 1 } });
  });

  it('marks a job that was already running at (re)load as the active one', () => {
    const { host, send, state } = setup();
    const running = wireJob({ state: 'running' });
    send({ type: 'snapshot', jobs: [running, wireJob({ state: 'queued' })], queue: null, announcements: [] });
    const starts = host.dispatched.filter((event) => event.type === 'execution_start');
    assert.equal(starts.length, 1);
    assert.equal((starts[0]!.detail as { prompt_id: string }).prompt_id, running.id);
    // A later snapshot (reconnect without resume) does not start it again.
    send({ type: 'snapshot', jobs: [running], queue: null, announcements: [] });
    assert.equal(host.types().filter((type) => type === 'execution_start').length, 1);
    assert.equal(state.wasStarted(running.id), true);
  });

  it('ends a started job natively when it finishes without ComfyUI’s own terminal event', () => {
    const { host, send } = setup();
    const job = wireJob({ state: 'running' });
    send({ type: 'job', job });
    send({ type: 'comfy', job_id: job.id, event: 'execution_start', data: { prompt_id: job.id } });
    send({ type: 'job', job: { ...job, state: 'failed', error: { code: 'worker_lost', message: 'worker went away' } } });
    const last = host.dispatched.filter((event) => event.type.startsWith('execution_')).at(-1);
    assert.equal(last?.type, 'execution_error');
    assert.equal((last!.detail as { exception_message: string }).exception_message, 'worker went away');
  });

  it('does not invent an end when ComfyUI already sent one', () => {
    const { host, send } = setup();
    const job = wireJob({ state: 'running' });
    send({ type: 'job', job });
    send({ type: 'comfy', job_id: job.id, event: 'execution_start', data: { prompt_id: job.id } });
    send({ type: 'comfy', job_id: job.id, event: 'execution_success', data: { prompt_id: job.id } });
    send({ type: 'job', job: { ...job, state: 'succeeded' } });
    assert.equal(host.types().filter((type) => type === 'execution_success').length, 1);
  });

  it('hands announcements on', () => {
    const { send, announcements } = setup();
    send({ type: 'announcement', announcement: { id: 'a', text: 'Lunch at 12', at: '2026-11-28T11:00:00Z' } });
    assert.deepEqual(announcements, ['Lunch at 12']);
  });
});
