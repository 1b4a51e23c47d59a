import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ApiClient, CmApiError, type SubmitBody } from '../../extension/src/api-client.ts';
import type { Job, JobState, QueueView } from '../../extension/src/contract.ts';
import { createPanelOverrides, HiddenHistory } from '../../extension/src/queue-panels.ts';
import { SeatState } from '../../extension/src/seat-state.ts';
import { createQueuePrompt, submitBody } from '../../extension/src/submit.ts';
import { FakeHost, PromptError } from './fake-host.ts';
import { wireJob, wireQueue } from '../helpers/wire.ts';

/** An ApiClient over an in-memory list of jobs, recording submissions and cancels. */
class FakeClient implements ApiClient {
  jobs: Job[] = [];
  submitted: SubmitBody[] = [];
  cancelled: string[] = [];
  failWith: CmApiError | null = null;

  async submitJob(body: SubmitBody): Promise<Job> {
    if (this.failWith) throw this.failWith;
    this.submitted.push(body);
    const job = wireJob({ state: 'queued', position: this.jobs.length + 1 });
    this.jobs.push(job);
    return job;
  }
  async listJobs(query: { states?: readonly JobState[]; limit?: number }): Promise<Job[]> {
    return this.jobs.filter((job) => !query.states || query.states.includes(job.state)).slice(0, query.limit);
  }
  async getJob(id: string) {
    const job = this.jobs.find((candidate) => candidate.id === id);
    if (!job) throw new CmApiError(404, 'not_found', 'no such job');
    return { ...job, prompt: { '9': { class_type: 'SaveImage', inputs: {} } }, workflow: { id: 'wf' } };
  }
  async cancelJob(id: string): Promise<Job> {
    const job = this.jobs.find((candidate) => candidate.id === id);
    if (!job) throw new CmApiError(404, 'not_found', 'no such job');
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) throw new CmApiError(409, 'finished', 'already finished');
    this.cancelled.push(id);
    Object.assign(job, { state: 'cancelled' });
    return job;
  }
  async getQueue(): Promise<QueueView> {
    return wireQueue();
  }
}

const PROMPT = { '9': { class_type: 'SaveImage', inputs: { images: ['8', 0] } } };
const WORKFLOW = { id: 'wf-1', nodes: [] };

describe('queuePrompt replacement', () => {
  it('builds the comfy-multi submission from the frontend’s arguments', () => {
    const body = submitBody([-1, { output: PROMPT, workflow: WORKFLOW }, { partialExecutionTargets: ['9'], previewMethod: 'auto' }], 'flow.json', 'req-1');
    assert.deepEqual(body, {
      prompt: PROMPT,
      workflow: WORKFLOW,
      partial_execution_targets: ['9'],
      preview_method: 'auto',
      front: true,
      client_request_id: 'req-1',
      title: 'flow.json',
    });
    const plain = submitBody([0, { output: PROMPT, workflow: WORKFLOW }, { partialExecutionTargets: null, previewMethod: 'default' }], undefined, 'req-2');
    assert.deepEqual(plain, { prompt: PROMPT, workflow: WORKFLOW, front: false, client_request_id: 'req-2' });
  });

  it('resolves with the job id as prompt_id and a fresh request id per call', async () => {
    const host = new FakeHost();
    const client = new FakeClient();
    const state = new SeatState('user01');
    const queuePrompt = createQueuePrompt(host, client, state);
    const first = await queuePrompt(0, { output: PROMPT, workflow: WORKFLOW });
    const second = await queuePrompt(0, { output: PROMPT, workflow: WORKFLOW });
    assert.deepEqual(first, { prompt_id: client.jobs[0]!.id, number: 0, node_errors: {} });
    assert.equal((second as { prompt_id: string }).prompt_id, client.jobs[1]!.id);
    assert.notEqual(client.submitted[0]!.client_request_id, client.submitted[1]!.client_request_id);
    // The badge knows about the job before any event arrives.
    assert.equal(state.pendingCount(), 2);
  });

  it('hands a ComfyUI validation body to the native error path as PromptExecutionError', async () => {
    const host = new FakeHost();
    const client = new FakeClient();
    const comfyBody = {
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
      node_errors: { '4': { errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: "ckpt_name: 'x' not in []", extra_info: {} }], dependent_outputs: ['9'], class_type: 'CheckpointLoaderSimple' } },
    };
    client.failWith = new CmApiError(400, 'invalid_prompt', 'Prompt outputs failed validation', comfyBody);
    const queuePrompt = createQueuePrompt(host, client, new SeatState('user01'));
    const error = await queuePrompt(0, { output: PROMPT, workflow: WORKFLOW }).catch((e: unknown) => e);
    assert.ok(error instanceof PromptError);
    assert.equal(error.status, 400);
    assert.deepEqual(error.response, comfyBody);
  });

  it('turns comfy-multi refusals into a ComfyUI-shaped body carrying our message', async () => {
    const host = new FakeHost();
    const client = new FakeClient();
    client.failWith = new CmApiError(429, 'seat_cap', 'You already have 5 jobs queued; wait for one to finish.');
    const queuePrompt = createQueuePrompt(host, client, new SeatState('user01'));
    const error = (await queuePrompt(0, { output: PROMPT, workflow: WORKFLOW }).catch((e: unknown) => e)) as PromptError;
    assert.equal(error.status, 429);
    assert.deepEqual(error.response, {
      error: { type: 'seat_cap', message: 'You already have 5 jobs queued; wait for one to finish.', details: '', extra_info: {} },
      node_errors: {},
    });
    client.failWith = new CmApiError(0, 'unreachable', 'The comfy-multi server did not answer (fetch failed).');
    const offline = (await queuePrompt(0, { output: PROMPT, workflow: WORKFLOW }).catch((e: unknown) => e)) as PromptError;
    assert.equal(offline.status, undefined);
    assert.equal((offline.response as { error: { type: string } }).error.type, 'unreachable');
  });
});

class MemoryStorage {
  data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

function panels(flavour: 'jobs' | 'legacy' = 'jobs') {
  const host = new FakeHost();
  host.flavour = flavour;
  const client = new FakeClient();
  const state = new SeatState('user01');
  const storage = new MemoryStorage();
  const overrides = createPanelOverrides({ host, client, state, hidden: new HiddenHistory('user01', storage as unknown as Storage), originals: () => ({}) });
  return { host, client, state, overrides, storage };
}

describe('queue and history panels', () => {
  it('list the seat’s remote jobs as /api/jobs items', async () => {
    const { client, overrides } = panels();
    client.jobs = [wireJob({ state: 'running' }), wireJob({ state: 'queued' }), wireJob({ state: 'queued' }), wireJob({ state: 'succeeded' })];
    const queue = (await overrides.getQueue!()) as { Running: { id: string; status: string }[]; Pending: { id: string }[] };
    assert.deepEqual(
      queue.Running.map((item) => [item.id, item.status]),
      [[client.jobs[0]!.id, 'in_progress']],
    );
    assert.equal(queue.Pending.length, 2);
    const history = (await overrides.getHistory!(10)) as { id: string; status: string }[];
    assert.deepEqual(
      history.map((item) => [item.id, item.status]),
      [[client.jobs[3]!.id, 'completed']],
    );
  });

  it('answer older frontends in their task-item shapes', async () => {
    const { client, overrides } = panels('legacy');
    client.jobs = [wireJob({ state: 'queued' }), wireJob({ state: 'succeeded' })];
    const queue = (await overrides.getQueue!()) as { Pending: { taskType: string }[] };
    assert.equal(queue.Pending[0]?.taskType, 'Pending');
    const history = (await overrides.getHistory!(10)) as { History: { taskType: string }[] };
    assert.equal(history.History[0]?.taskType, 'History');
  });

  it('route Stop, cancel, delete and clear to the server', async () => {
    const { client, overrides, state } = panels();
    const [running, queuedA, queuedB, done] = [wireJob({ state: 'running' }), wireJob({ state: 'queued' }), wireJob({ state: 'queued' }), wireJob({ state: 'succeeded' })];
    client.jobs = [running!, queuedA!, queuedB!, done!];
    state.applySnapshot(client.jobs.map((job) => ({ ...job })), null);
    await overrides.interrupt!(null);
    assert.deepEqual(client.cancelled, [running!.id]);
    await overrides.deleteItem!('queue', queuedA!.id);
    assert.deepEqual(client.cancelled.at(-1), queuedA!.id);
    await overrides.clearItems!('queue');
    assert.deepEqual(client.cancelled.at(-1), queuedB!.id);
    // Cancelling a job that already finished is not an error for the participant.
    await overrides.cancelJob!(done!.id);
    assert.equal(state.cancelledHere(done!.id), true);
  });

  it('hide deleted and cleared history in this browser, across reloads', async () => {
    const { client, overrides, storage } = panels();
    const [a, b] = [wireJob({ state: 'succeeded' }), wireJob({ state: 'failed' })];
    client.jobs = [a!, b!];
    await overrides.deleteItem!('history', a!.id);
    assert.deepEqual(((await overrides.getHistory!(10)) as { id: string }[]).map((item) => item.id), [b!.id]);
    await overrides.clearItems!('history');
    assert.deepEqual(await overrides.getHistory!(10), []);
    assert.equal(new HiddenHistory('user01', storage as unknown as Storage).has(b!.id), true);
  });

  it('return job details for the frontend’s output cache', async () => {
    const { client, overrides } = panels();
    client.jobs = [wireJob({ state: 'succeeded' })];
    const detail = (await overrides.getJobDetail!(client.jobs[0]!.id)) as { id: string; workflow: { extra_data: { extra_pnginfo: { workflow: unknown } } } };
    assert.equal(detail.id, client.jobs[0]!.id);
    assert.deepEqual(detail.workflow.extra_data.extra_pnginfo.workflow, { id: 'wf' });
    assert.equal(await overrides.getJobDetail!('unknown'), undefined);
  });
});
