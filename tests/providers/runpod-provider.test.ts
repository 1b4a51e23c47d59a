import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isQueueError } from '../../lib/errors.ts';
import { OutputStore } from '../../lib/outputs/output-store.ts';
import { InputStager } from '../../lib/pool/input-stager.ts';
import type { PoolEvents } from '../../lib/pool/types.ts';
import { createWorkerPool, type WorkerPool } from '../../lib/pool/worker-pool.ts';
import { RunpodProvider } from '../../lib/providers/runpod-provider.ts';
import { outputItems, workerInput } from '../../lib/providers/runpod-worker-io.ts';
import { createQueue, type Queue } from '../../lib/queue.ts';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { decodePng, encodePng } from '../../lib/simulator/png.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { makeJob } from '../helpers/job-factory.ts';
import { finished, imagePrompt, slowPrompt, until } from '../helpers/pool.ts';
import { type FakeRunpod, startFakeRunpod } from './fake-runpod.ts';

const KEY = 'rpa_test_key';
const ENV = { RUNPOD_API_KEY: KEY };
const POLL = { initialMs: 10, maxMs: 40 };

/** LoadImage → ImageInvert → SaveImage on a seat's uploaded photo. */
const INVERT_PHOTO = {
  '1': { class_type: 'LoadImage', inputs: { image: 'photo.png' } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inverted' } },
};

interface Rig {
  dir: string;
  queue: Queue;
  pool: WorkerPool;
  outputs: OutputStore;
  comfy: PoolEvents['job.comfy'][];
  close(): Promise<void>;
}

async function openRig(provider: RunpodProvider): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'cm-runpod-'));
  const store = new SqliteQueueStore({ path: join(dir, 'q.db') });
  const queue = await createQueue({ store });
  const outputs = new OutputStore({ root: join(dir, 'outputs') });
  const pool = await createWorkerPool({ queue, provider, outputs, inputs: new InputStager({ root: join(dir, 'inputs') }) });
  const comfy: PoolEvents['job.comfy'][] = [];
  pool.events.on('job.comfy', (event) => comfy.push(event));
  return {
    dir,
    queue,
    pool,
    outputs,
    comfy,
    async close() {
      await pool.stop();
      await queue.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('runpod provider (against a local fake of a RunPod endpoint running worker-comfyui)', () => {
  let sim: SimulatorHandle;
  let fake: FakeRunpod;

  before(async () => {
    sim = await startSimulator();
    fake = await startFakeRunpod({ apiKey: KEY, endpointId: 'ep123', comfyUrl: sim.url });
  });
  after(async () => {
    await fake.close();
    await sim.close();
  });

  const provider = (overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = ENV, api = fake.url) =>
    new RunpodProvider({ kind: 'runpod', endpoint_id: 'ep123', max_concurrent: 2, api_url: api, ...overrides }, { env, poll: POLL });

  it('lists one job-api slot per allowed concurrent job', async () => {
    assert.deepEqual(await provider({ max_concurrent: 3 }).listWorkers(), [
      { id: 'runpod-1', url: `${fake.url}/ep123`, transport: 'job-api' },
      { id: 'runpod-2', url: `${fake.url}/ep123`, transport: 'job-api' },
      { id: 'runpod-3', url: `${fake.url}/ep123`, transport: 'job-api' },
    ]);
    assert.deepEqual(await provider().capacity(), { running: 1, max: 2 });
  });

  it("runs a queued job on the endpoint: the seat's input image goes along, the base64 output lands in the seat's store", async () => {
    const rig = await openRig(provider());
    try {
      await mkdir(join(rig.dir, 'inputs', 'user01'), { recursive: true });
      await writeFile(join(rig.dir, 'inputs', 'user01', 'photo.png'), encodePng({ width: 2, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) }));
      fake.statuses.length = 0;
      const { job } = await rig.queue.submit({ seat: 'user01', prompt: INVERT_PHOTO });
      const done = await finished(rig.queue, job.id);
      assert.equal(done.state, 'succeeded', JSON.stringify(done.error));

      const run = fake.requests.find((r) => r.method === 'POST' && r.path === '/v2/ep123/run')!.body as { input: { workflow: typeof INVERT_PHOTO; images: { name: string; image: string }[] } };
      const [image] = run.input.images;
      assert.equal(image?.name, `cm-${job.id}-1-photo.png`);
      assert.equal(run.input.workflow['1'].inputs.image, image.name, 'the workflow points at the uploaded name');
      assert.deepEqual([...new Set(fake.statuses)], ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']);

      const out = done.outputs[0]!;
      assert.equal(out.node_id, '3');
      assert.equal(out.kind, 'images');
      const png = decodePng(readFileSync(rig.outputs.resolve('user01', out.subfolder, out.filename)));
      assert.deepEqual([...png.data], [245, 235, 225, 215, 205, 195], 'the inverted input image');
      const types = rig.comfy.filter((e) => e.data['prompt_id'] === job.id).map((e) => e.type);
      assert.equal(types[0], 'execution_start');
      assert.ok(types.includes('progress'));
      assert.deepEqual(types.slice(-2), ['executed', 'execution_success']);
    } finally {
      await rig.close();
    }
  });

  it('fetches outputs the worker put in a bucket (s3_url)', async () => {
    const bucketFake = await startFakeRunpod({ apiKey: KEY, endpointId: 'ep123', comfyUrl: sim.url, outputStyle: 's3_url' });
    try {
      const prompt = imagePrompt(0);
      const result = await provider({}, ENV, bucketFake.url).executeJob(
        { job: makeJob({ prompt }), prompt, inputs: [], signal: new AbortController().signal },
        { progress: () => {} },
      );
      assert.equal(result.status, 'success');
      assert.ok(result.status === 'success' && result.files.length === 1);
      assert.match(result.files[0]!.filename, /\.png$/);
      assert.equal(decodePng(result.files[0]!.data).width, 16);
      assert.equal(result.files[0]!.nodeId, '3', 'the prompt\'s only output node');
    } finally {
      await bucketFake.close();
    }
  });

  it("cancelling a running job sends RunPod's cancel, and the job ends cancelled", async () => {
    const rig = await openRig(provider());
    try {
      const { job } = await rig.queue.submit({ seat: 'user02', prompt: slowPrompt(10, 100, 100) });
      await until(() => [...fake.jobs.values()].some((j) => j.status === 'IN_PROGRESS' && j.promptId), 5_000, 'the job running at RunPod');
      const remote = [...fake.jobs.values()].find((j) => j.status === 'IN_PROGRESS')!;
      await rig.queue.cancel(job.id);
      assert.equal((await finished(rig.queue, job.id)).state, 'cancelled');
      assert.ok(fake.requests.some((r) => r.method === 'POST' && r.path === `/v2/ep123/cancel/${remote.id}`));
      assert.equal(remote.status, 'CANCELLED');
    } finally {
      await rig.close();
    }
  });

  it("a FAILED job fails ours with the worker's message", async () => {
    const rig = await openRig(provider());
    try {
      sim.faults.failNextPrompts = 1;
      const { job } = await rig.queue.submit({ seat: 'user03', prompt: imagePrompt(0) });
      const done = await finished(rig.queue, job.id);
      assert.equal(done.state, 'failed');
      assert.match(done.error?.message ?? '', /^runpod: the job failed: Workflow execution error: Node Type: SaveImage, Node ID: 3, Message: .+/);
    } finally {
      sim.faults.failNextPrompts = 0;
      await rig.close();
    }
  });

  it('rides out a few failed status polls; after too many it cancels at RunPod and gives the job back', async () => {
    const run = (job = makeJob({ prompt: imagePrompt(5) })) =>
      provider().executeJob({ job, prompt: job.prompt, inputs: [], signal: new AbortController().signal }, { progress: () => {} });
    fake.failStatusPolls = 2;
    assert.equal((await run()).status, 'success');
    fake.failStatusPolls = 5;
    await assert.rejects(run(), { code: 'worker_unavailable', message: /^runpod API answered GET \/status\/.+ with 503: upstream connect error$/ });
    const lost = [...fake.jobs.values()].at(-1)!;
    assert.ok(fake.requests.some((r) => r.path === `/v2/ep123/cancel/${lost.id}`));
  });

  it('missing key: an error naming the variable, and no request sent', () => {
    const before = fake.requests.length;
    assert.throws(() => provider({}, {}), (error: unknown) => isQueueError(error) && /^RUNPOD_API_KEY is not set: /.test(error.message));
    assert.throws(() => provider({ api_key_env: 'WORKSHOP_RUNPOD_KEY' }, ENV), /WORKSHOP_RUNPOD_KEY is not set/);
    assert.equal(fake.requests.length, before);
  });

  it('a rejected key fails the job with "unauthorized" naming the provider; other API errors carry RunPod\'s message', async () => {
    const wrong = provider({}, { RUNPOD_API_KEY: 'nope' });
    const prompt = { '1': { class_type: 'EmptyImage', inputs: {} } };
    const result = await wrong.executeJob({ job: makeJob({ prompt }), prompt, inputs: [], signal: new AbortController().signal }, { progress: () => {} });
    assert.equal(result.status, 'error');
    assert.match(result.status === 'error' ? result.message : '', /^runpod rejected the credentials \(RUNPOD_API_KEY\): unauthorized \(401\)/);
    await assert.rejects(wrong.capacity(), { code: 'unauthorized' });
    await assert.rejects(provider({ endpoint_id: 'nosuch' }).capacity(), { code: 'not_found', message: 'runpod API answered GET /health with 404: endpoint nosuch not found' });
  });
});

describe("worker-comfyui's input and output shapes", () => {
  it('gives every input a flat name unique to the job and points the workflow at it', () => {
    const prompt = { '1': { class_type: 'LoadImage', inputs: { image: 'comfy-multi/user01/a/photo.png' } }, '2': { class_type: 'LoadImageMask', inputs: { image: 'comfy-multi/user01/photo.png' } } };
    const input = workerInput(prompt, [{ name: 'comfy-multi/user01/a/photo.png', data: Uint8Array.from([1, 2]) }, { name: 'comfy-multi/user01/photo.png', data: Uint8Array.from([3]) }], 'j1');
    assert.deepEqual(input.images, [
      { name: 'cm-j1-1-photo.png', image: 'AQI=' },
      { name: 'cm-j1-2-photo.png', image: 'Aw==' },
    ]);
    assert.equal(input.workflow['1']!.inputs['image'], 'cm-j1-1-photo.png');
    assert.equal(input.workflow['2']!.inputs['image'], 'cm-j1-2-photo.png');
    assert.equal(prompt['1'].inputs.image, 'comfy-multi/user01/a/photo.png', 'the staged prompt is not changed');
  });

  it("reads the 5.x list, the older 'message' forms, and the worker's errors", () => {
    assert.deepEqual(outputItems({ images: [{ filename: 'a/ComfyUI_00001_.png', type: 'base64', data: 'AQ==' }], errors: ['warning'] }), {
      items: [{ nodeId: null, kind: 'images', filename: 'ComfyUI_00001_.png', subfolder: '', encoding: 'base64', data: 'AQ==' }],
    });
    assert.deepEqual(outputItems({ message: 'data:image/png;base64,AQ==', status: 'success' }), {
      items: [{ nodeId: null, kind: 'images', filename: null, subfolder: '', encoding: 'base64', data: 'data:image/png;base64,AQ==' }],
    });
    assert.deepEqual(outputItems({ status: 'success', message: [{ node_id: '9', imageType: 'url', image: 'https://bucket/x.png' }] }), {
      items: [{ nodeId: '9', kind: 'images', filename: null, subfolder: '', encoding: 'url', data: 'https://bucket/x.png' }],
    });
    assert.deepEqual(outputItems({ status: 'success_no_images', images: [] }), { items: [] });
    assert.deepEqual(outputItems({ images: [], errors: ['Failed to fetch image data for x.png'] }), { error: 'Failed to fetch image data for x.png' });
    assert.deepEqual(outputItems({ status: 'error', message: 'No images were successfully generated or found' }), { error: 'No images were successfully generated or found' });
  });
});
