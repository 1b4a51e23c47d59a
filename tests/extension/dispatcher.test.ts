import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ComfyEnvelope } from '../../extension/src/contract.ts';
import { comfyToApiEvents, previewToApiEvents, terminalEventFor } from '../../extension/src/dispatcher.ts';
import { wireJob } from '../helpers/wire.ts';

const JOB = '11111111-2222-4333-8444-555555555555';
const comfy = (event: string, data: Record<string, unknown>): ComfyEnvelope => ({ v: 1, seq: 1, type: 'comfy', job_id: JOB, event, data });

describe('ComfyUI events into the frontend api', () => {
  it('passes execution events through with their data unchanged', () => {
    const payloads: [string, Record<string, unknown>][] = [
      ['execution_start', { prompt_id: JOB, timestamp: 1 }],
      ['execution_cached', { nodes: ['4', '5'], prompt_id: JOB, timestamp: 2 }],
      ['progress', { value: 3, max: 20, prompt_id: JOB, node: '3' }],
      ['progress_state', { prompt_id: JOB, nodes: { '3': { value: 3, max: 20, state: 'running', node_id: '3', display_node_id: '3' } } }],
      ['executed', { node: '9', display_node: '9', output: { images: [{ filename: 'a.png', subfolder: `${JOB}/w1`, type: 'output' }] }, prompt_id: JOB }],
      ['execution_success', { prompt_id: JOB, timestamp: 3 }],
      ['execution_error', { prompt_id: JOB, node_id: '3', node_type: 'KSampler', exception_message: 'boom', traceback: [] }],
      ['execution_interrupted', { prompt_id: JOB, node_id: '3', node_type: 'KSampler', executed: [] }],
    ];
    for (const [event, data] of payloads) assert.deepEqual(comfyToApiEvents(comfy(event, data)), [{ type: event, detail: data }]);
  });

  it('gives executing the bare display node id and keeps the raw message for lastExecutingMessage', () => {
    const data = { node: '83:3', display_node: '83', prompt_id: JOB };
    assert.deepEqual(comfyToApiEvents(comfy('executing', data)), [{ type: 'executing', detail: '83', executingMessage: data }]);
    assert.equal(comfyToApiEvents(comfy('executing', { node: '5', prompt_id: JOB }))[0]?.detail, '5');
    assert.equal(comfyToApiEvents(comfy('executing', { node: null, prompt_id: JOB }))[0]?.detail, null);
  });

  it('stamps the job id on payloads that lack a prompt_id', () => {
    assert.deepEqual(comfyToApiEvents(comfy('execution_start', { timestamp: 5 }))[0]?.detail, { timestamp: 5, prompt_id: JOB });
  });

  it('never relays status or events it does not know', () => {
    assert.deepEqual(comfyToApiEvents(comfy('status', { status: { exec_info: { queue_remaining: 0 } }, sid: 'x' })), []);
    assert.deepEqual(comfyToApiEvents(comfy('feature_flags', {})), []);
  });

  it('turns a preview into b_preview_with_metadata and the legacy b_preview with the same image', async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const events = previewToApiEvents({
      jobId: JOB,
      nodeId: '83:3',
      displayNodeId: '83:3',
      parentNodeId: '83',
      realNodeId: '3',
      mime: 'image/png',
      bytes,
    });
    assert.deepEqual(
      events.map((event) => event.type),
      ['b_preview_with_metadata', 'b_preview'],
    );
    const { blob, ...meta } = events[0]!.detail as { blob: Blob } & Record<string, unknown>;
    assert.deepEqual(meta, { nodeId: '83:3', displayNodeId: '83:3', parentNodeId: '83', realNodeId: '3', jobId: JOB, promptId: JOB });
    assert.equal(blob.type, 'image/png');
    assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [...bytes]);
    assert.equal(events[1]!.detail, blob);
  });
});

describe('terminal events for jobs that ended without one', () => {
  it('maps each final state to the event that ends the native run', () => {
    assert.equal(terminalEventFor(wireJob({ id: JOB, state: 'succeeded' }), 7)?.type, 'execution_success');
    assert.equal(terminalEventFor(wireJob({ id: JOB, state: 'cancelled' }), 7)?.type, 'execution_interrupted');
    const failed = terminalEventFor(wireJob({ id: JOB, state: 'failed', error: { code: 'worker_lost', message: 'The worker went away 3 times' } }), 7);
    assert.equal(failed?.type, 'execution_error');
    assert.deepEqual(
      { ...(failed?.detail as Record<string, unknown>) },
      {
        prompt_id: JOB,
        timestamp: 7,
        node_id: '',
        node_type: '',
        executed: [],
        exception_type: 'worker_lost',
        exception_message: 'The worker went away 3 times',
        traceback: [],
        current_inputs: {},
        current_outputs: {},
      },
    );
  });

  it('has nothing to say about unfinished jobs', () => {
    assert.equal(terminalEventFor(wireJob({ state: 'running' })), null);
    assert.equal(terminalEventFor(wireJob({ state: 'queued' })), null);
  });
});
