import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OutputStore } from '../../lib/outputs/output-store.ts';
import { InputStager } from '../../lib/pool/input-stager.ts';
import type { PoolEvents } from '../../lib/pool/types.ts';
import { createWorkerPool } from '../../lib/pool/worker-pool.ts';
import type { InferenceProvider, RemoteJobRequest, RemoteJobResult } from '../../lib/providers/provider.ts';
import { createQueue } from '../../lib/queue.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { finished, until } from '../helpers/wait.ts';

/** A job-api provider in the shape of RunPod serverless: one request runs one whole prompt. */
function fakeServerless(run: (request: RemoteJobRequest, progress: (f: number) => void) => Promise<RemoteJobResult>): InferenceProvider & { requests: RemoteJobRequest[] } {
  const requests: RemoteJobRequest[] = [];
  return {
    name: 'fake-serverless',
    requests,
    listWorkers: async () => [{ id: 'endpoint1', url: 'https://serverless.invalid/v2/abc', transport: 'job-api' }],
    startWorkers: async () => [],
    stopWorker: async () => {},
    capacity: async () => ({ running: 1, max: 1 }),
    executeJob: async (request, hooks) => {
      requests.push(request);
      return run(request, hooks.progress);
    },
  };
}

describe('job-api workers (serverless providers)', () => {
  it('run jobs from our queue, with inputs sent along, outputs stored and ComfyUI-shaped events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm-remote-'));
    const store = new SqliteQueueStore({ path: join(dir, 'q.db') });
    const queue = await createQueue({ store });
    const inputs = new InputStager({ root: join(dir, 'inputs') });
    const outputs = new OutputStore({ root: join(dir, 'outputs') });
    await mkdir(join(dir, 'inputs', 'user01'), { recursive: true });
    await writeFile(join(dir, 'inputs', 'user01', 'me.png'), 'input-bytes');
    const provider = fakeServerless(async (request, progress) => {
      progress(0.5);
      return { status: 'success', files: [{ nodeId: '2', kind: 'images', filename: 'out_00001_.png', subfolder: '', type: 'output', data: new TextEncoder().encode(`made from ${request.inputs[0]?.name}`) }] };
    });
    const pool = await createWorkerPool({ queue, provider, inputs, outputs, validate: false });
    const events: PoolEvents['job.comfy'][] = [];
    pool.events.on('job.comfy', (e) => events.push(e));
    try {
      const { job } = await queue.submit({
        seat: 'user01',
        prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'me.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } } },
      });
      const done = await finished(queue, job.id);
      assert.equal(done.state, 'succeeded');
      assert.equal(provider.requests[0]!.prompt['1']!.inputs['image'], 'comfy-multi/user01/me.png');
      assert.equal(new TextDecoder().decode(provider.requests[0]!.inputs[0]!.data), 'input-bytes');
      const out = done.outputs[0]!;
      assert.equal(readFileSync(outputs.resolve('user01', out.subfolder, out.filename), 'utf8'), 'made from comfy-multi/user01/me.png');
      assert.deepEqual(events.map((e) => e.type), ['execution_start', 'progress', 'executed', 'execution_success']);
      assert.ok(events.every((e) => e.data['prompt_id'] === job.id));
    } finally {
      await pool.stop();
      await queue.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cancel aborts the provider request; a provider error fails the job with its message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm-remote-'));
    const store = new SqliteQueueStore({ path: join(dir, 'q.db') });
    const queue = await createQueue({ store });
    let calls = 0;
    const provider = fakeServerless(
      (request) =>
        new Promise((resolve) => {
          calls += 1;
          if (calls === 2) return resolve({ status: 'error', message: 'CUDA out of memory' });
          request.signal.addEventListener('abort', () => resolve({ status: 'cancelled' }));
        }),
    );
    const pool = await createWorkerPool({ queue, provider, inputs: new InputStager({ root: join(dir, 'i') }), outputs: new OutputStore({ root: join(dir, 'o') }), validate: false });
    try {
      const prompt = { '1': { class_type: 'EmptyImage', inputs: {} }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } } };
      const a = (await queue.submit({ seat: 'user01', prompt })).job;
      const b = (await queue.submit({ seat: 'user02', prompt })).job;
      await until(async () => (await queue.store.get(a.id))?.state === 'running', 2_000, 'a running');
      await queue.cancel(a.id);
      assert.equal((await finished(queue, a.id)).state, 'cancelled');
      const failed = await finished(queue, b.id);
      assert.equal(failed.state, 'failed');
      assert.equal(failed.error?.message, 'CUDA out of memory');
    } finally {
      await pool.stop();
      await queue.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
