/**
 * An inference provider of your own. This one finds ComfyUI workers from a
 * comma-separated environment variable (COMFY_WORKERS=http://gpu-a:8188,http://gpu-b:8188);
 * the pool then drives them over ComfyUI's own protocol. With no variable set it
 * starts two simulated workers so the example runs anywhere.
 *
 *   node examples/custom-provider.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueue, createWorkerPool, type InferenceProvider, InputStager, OutputStore, SqliteQueueStore, type WorkerEndpoint } from '../lib/index.ts';
import { startSimulator } from '../lib/simulator/index.ts';

class EnvListProvider implements InferenceProvider {
  readonly name = 'env-list';
  readonly #urls: string[];
  constructor(urls: string[]) {
    this.#urls = urls;
  }
  async listWorkers(): Promise<WorkerEndpoint[]> {
    return this.#urls.map((url, i) => ({ id: `env${i}`, url, transport: 'comfyui' }));
  }
  async startWorkers(): Promise<WorkerEndpoint[]> {
    return this.listWorkers(); // these machines are started elsewhere
  }
  async stopWorker(): Promise<void> {}
  async capacity() {
    return { running: this.#urls.length, max: this.#urls.length };
  }
}

const sims = process.env['COMFY_WORKERS'] ? [] : await Promise.all([startSimulator({}), startSimulator({})]);
const urls = process.env['COMFY_WORKERS']?.split(',') ?? sims.map((s) => s.url);

const dir = await mkdtemp(join(tmpdir(), 'comfy-multi-provider-'));
const store = new SqliteQueueStore({ path: join(dir, 'queue.db') });
const queue = await createQueue({ store });
const pool = await createWorkerPool({
  queue,
  provider: new EnvListProvider(urls),
  outputs: new OutputStore({ root: join(dir, 'outputs') }),
  inputs: new InputStager({ root: join(dir, 'inputs') }),
});

const { job } = await queue.submit({
  seat: 'demo',
  prompt: {
    '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color: 0x2266aa } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'provider' } },
  },
});
const done = await new Promise<import('../lib/index.ts').Job>((resolve) => {
  const off = queue.events.on('job.finished', ({ job: finished }) => {
    if (finished.id !== job.id) return;
    off();
    resolve(finished);
  });
});
console.log(`${done.state} on ${done.worker}: ${done.outputs.map((o) => o.filename).join(', ')}`);

await pool.stop();
await queue.close();
await store.close();
await Promise.all(sims.map((s) => s.close()));
await rm(dir, { recursive: true, force: true });
