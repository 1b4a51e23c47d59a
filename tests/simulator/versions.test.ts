/**
 * What differs between the two protocol generations the simulator speaks: 0.8.0 (recorded) and
 * 0.38.1 (newer cores, per COMFYUI_PROTOCOL.md).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { basicPrompt, connect, request, slowPrompt, submit, untilDone } from './helpers/client.ts';
import { jsonFrame } from './helpers/ws-recorder.ts';

describe('version 0.38.1', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ version: '0.38.1', nodeMs: 1 });
  });
  after(() => sim.close());

  test('a prompt_id that is not a canonical lowercase UUID is refused with invalid_prompt_id', async () => {
    for (const id of ['not-a-uuid', 12345, randomUUID().toUpperCase()]) {
      const reply = await request(sim, 'POST', '/prompt', { prompt: basicPrompt(1, 'v38'), prompt_id: id });
      assert.equal(reply.status, 400);
      assert.equal(
        reply.text,
        '{"error": {"type": "invalid_prompt_id", "message": "prompt_id must be a valid UUID", "details": "prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one", "extra_info": {}}, "node_errors": {}}',
      );
    }
  });

  test('reusing a prompt_id answers 409 and does not run again', async () => {
    const client = await connect(sim, 'v38-dup');
    const id = randomUUID();
    assert.equal(await submit(sim, basicPrompt(2, 'v38dup'), { prompt_id: id, client_id: 'v38-dup' }), id);
    await untilDone(client, id);
    const reply = await request(sim, 'POST', '/prompt', { prompt: basicPrompt(2, 'v38dup'), prompt_id: id });
    assert.equal(reply.status, 409);
    assert.equal(reply.text, '{"error": "prompt_id already exists"}');
    await client.close();
  });

  test('an unknown node type is missing_node_type with node id, class and title', async () => {
    const reply = await request(sim, 'POST', '/prompt', {
      prompt: { '1': { class_type: 'NoSuchNode', inputs: {}, _meta: { title: 'My Node' } }, '2': basicPrompt(1, 'x')['3'] },
    });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body['error'], {
      type: 'missing_node_type',
      message: "Node 'My Node' not found. The custom node may not be installed.",
      details: "Node ID '#1'",
      extra_info: { node_id: '1', class_type: 'NoSuchNode', node_title: 'My Node' },
    });
  });

  test('cancelling a running job interrupts it and the job reads "cancelled"', async () => {
    const client = await connect(sim, 'v38-cancel');
    const id = await submit(sim, slowPrompt(3, 'v38c', 50, 100), { client_id: 'v38-cancel' });
    await client.waitFor((f) => jsonFrame(f, 'progress') !== null);
    const reply = await request(sim, 'POST', `/api/jobs/${id}/cancel`);
    assert.deepEqual(reply.body, { cancelled: true });
    const frames = await untilDone(client, id);
    assert.ok(frames.some((f) => jsonFrame(f, 'execution_interrupted') !== null));
    const job = await request(sim, 'GET', `/api/jobs/${id}`);
    assert.equal(job.body['status'], 'cancelled');
    const again = await request(sim, 'POST', `/api/jobs/${id}/cancel`);
    assert.deepEqual(again.body, { cancelled: false });
    await client.close();
  });

  test('batch cancel dequeues pending jobs and validates ids', async () => {
    sim.faults.stall = true;
    const running = await submit(sim, slowPrompt(4, 'v38b', 2, 1));
    const pending = await submit(sim, basicPrompt(5, 'v38b'));
    const bad = await request(sim, 'POST', '/api/jobs/cancel', { job_ids: [pending, 'nope', 7] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { error: 'job_ids contains invalid id(s)', invalid_ids: ['nope', '7'] });
    const ok = await request(sim, 'POST', '/api/jobs/cancel', { job_ids: [pending] });
    assert.deepEqual(ok.body, { cancelled: true });
    const queue = await request(sim, 'GET', '/queue');
    assert.deepEqual(queue.body['queue_pending'], []);
    sim.faults.stall = false;
    await request(sim, 'POST', `/api/jobs/${running}/cancel`);
  });

  test('/features advertises the newer flags', async () => {
    const features = await request(sim, 'GET', '/features');
    assert.equal(features.body['node_replacements'], true);
    assert.equal(features.body['supports_model_type_tags'], true);
  });
});

describe('version 0.8.0', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ nodeMs: 1 });
  });
  after(() => sim.close());

  test('has no cancel endpoints', async () => {
    const reply = await fetch(`${sim.url}/api/jobs/${randomUUID()}/cancel`, { method: 'POST' });
    assert.equal(reply.status, 405);
    const batch = await fetch(`${sim.url}/api/jobs/cancel`, { method: 'POST', body: '{"job_ids": []}' });
    assert.equal(batch.status, 405);
  });

  test('an interrupted job reads "failed" and the unknown-node error is invalid_prompt', async () => {
    const client = await connect(sim, 'v08-int');
    const id = await submit(sim, slowPrompt(6, 'v08i', 50, 100), { client_id: 'v08-int' });
    await client.waitFor((f) => jsonFrame(f, 'progress') !== null);
    await request(sim, 'POST', '/interrupt', { prompt_id: id });
    await untilDone(client, id);
    assert.equal((await request(sim, 'GET', `/api/jobs/${id}`)).body['status'], 'failed');
    const reply = await request(sim, 'POST', '/prompt', { prompt: { '1': { class_type: 'NoSuchNode', inputs: {} } } });
    assert.equal((reply.body['error'] as Record<string, unknown>)['type'], 'invalid_prompt');
    await client.close();
  });
});
