import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, parseEnvelope, parsePreviewFrame, previewMime } from '../../extension/src/envelope.ts';
import { previewFrame, wireJob, wireQueue } from '../helpers/wire.ts';

describe('event envelopes', () => {
  it('accepts every envelope type a seat receives', () => {
    const job = wireJob();
    const frames = [
      { v: 1, seq: 1, type: 'hello', stream: 's1', role: 'seat', seat: 'user01', resumed: false },
      { v: 1, seq: 1, type: 'snapshot', jobs: [job], queue: wireQueue(), announcements: [] },
      { v: 1, seq: 2, type: 'comfy', job_id: job.id, event: 'progress', data: { value: 1, max: 4, prompt_id: job.id } },
      { v: 1, seq: 3, type: 'job', job },
      { v: 1, seq: 4, type: 'queue', queue: wireQueue({ depth: 2 }) },
      { v: 1, seq: 5, type: 'announcement', announcement: { id: 'a1', text: 'Break in 5 minutes', at: '2026-11-28T10:00:00Z' } },
    ];
    for (const frame of frames) assert.equal(parseEnvelope(JSON.stringify(frame))?.type, frame.type);
  });

  it('drops what it cannot trust instead of throwing', () => {
    const bad = [
      'not json',
      JSON.stringify({ v: 2, seq: 1, type: 'hello', stream: 's' }),
      JSON.stringify({ v: 1, type: 'hello', stream: 's' }),
      JSON.stringify({ v: 1, seq: 1, type: 'worker', worker: { id: 'w1' } }),
      JSON.stringify({ v: 1, seq: 1, type: 'job', job: { id: 'x' } }),
      JSON.stringify({ v: 1, seq: 1, type: 'comfy', job_id: 'x', event: 'progress', data: 'oops' }),
      JSON.stringify({ v: 1, seq: 1, type: 'snapshot', jobs: [{ nope: true }] }),
      JSON.stringify([1, 2, 3]),
    ];
    for (const text of bad) assert.equal(parseEnvelope(text), null, text);
  });

  it('fills the optional parts of hello and snapshot', () => {
    const hello = parseEnvelope(JSON.stringify({ v: 1, seq: 3, type: 'hello', stream: 's', role: 'seat' }));
    assert.equal(hello?.type === 'hello' && hello.resumed, false);
    const snapshot = parseEnvelope(JSON.stringify({ v: 1, seq: 3, type: 'snapshot', jobs: [] }));
    assert.deepEqual(snapshot?.type === 'snapshot' && [snapshot.queue, snapshot.announcements], [null, []]);
  });
});

describe('preview frames', () => {
  it('splits header and image bytes', () => {
    const image = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const frame = parsePreviewFrame(
      previewFrame(
        { v: 1, type: 'preview', job_id: 'j1', node_id: '83:3', display_node_id: '83:3', parent_node_id: '83', real_node_id: '3', image_type: 'image/jpeg' },
        image,
      ),
    );
    assert.ok(frame);
    assert.deepEqual([...frame.bytes], [...image]);
    assert.deepEqual(
      { jobId: frame.jobId, nodeId: frame.nodeId, displayNodeId: frame.displayNodeId, parentNodeId: frame.parentNodeId, realNodeId: frame.realNodeId, mime: frame.mime },
      { jobId: 'j1', nodeId: '83:3', displayNodeId: '83:3', parentNodeId: '83', realNodeId: '3', mime: 'image/jpeg' },
    );
  });

  it('falls back to the node id when the display ids are missing', () => {
    const frame = parsePreviewFrame(previewFrame({ v: 1, type: 'preview', job_id: 'j1', node_id: '3', image_type: 'PNG' }, new Uint8Array([1])));
    assert.equal(frame?.displayNodeId, '3');
    assert.equal(frame?.realNodeId, '3');
    assert.equal(frame?.parentNodeId, null);
    assert.equal(frame?.mime, 'image/png');
  });

  it('rejects truncated and foreign frames', () => {
    const good = previewFrame({ v: 1, type: 'preview', job_id: 'j1' }, new Uint8Array([1, 2]));
    assert.equal(parsePreviewFrame(new ArrayBuffer(3)), null);
    assert.equal(parsePreviewFrame(good.slice(0, 10)), null);
    assert.equal(parsePreviewFrame(previewFrame({ v: 1, type: 'other', job_id: 'j1' }, new Uint8Array(1))), null);
    assert.equal(parsePreviewFrame(previewFrame({ v: 1, type: 'preview' }, new Uint8Array(1))), null);
  });

  it('names image formats as MIME types', () => {
    assert.equal(previewMime('JPEG'), 'image/jpeg');
    assert.equal(previewMime('webp'), 'image/webp');
    assert.equal(previewMime(undefined), 'image/jpeg');
    assert.equal(previewMime('image/PNG'), 'image/png');
  });
});

describe('runtime config', () => {
  it('accepts the gateway config and trims a trailing slash', () => {
    assert.deepEqual(parseConfig({ api_base: '/api/v1/', events_url: '/api/v1/events', seat: 'user01', name: 'Ada', version: 1 }), {
      api_base: '/api/v1',
      events_url: '/api/v1/events',
      seat: 'user01',
      name: 'Ada',
      version: 1,
    });
  });

  it('refuses configs it cannot use', () => {
    assert.equal(parseConfig(null), null);
    assert.equal(parseConfig({ api_base: '/api/v1', events_url: '/api/v1/events', seat: 'user01', version: 2 }), null);
    assert.equal(parseConfig({ api_base: 'http://elsewhere/api', events_url: '/e', seat: 'user01', version: 1 }), null);
    assert.equal(parseConfig({ api_base: '/api/v1', events_url: '/e', seat: '', version: 1 }), null);
  });
});
