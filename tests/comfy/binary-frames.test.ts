import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBinaryFrame,
  encodePreviewFrame,
  encodePreviewWithMetadataFrame,
  encodeTextFrame,
} from '../../lib/comfy/binary-frames.ts';
import { loadScenario, receivedFrames, scenarioNames } from './fixtures.ts';

const recordedBinaries = scenarioNames().flatMap((name) =>
  receivedFrames(loadScenario(name))
    .filter((frame) => frame.kind === 'binary')
    .map((frame) => ({ name, frame })),
);

describe('binary frames recorded from ComfyUI 0.8.0', () => {
  it('covers both preview layouts', () => {
    const types = new Set(recordedBinaries.map(({ frame }) => frame.recorded.event_type));
    assert.deepEqual([...types].sort(), [1, 4]);
  });

  for (const [index, { name, frame }] of recordedBinaries.entries()) {
    const { recorded, bytes } = frame;
    it(`${name} #${index}: type ${recorded.event_type} decodes to the recorded header and image`, () => {
      assert.equal(Buffer.from(bytes.subarray(0, 16)).toString('hex'), recorded.frame_head_hex.replaceAll(' ', ''));
      assert.equal(bytes.byteLength, recorded.frame_length);

      const decoded = decodeBinaryFrame(bytes);
      assert.equal(decoded.kind, 'preview');
      if (decoded.kind !== 'preview') return;
      assert.equal(decoded.eventType, recorded.event_type);
      assert.equal(decoded.imageType, recorded.payload_image.mime);
      assert.equal(decoded.image.byteLength, recorded.payload_length);
      const head = Buffer.from(recorded.payload_base64, 'base64');
      assert.deepEqual(Buffer.from(decoded.image.subarray(0, head.byteLength)), head);
      if (decoded.eventType === 4) assert.deepEqual({ ...decoded.metadata }, recorded.header.metadata);
    });
  }
});

describe('binary frame encoding', () => {
  const image = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

  it('type 1 round-trips JPEG and PNG', () => {
    for (const imageType of ['image/jpeg', 'image/png'] as const) {
      const decoded = decodeBinaryFrame(encodePreviewFrame(image, imageType));
      assert.equal(decoded.kind, 'preview');
      if (decoded.kind !== 'preview') return;
      assert.equal(decoded.eventType, 1);
      assert.equal(decoded.imageType, imageType);
      assert.deepEqual(decoded.image, image);
    }
  });

  it('type 4 round-trips metadata, also when given verbatim with Python spacing', () => {
    const metadata = {
      node_id: '5',
      prompt_id: '7e57c0de-1a2b-4c3d-8e4f-000000000007',
      display_node_id: '5',
      parent_node_id: null,
      real_node_id: '5',
      image_type: 'image/png',
    };
    const verbatim = JSON.stringify(metadata).replaceAll('":', '": ').replaceAll(',"', ', "');
    for (const frame of [encodePreviewWithMetadataFrame(metadata, image), encodePreviewWithMetadataFrame(metadata, image, verbatim)]) {
      const decoded = decodeBinaryFrame(frame);
      assert.equal(decoded.kind, 'preview');
      if (decoded.kind !== 'preview' || decoded.eventType !== 4) return assert.fail('expected a type-4 preview');
      assert.deepEqual({ ...decoded.metadata }, metadata);
      assert.equal(decoded.imageType, 'image/png');
      assert.deepEqual(decoded.image, image);
    }
  });

  it('type 3 carries node id and UTF-8 text', () => {
    const decoded = decodeBinaryFrame(encodeTextFrame('12:3', 'step 4/20 — ok ✓'));
    assert.deepEqual(decoded, { kind: 'text', eventType: 3, nodeId: '12:3', text: 'step 4/20 — ok ✓' });
  });

  it('reports malformed and unknown frames instead of throwing', () => {
    assert.equal(decodeBinaryFrame(new Uint8Array([0, 0, 0, 1])).kind, 'invalid');
    const overlong = new Uint8Array(12);
    new DataView(overlong.buffer).setUint32(0, 4);
    new DataView(overlong.buffer).setUint32(4, 999);
    assert.equal(decodeBinaryFrame(overlong).kind, 'invalid');
    const notJson = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 2, 0x7b, 0x7b]);
    assert.equal(decodeBinaryFrame(notJson).kind, 'invalid');
    const noIds = encodePreviewWithMetadataFrame({ node_id: '1', prompt_id: 'p', image_type: 'image/png' }, image, '{"node_id": "1"}');
    assert.equal(decodeBinaryFrame(noIds).kind, 'invalid');
    assert.deepEqual(decodeBinaryFrame(new Uint8Array([0, 0, 0, 2, 0, 0, 0, 0])), { kind: 'unknown', eventType: 2 });
  });
});
