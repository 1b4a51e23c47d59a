/**
 * Fault injection: what a worker pool sees when a ComfyUI worker fails, hangs, refuses work or dies.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSimulator } from '../../lib/simulator/index.ts';
import { basicPrompt, connect, request, slowPrompt, submit, types, untilDone } from './helpers/client.ts';
import { jsonFrame } from './helpers/ws-recorder.ts';

test('failNextPrompts: the next N prompts end in execution_error, later ones succeed', async () => {
  const sim = await startSimulator({ nodeMs: 1 });
  try {
    const client = await connect(sim, 'f-fail');
    sim.faults.failNextPrompts = 2;
    const results: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await submit(sim, basicPrompt(10 + i, 'fail'), { client_id: 'f-fail' });
      const frames = await untilDone(client, id);
      results.push(frames.some((f) => jsonFrame(f, 'execution_error') !== null) ? 'error' : 'success');
    }
    assert.deepEqual(results, ['error', 'error', 'success']);
    assert.equal(sim.faults.failNextPrompts, 0);
    const errorFrame = client.frames.map((f) => jsonFrame(f, 'execution_error')).find((d) => d !== null);
    assert.equal(errorFrame?.['node_type'], 'SaveImage');
    assert.equal(errorFrame?.['exception_type'], 'RuntimeError');
    const jobs = await request(sim, 'GET', '/api/jobs?status=failed');
    assert.equal((jobs.body['jobs'] as unknown[]).length, 2);
    await client.close();
  } finally {
    await sim.close();
  }
});

test('stall freezes the running prompt (no frames) until cleared; the HTTP API keeps answering', async () => {
  const sim = await startSimulator({ nodeMs: 1 });
  try {
    const client = await connect(sim, 'f-stall');
    sim.faults.stall = true;
    const id = await submit(sim, slowPrompt(20, 'stall', 3, 10), { client_id: 'f-stall' });
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      types(client.frames.filter((f) => jsonFrame(f, 'status') === null)),
      ['feature_flags'],
      'nothing but the handshake while stalled',
    );
    const queue = await request(sim, 'GET', '/queue');
    assert.equal((queue.body['queue_running'] as unknown[]).length, 1);
    sim.faults.stall = false;
    const frames = await untilDone(client, id);
    assert.ok(frames.some((f) => jsonFrame(f, 'execution_success') !== null));
    await client.close();
  } finally {
    await sim.close();
  }
});

test('rejectSubmits makes POST /prompt answer 500 like a broken server', async () => {
  const sim = await startSimulator();
  try {
    sim.faults.rejectSubmits = true;
    const reply = await request(sim, 'POST', '/prompt', { prompt: basicPrompt(1, 'x') });
    assert.equal(reply.status, 500);
    assert.equal(reply.text, '500 Internal Server Error\n\nServer got itself in trouble');
    sim.faults.rejectSubmits = false;
    assert.equal((await request(sim, 'POST', '/prompt', { prompt: basicPrompt(1, 'x') })).status, 200);
  } finally {
    await sim.close();
  }
});

test('crash drops sockets and the port at once; restart comes back empty on the same port with files kept', async () => {
  const sim = await startSimulator({ nodeMs: 1 });
  try {
    const client = await connect(sim, 'f-crash');
    const done = await submit(sim, basicPrompt(30, 'crash'), { client_id: 'f-crash' });
    await untilDone(client, done);
    const running = await submit(sim, slowPrompt(31, 'crash', 100, 50), { client_id: 'f-crash' });
    await client.waitFor((f) => jsonFrame(f, 'progress')?.['prompt_id'] === running);
    const port = sim.port;
    await sim.crash();
    await assert.rejects(fetch(`${sim.url}/prompt`), 'nothing listens after a crash');
    assert.equal(await client.whenClosed(), 1006, 'the socket is cut, not closed politely');
    const framesAtCrash = client.frames.length;
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(client.frames.length, framesAtCrash, 'the dead worker sends nothing more');

    await sim.restart();
    assert.equal(sim.port, port);
    assert.deepEqual((await request(sim, 'GET', '/history')).body, {});
    assert.deepEqual((await request(sim, 'GET', '/queue')).body, { queue_running: [], queue_pending: [] });
    assert.ok(existsSync(join(sim.dataDir, 'output', 'crash_00001_.png')), 'outputs on disk survive');
    const client2 = await connect(sim, 'f-crash');
    const id = await submit(sim, basicPrompt(32, 'crash'), { client_id: 'f-crash' });
    const frames = await untilDone(client2, id);
    const executed = frames.map((f) => jsonFrame(f, 'executed')).find((d) => d !== null);
    assert.deepEqual(executed?.['output'], { images: [{ filename: 'crash_00002_.png', subfolder: '', type: 'output' }] });
    assert.ok(sim.stats.promptsExecuted >= 2);
    await client2.close();
  } finally {
    await sim.close();
  }
});

test('stats count executed prompts and interrupts', async () => {
  const sim = await startSimulator({ nodeMs: 1 });
  try {
    const client = await connect(sim, 'f-stats');
    const id = await submit(sim, slowPrompt(40, 'stats', 50, 50), { client_id: 'f-stats' });
    await client.waitFor((f) => jsonFrame(f, 'progress') !== null);
    await request(sim, 'POST', '/interrupt', { prompt_id: 'not-running' });
    assert.equal(sim.stats.interrupts, 0, 'an interrupt for another prompt is a no-op');
    await request(sim, 'POST', '/interrupt', { prompt_id: id });
    await untilDone(client, id);
    assert.deepEqual(sim.stats, { promptsExecuted: 1, interrupts: 1 });
    await client.close();
  } finally {
    await sim.close();
  }
});
