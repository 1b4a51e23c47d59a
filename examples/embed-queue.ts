/**
 * Embedding comfy-multi's queue and worker pool in your own program:
 * a SQLite queue, two simulated ComfyUI workers, three seats submitting jobs.
 *
 *   node examples/embed-queue.ts
 *
 * Replace the simulators with your real ComfyUI URLs (LocalProvider) to run real jobs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueue, createWorkerPool, InputStager, LocalProvider, OutputStore, SqliteQueueStore } from '../lib/index.ts';
import { startSimulator } from '../lib/simulator/index.ts';

const dir = await mkdtemp(join(tmpdir(), 'comfy-multi-example-'));
const workers = await Promise.all([startSimulator({ nodeMs: 20 }), startSimulator({ nodeMs: 20 })]);

const queue = await createQueue({
  store: new SqliteQueueStore({ path: join(dir, 'queue.db') }),
  settings: { policy: 'round_robin' },
});
const pool = await createWorkerPool({
  queue,
  provider: new LocalProvider({ workers: workers.map((w, i) => ({ id: `gpu${i}`, url: w.url })) }),
  outputs: new OutputStore({ root: join(dir, 'outputs') }),
  inputs: new InputStager({ root: join(dir, 'inputs') }),
});

pool.events.on('job.comfy', ({ job, type }) => {
  if (type === 'execution_start' || type === 'execution_success') console.log(`${job.seat}  ${type.padEnd(17)} ${job.id}`);
});
queue.events.on('job.finished', ({ job }) => {
  console.log(`${job.seat}  ${job.state.padEnd(17)} on ${job.worker}: ${job.outputs.map((o) => `${o.subfolder}/${o.filename}`).join(', ')}`);
});

const prompt = (color: number) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'example' } },
});

const ids: string[] = [];
for (const seat of ['alice', 'bob', 'carol']) {
  for (let i = 0; i < 2; i++) {
    const { job, snapshot } = await queue.submit({ seat, prompt: prompt(Math.floor(Math.random() * 0xffffff)) });
    const place = snapshot.queued.find((q) => q.id === job.id);
    console.log(`${seat}  queued at position ${place?.position ?? '-'}`);
    ids.push(job.id);
  }
}

// Wait until every job has finished, then shut down.
await new Promise<void>((resolve) => {
  const check = async () => {
    const jobs = await Promise.all(ids.map((id) => queue.get(id)));
    if (jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state))) resolve();
    else setTimeout(check, 50);
  };
  void check();
});
await pool.stop();
await queue.close();
await queue.store.close();
await Promise.all(workers.map((w) => w.close()));
await rm(dir, { recursive: true, force: true });
