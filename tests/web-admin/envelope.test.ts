import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvelope, parsePreviewFrame, previewMime } from '../../web-admin/src/envelope.ts';
import { previewFrame as frame } from '../helpers/wire.ts';
import { job, queueOf } from './fixtures.ts';

describe('event envelopes', () => {
  it('accepts every documented envelope type', () => {
    const j = job();
    const texts = [
      { v: 1, seq: 1, type: 'hello', stream: 's1', role: 'admin', resumed: false },
      { v: 1, seq: 2, type: 'snapshot', jobs: [j], queue: queueOf([j]), announcements: [] },
      { v: 1, seq: 3, type: 'comfy', job_id: j.id, event: 'progress', data: { value: 1, max: 4, prompt_id: j.id } },
      { v: 1, seq: 4, type: 'job', job: j },
      { v: 1, seq: 5, type: 'queue', queue: queueOf([j]) },
      { v: 1, seq: 6, type: 'announcement', announcement: { id: 'a1', text: 'break', at: '2026-11-28T10:00:00Z' } },
      { v: 1, seq: 7, type: 'worker', worker: { id: 'w1', state: 'busy' } },
    ];
    assert.deepEqual(
      texts.map((t) => parseEnvelope(JSON.stringify(t))?.type),
      ['hello', 'snapshot', 'comfy', 'job', 'queue', 'announcement', 'worker'],
    );
  });

  it('drops what this panel cannot trust: other versions, unknown types, missing fields, non-JSON', () => {
    const bad = [
      'not json',
      JSON.stringify([1, 2]),
      JSON.stringify({ v: 2, seq: 1, type: 'hello', stream: 's', role: 'admin' }),
      JSON.stringify({ v: 1, type: 'hello', stream: 's', role: 'admin' }),
      JSON.stringify({ v: 1, seq: 1, type: 'teleport' }),
      JSON.stringify({ v: 1, seq: 1, type: 'job', job: { id: 'x' } }),
      JSON.stringify({ v: 1, seq: 1, type: 'queue', queue: { entries: 'many' } }),
      JSON.stringify({ v: 1, seq: 1, type: 'comfy', job_id: 'x', event: 'progress', data: null }),
      JSON.stringify({ v: 1, seq: 1, type: 'toString' }),
    ];
    for (const text of bad) assert.equal(parseEnvelope(text), null, text);
  });

  it('fills optional fields so the reducer never meets undefined', () => {
    const snap = parseEnvelope(JSON.stringify({ v: 1, seq: 3, type: 'snapshot', jobs: [], queue: queueOf([]) }));
    assert.ok(snap?.type === 'snapshot');
    assert.deepEqual(snap.announcements, []);
    const hello = parseEnvelope(JSON.stringify({ v: 1, seq: 3, type: 'hello', stream: 's', role: 'admin' }));
    assert.ok(hello?.type === 'hello');
    assert.equal(hello.resumed, false);
  });

  it('reads a binary preview frame: header, MIME type and the image bytes', () => {
    const parsed = parsePreviewFrame(frame({ v: 1, type: 'preview', job_id: 'j1', node_id: '3', image_type: 'image/png' }, [0x89, 0x50, 0x4e, 0x47]));
    assert.ok(parsed);
    assert.equal(parsed.header.job_id, 'j1');
    assert.equal(parsed.header.node_id, '3');
    assert.equal(parsed.mime, 'image/png');
    assert.deepEqual([...parsed.bytes], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('rejects truncated or foreign binary frames', () => {
    assert.equal(parsePreviewFrame(new ArrayBuffer(2)), null);
    const truncated = frame({ v: 1, type: 'preview', job_id: 'j1' }, []).slice(0, 10);
    assert.equal(parsePreviewFrame(truncated), null);
    assert.equal(parsePreviewFrame(frame({ v: 1, type: 'text', job_id: 'j1' }, [1])), null);
    assert.equal(parsePreviewFrame(frame({ v: 1, type: 'preview' }, [1])), null);
  });

  it('names preview formats as MIME types whichever way ComfyUI spelled them', () => {
    assert.equal(previewMime('image/jpeg'), 'image/jpeg');
    assert.equal(previewMime('PNG'), 'image/png');
    assert.equal(previewMime('JPEG'), 'image/jpeg');
    assert.equal(previewMime(null), 'image/jpeg');
  });
});
