import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { OutputFile } from '../../extension/src/contract.ts';
import { jobsApiStatus, outputsMap, toJobDetail, toJobListItem, toLegacyHistory, toLegacyQueue } from '../../extension/src/queue-shapes.ts';
import { wireJob } from '../helpers/wire.ts';

/**
 * The frontend's own zod schemas for /api/jobs items and details, copied from
 * @comfyorg/comfyui-frontend-types 1.45.6 (zRawJobListItem, zJobDetail): the queue
 * store rejects items that do not parse, so ours must.
 */
const zResult = z.looseObject({
  filename: z.string().optional(),
  subfolder: z.string().optional(),
  type: z.enum(['input', 'output', 'temp']).optional(),
});
const zPreviewOutput = zResult.extend({ nodeId: z.string(), mediaType: z.string(), display_name: z.string().optional() });
const zExecutionError = z.looseObject({
  prompt_id: z.string().optional(),
  timestamp: z.number().optional(),
  node_id: z.string(),
  node_type: z.string(),
  executed: z.array(z.string()).optional(),
  exception_message: z.string(),
  exception_type: z.string(),
  traceback: z.array(z.string()),
  current_inputs: z.unknown(),
  current_outputs: z.unknown(),
});
const zJobListItem = z.looseObject({
  id: z.string(),
  status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled']),
  create_time: z.number(),
  execution_start_time: z.number().nullable().optional(),
  execution_end_time: z.number().nullable().optional(),
  preview_output: zPreviewOutput.nullable().optional(),
  outputs_count: z.number().nullable().optional(),
  execution_error: zExecutionError.nullable().optional(),
  workflow_id: z.string().nullable().optional(),
  priority: z.number(),
});
const zJobDetail = zJobListItem.extend({
  workflow: z.unknown().optional(),
  outputs: z.record(z.string(), z.record(z.string(), z.array(zResult))).optional(),
});

const JOB = '0b6f2a9e-1c3d-4e5f-8a7b-9c0d1e2f3a4b';
const file = (name: string, node = '9', kind = 'images'): OutputFile => ({
  node_id: node,
  kind,
  filename: name,
  subfolder: `${JOB}/worker-1`,
  type: 'output',
  url: `/api/v1/jobs/${JOB}/outputs/${JOB}/worker-1/${name}`,
});

describe('jobs-API shapes (frontends ≥ 1.38.3)', () => {
  it('maps every job state to a jobs-API status', () => {
    assert.deepEqual(
      (['queued', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled'] as const).map(jobsApiStatus),
      ['pending', 'in_progress', 'in_progress', 'completed', 'failed', 'cancelled'],
    );
  });

  it('produces list items the frontend schema accepts, in every state', () => {
    for (const state of ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const) {
      const job = wireJob({
        id: JOB,
        state,
        started_at: state === 'queued' ? null : '2026-11-28T10:00:05.000Z',
        finished_at: ['succeeded', 'failed', 'cancelled'].includes(state) ? '2026-11-28T10:00:35.000Z' : null,
        error: state === 'failed' ? { code: 'execution_error', message: 'CUDA out of memory' } : null,
        outputs: state === 'succeeded' ? [file('a.png'), file('b.png')] : [],
      });
      const parsed = zJobListItem.safeParse(toJobListItem(job));
      assert.ok(parsed.success, `${state}: ${parsed.error?.message}`);
    }
  });

  it('carries times in ms, the output count and a preview of the first image', () => {
    const item = toJobListItem(
      wireJob({
        id: JOB,
        state: 'succeeded',
        queued_at: '2026-11-28T10:00:00.000Z',
        started_at: '2026-11-28T10:00:05.000Z',
        finished_at: '2026-11-28T10:00:35.000Z',
        outputs: [file('clip.mp4', '61', 'video'), file('a.png')],
      }),
    );
    assert.equal(item['create_time'], Date.UTC(2026, 10, 28, 10, 0, 0));
    assert.equal(item['execution_start_time'], Date.UTC(2026, 10, 28, 10, 0, 5));
    assert.equal(item['execution_end_time'], Date.UTC(2026, 10, 28, 10, 0, 35));
    assert.equal(item['outputs_count'], 2);
    assert.deepEqual(item['preview_output'], { filename: 'a.png', subfolder: `${JOB}/worker-1`, type: 'output', nodeId: '9', mediaType: 'images' });
  });

  it('keeps ComfyUI execution_error details when the worker reported them', () => {
    const details = {
      prompt_id: JOB,
      node_id: '3',
      node_type: 'KSampler',
      exception_message: 'boom',
      exception_type: 'RuntimeError',
      traceback: ['line 1'],
      current_inputs: {},
      current_outputs: {},
    };
    const item = toJobListItem(wireJob({ id: JOB, state: 'failed', error: { code: 'execution_error', message: 'boom', details } }));
    assert.deepEqual(item['execution_error'], details);
  });

  it('gives job details the outputs map and the workflow where the frontend looks for it', () => {
    const workflow = { id: 'wf-1', nodes: [] };
    const detail = toJobDetail({ ...wireJob({ id: JOB, state: 'succeeded', outputs: [file('a.png')] }), prompt: { '9': { class_type: 'SaveImage', inputs: {} } }, workflow });
    assert.ok(zJobDetail.safeParse(detail).success);
    assert.deepEqual(detail['outputs'], { '9': { images: [{ filename: 'a.png', subfolder: `${JOB}/worker-1`, type: 'output' }] } });
    const wrapped = detail['workflow'] as { prompt: unknown; extra_data: { extra_pnginfo: { workflow: unknown } } };
    assert.deepEqual(wrapped.prompt, { '9': { class_type: 'SaveImage', inputs: {} } });
    assert.equal(wrapped.extra_data.extra_pnginfo.workflow, workflow);
  });
});

describe('legacy queue/history shapes (frontends < 1.38.3)', () => {
  it('splits running and pending task items with the prompt tuple', () => {
    const cancelled: string[] = [];
    const running = wireJob({ state: 'running' });
    const queued = wireJob({ state: 'queued' });
    const done = wireJob({ state: 'succeeded' });
    const queue = toLegacyQueue([running, queued, done], (id) => cancelled.push(id));
    assert.equal(queue.Running.length, 1);
    assert.equal(queue.Pending.length, 1);
    const [task] = queue.Running;
    assert.equal(task!['taskType'], 'Running');
    const prompt = task!['prompt'] as unknown[];
    assert.equal(prompt.length, 5);
    assert.equal(prompt[1], running.id);
    (task!['remove'] as { cb: () => void }).cb();
    assert.deepEqual(cancelled, [running.id]);
    assert.equal((queue.Pending[0]!['prompt'] as unknown[])[1], queued.id);
  });

  it('reports history with status, outputs and the messages the old panel times runs with', () => {
    const job = wireJob({
      state: 'succeeded',
      started_at: '2026-11-28T10:00:05.000Z',
      finished_at: '2026-11-28T10:00:35.000Z',
      outputs: [file('a.png')],
    });
    const failed = wireJob({ state: 'failed', error: { code: 'x', message: 'y' } });
    const { History } = toLegacyHistory([job, failed]);
    assert.equal(History.length, 2);
    assert.deepEqual(History[0]!['status'], {
      status_str: 'success',
      completed: true,
      messages: [
        ['execution_start', { prompt_id: job.id, timestamp: Date.UTC(2026, 10, 28, 10, 0, 5) }],
        ['execution_success', { prompt_id: job.id, timestamp: Date.UTC(2026, 10, 28, 10, 0, 35) }],
      ],
    });
    assert.deepEqual(History[0]!['outputs'], outputsMap(job.outputs));
    assert.equal((History[1]!['status'] as { status_str: string }).status_str, 'error');
  });

  it('groups outputs by node and kind', () => {
    assert.deepEqual(outputsMap([file('a.png'), file('b.png'), file('c.mp4', '61', 'video')]), {
      '9': { images: [0, 1].map((i) => ({ filename: ['a.png', 'b.png'][i]!, subfolder: `${JOB}/worker-1`, type: 'output' })) },
      '61': { video: [{ filename: 'c.mp4', subfolder: `${JOB}/worker-1`, type: 'output' }] },
    });
  });
});
