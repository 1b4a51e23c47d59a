/**
 * ComfyWorkerClient against a scripted fake ComfyUI that replays recorded 0.8.0 frames
 * (and newer-core answers such as 409 and the jobs cancel route) under exact timing control.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ComfyRequestError } from '../../lib/comfy/comfy-http.ts';
import { ComfyWorkerClient, type ComfyWorkerClientOptions } from '../../lib/comfy/comfy-worker-client.ts';
import type { PromptMessage } from '../../lib/comfy/messages.ts';
import type { PreviewEvent } from '../../lib/comfy/prompt-tracker.ts';
import { TINY_PROMPT } from '../helpers/job-factory.ts';
import { FakeComfy } from './fake-comfy.ts';
import { httpEntries, loadScenario, receivedFrames, submittedPromptId } from './fixtures.ts';

/** The submitter's recorded frames of a scenario, re-addressed to `promptId`. */
function recordedRun(name: string, promptId: string): Array<string | Uint8Array> {
  const scenario = loadScenario(name);
  const recordedId = submittedPromptId(scenario);
  return receivedFrames(scenario, 'submitter')
    .filter((frame) => frame.kind === 'binary' || !['status', 'feature_flags'].includes(frame.parsed.type))
    .map((frame) => (frame.kind === 'text' ? frame.text.replaceAll(recordedId, promptId) : readdress(frame.bytes, recordedId, promptId)));
}

/** Type-4 metadata names the prompt too; ids have the same length, so bytes are swapped in place. */
function readdress(frame: Uint8Array, from: string, to: string): Uint8Array {
  const bytes = Buffer.from(frame);
  for (let at = bytes.indexOf(from); at !== -1; at = bytes.indexOf(from, at + 1)) bytes.write(to, at);
  return bytes;
}

function recordedHistory(name: string, promptId: string): unknown {
  const scenario = loadScenario(name);
  const recordedId = submittedPromptId(scenario);
  const body = httpEntries(scenario).find((e) => e.request.path === `/history/${recordedId}`)?.response.body;
  assert.ok(body, `${name} has no recorded history of its prompt`);
  return JSON.parse(JSON.stringify(body).replaceAll(recordedId, promptId));
}

const emptyQueue = () => ({ json: { queue_running: [], queue_pending: [] } });

let fake: FakeComfy;
const clients: ComfyWorkerClient[] = [];

function client(options: Partial<ComfyWorkerClientOptions> = {}): ComfyWorkerClient {
  const created = new ComfyWorkerClient({ url: fake.url, reconnect: { initialMs: 10, maxMs: 40 }, pollIntervalMs: 20, ...options });
  clients.push(created);
  return created;
}

function acceptPrompts(): void {
  let number = 0;
  fake.route('POST', '/prompt', (req) => {
    // Cores may answer with a float priority.
    number += 1;
    return { json: { prompt_id: (req.json as { prompt_id: string }).prompt_id, number: number + 0.5, node_errors: {} } };
  });
}

beforeEach(async () => {
  fake = await new FakeComfy().start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await fake.stop();
});

describe('ComfyWorkerClient: connection', () => {
  it('opens /ws with its own 32-hex client id, says feature_flags first, resolves on the first status', async () => {
    const c = client();
    assert.match(c.clientId, /^[0-9a-f]{32}$/);
    const statuses: number[] = [];
    c.on('status', ({ queueRemaining }) => statuses.push(queueRemaining));
    await c.connect();
    assert.equal(c.connected, true);
    const socket = fake.socket(c.clientId);
    await fake.until(() => c.serverFeatures !== null, 'the feature_flags reply');
    assert.deepEqual(JSON.parse(socket.received[0] ?? ''), { type: 'feature_flags', data: { supports_preview_metadata: true } });
    assert.deepEqual(statuses, [0]);
    assert.equal(c.serverFeatures?.['supports_preview_metadata'], true);
  });

  it('keeps a provider path prefix and sends the configured headers on HTTP and the upgrade', async () => {
    await fake.stop();
    fake = await new FakeComfy('/proxy/worker-7').start();
    fake.route('GET', '/queue', emptyQueue);
    const c = client({ headers: { Authorization: 'Bearer t0ken' } });
    await c.connect();
    await c.getQueue();
    assert.equal(fake.sockets[0]?.path, '/proxy/worker-7/ws');
    assert.equal(fake.sockets[0]?.headers.authorization, 'Bearer t0ken');
    assert.equal(fake.requests[0]?.headers.authorization, 'Bearer t0ken');
  });

  it('rejects connect() when the worker is not there, without retrying on its own', async () => {
    const url = fake.url;
    await fake.stop();
    const c = new ComfyWorkerClient({ url, reconnect: { initialMs: 10, maxMs: 20 } });
    clients.push(c);
    await assert.rejects(c.connect(), (error: unknown) => error instanceof Error && /could not open/.test(error.message));
    assert.equal(c.connected, false);
    fake = await new FakeComfy().start();
  });

  it('reconnects with backoff under the same client id, only after the old socket is fully closed', async () => {
    const c = client();
    const events: string[] = [];
    c.on('disconnected', ({ willReconnect }) => events.push(`disconnected:${willReconnect}`));
    c.on('reconnected', () => events.push('reconnected'));
    await c.connect();
    fake.socket(c.clientId).ws.close(1001, 'going away');
    await fake.until(() => events.includes('reconnected'), 'reconnect');
    assert.deepEqual(events, ['disconnected:true', 'reconnected']);
    assert.deepEqual(
      fake.log.filter((e) => e.kind !== 'http').map((e) => e.kind),
      ['ws-open', 'ws-close', 'ws-open'],
    );
    assert.equal(fake.sockets[1]?.clientId, c.clientId);
    await fake.until(() => (fake.sockets[1]?.received.length ?? 0) > 0, 'the hello on the new socket');
    assert.deepEqual(JSON.parse(fake.sockets[1]?.received[0] ?? ''), { type: 'feature_flags', data: { supports_preview_metadata: true } });
  });

  it('close() stops reconnecting and rejects pending waits', async () => {
    const c = client();
    await c.connect();
    const waiting = c.waitForTerminal(randomUUID());
    const disconnected: boolean[] = [];
    c.on('disconnected', ({ willReconnect }) => disconnected.push(willReconnect));
    await c.close();
    await assert.rejects(waiting, /was closed/);
    assert.deepEqual(disconnected, [false]);
    assert.equal(fake.sockets.length, 1);
  });
});

describe('ComfyWorkerClient: submit and relay', () => {
  it('opens the socket before POST /prompt and posts our id, client id and options', async () => {
    acceptPrompts();
    const c = client();
    const promptId = randomUUID();
    const result = await c.submit(TINY_PROMPT, {
      promptId,
      extraData: { preview_method: 'auto' },
      front: true,
      partialExecutionTargets: ['2'],
    });
    assert.deepEqual(result, { promptId, number: 1.5, nodeErrors: {}, alreadySubmitted: false });
    assert.deepEqual(
      fake.log.map((e) => e.kind),
      ['ws-open', 'http'],
    );
    assert.deepEqual(fake.requests[0]?.json, {
      prompt: TINY_PROMPT,
      client_id: c.clientId,
      prompt_id: promptId,
      extra_data: { preview_method: 'auto' },
      front: true,
      partial_execution_targets: ['2'],
    });
  });

  it('relays a recorded run in order under our prompt id and resolves waitForTerminal with the outputs', async () => {
    acceptPrompts();
    const c = client();
    const promptId = randomUUID();
    const messages: PromptMessage[] = [];
    const previews: PreviewEvent[] = [];
    c.on('message', (m) => messages.push(m));
    c.on('preview', (p) => previews.push(p));
    await c.submit(TINY_PROMPT, { promptId });
    const done = c.waitForTerminal(promptId, { timeoutMs: 5_000 });
    const frames = recordedRun('03a-progress-previews-ff', promptId);
    for (const frame of frames) fake.send(c.clientId, frame);
    const result = await done;
    assert.equal(result.status, 'success');
    assert.equal(result.source, 'live');
    assert.deepEqual(result.outputs, { '3': { images: [{ filename: 'fx03a_00001_.png', subfolder: '', type: 'output' }] } });
    await fake.until(() => messages.at(-1)?.type === 'executing' && messages.at(-1)?.data.node === null, 'final executing');
    const expected = frames.filter((f) => typeof f === 'string').map((f) => JSON.parse(f as string).type);
    assert.deepEqual(
      messages.map((m) => m.type),
      expected,
    );
    assert.ok(messages.every((m) => m.promptId === promptId));
    assert.equal(previews.length, 5);
    assert.ok(previews.every((p) => p.promptId === promptId && p.nodeId === '2' && !p.synthesized));
    assert.ok(fake.requests.every((r) => r.path === '/prompt'), 'no recovery requests while the socket stayed up');
  });

  it('ignores broadcasts about prompts it does not own', async () => {
    const c = client();
    const seen: string[] = [];
    c.on('message', (m) => seen.push(m.type));
    c.on('preview', () => seen.push('preview'));
    await c.connect();
    const statuses: number[] = [];
    c.on('status', (s) => statuses.push(s.queueRemaining));
    for (const frame of recordedRun('03e-progress-previews-no-client-id', randomUUID())) fake.send(c.clientId, frame);
    fake.send(c.clientId, { type: 'status', data: { status: { exec_info: { queue_remaining: 7 } } } });
    await fake.until(() => statuses.includes(7), 'the marker status');
    assert.deepEqual(seen, []);
  });

  it('throws ComfyRequestError with status and parsed body on 400, and on 0.8.0’s text/plain 500', async () => {
    const c = client();
    const body = {
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
      node_errors: { '2': { errors: [{ type: 'required_input_missing' }], class_type: 'SaveImage', dependent_outputs: ['2'] } },
    };
    fake.route('POST', '/prompt', () => ({ status: 400, json: body }));
    const rejected = await c.submit(TINY_PROMPT, { promptId: randomUUID() }).catch((error: unknown) => error);
    assert.ok(rejected instanceof ComfyRequestError);
    assert.deepEqual([rejected.code, rejected.responseStatus, rejected.status], ['invalid_prompt', 400, 400]);
    assert.deepEqual(rejected.body, body);
    assert.match(rejected.message, /prompt_outputs_failed_validation/);

    fake.route('POST', '/prompt', () => ({ status: 500, text: '500 Internal Server Error\n\nServer got itself in trouble' }));
    const crashed = await c.submit(TINY_PROMPT, { promptId: randomUUID() }).catch((error: unknown) => error);
    assert.ok(crashed instanceof ComfyRequestError);
    assert.deepEqual([crashed.code, crashed.responseStatus], ['worker_unavailable', 500]);
    assert.deepEqual(crashed.body, { text: '500 Internal Server Error\n\nServer got itself in trouble' });
  });

  it('treats a 409 duplicate as already submitted and learns its end by polling', async () => {
    const c = client();
    const promptId = randomUUID();
    fake.route('POST', '/prompt', () => ({ status: 409, json: { error: 'prompt_id already exists' } }));
    let finished = false;
    fake.route('GET', '/queue', () => (finished ? emptyQueue() : { json: { queue_running: [[1, promptId, {}, {}, []]], queue_pending: [] } }));
    fake.route('GET', `/history/${promptId}`, () => ({ json: recordedHistory('01-success', promptId) }));
    const result = await c.submit(TINY_PROMPT, { promptId });
    assert.deepEqual(result, { promptId, number: null, nodeErrors: {}, alreadySubmitted: true });
    const done = c.waitForTerminal(promptId, { timeoutMs: 5_000 });
    await fake.until(() => fake.requests.some((r) => r.path === '/queue'), 'a poll');
    finished = true;
    const terminal = await done;
    assert.deepEqual([terminal.status, terminal.source], ['success', 'history']);
  });
});

describe('ComfyWorkerClient: recovering what a dropped socket missed', () => {
  it('attributes the reconnect replay and recovers the dropped terminal message from history', async () => {
    acceptPrompts();
    const c = client();
    const promptId = randomUUID();
    const messages: PromptMessage[] = [];
    c.on('message', (m) => messages.push(m));
    await c.submit(TINY_PROMPT, { promptId });
    const done = c.waitForTerminal(promptId, { timeoutMs: 5_000 });
    const frames = recordedRun('12-ws-reconnect', promptId);
    const replayAt = frames.findIndex((f) => typeof f === 'string' && f === '{"type": "executing", "data": {"node": "2"}}');
    for (const frame of frames.slice(0, replayAt)) fake.send(c.clientId, frame);
    await fake.until(() => messages.filter((m) => m.type === 'progress').length === 2, 'two progress messages');

    // While the client is away the run finishes; the worker keeps it in /history only.
    let running = true;
    fake.route('GET', '/queue', () => (running ? { json: { queue_running: [[0, promptId, {}, {}, []]], queue_pending: [] } } : emptyQueue()));
    fake.route('GET', `/history/${promptId}`, () => ({ json: running ? {} : recordedHistory('01-success', promptId) }));
    fake.onConnect = (socket) => socket.ws.send('{"type": "executing", "data": {"node": "2"}}');
    fake.socket(c.clientId).ws.terminate();
    await fake.until(() => fake.sockets.length === 2 && messages.length > 0 && messages.at(-1)?.data.prompt_id === promptId && messages.at(-1)?.type === 'executing', 'the replay');
    const replay = messages.at(-1);
    assert.deepEqual([replay?.type, replay?.promptId, replay?.data.node], ['executing', promptId, '2']);

    running = false;
    fake.send(c.clientId, { type: 'status', data: { status: { exec_info: { queue_remaining: 0 } } } });
    fake.send(c.clientId, { type: 'executing', data: { node: null, prompt_id: promptId } });
    const result = await done;
    assert.deepEqual([result.status, result.source], ['success', 'history']);
    assert.deepEqual(result.outputs, { '3': { images: [{ filename: 'fx01_00001_.png', subfolder: '', type: 'output' }] } });
  });

  it('reports a prompt the restarted worker no longer knows as lost', async () => {
    acceptPrompts();
    const c = client();
    const promptId = randomUUID();
    await c.submit(TINY_PROMPT, { promptId });
    fake.route('GET', '/queue', emptyQueue);
    fake.route('GET', `/history/${promptId}`, () => ({ json: {} }));
    const terminals: string[] = [];
    c.on('terminal', (t) => terminals.push(t.status));
    fake.socket(c.clientId).ws.terminate();
    const result = await c.waitForTerminal(promptId, { timeoutMs: 5_000 });
    assert.deepEqual([result.status, result.source], ['lost', 'missing']);
    assert.deepEqual(terminals, ['lost']);
    assert.ok(fake.requests.some((r) => r.path === `/api/jobs/${promptId}`), 'asked the jobs API too (404 on this fake)');
  });

  it('a resubmit of a lost prompt waits for the new run instead of answering with the old result', async () => {
    acceptPrompts();
    const c = client();
    const promptId = randomUUID();
    await c.submit(TINY_PROMPT, { promptId });
    fake.route('GET', '/queue', emptyQueue);
    fake.route('GET', `/history/${promptId}`, () => ({ json: {} }));
    fake.socket(c.clientId).ws.terminate();
    assert.equal((await c.waitForTerminal(promptId, { timeoutMs: 5_000 })).status, 'lost');

    await c.submit(TINY_PROMPT, { promptId });
    const rerun = c.waitForTerminal(promptId, { timeoutMs: 5_000 });
    for (const frame of recordedRun('01-success', promptId)) fake.send(c.clientId, frame);
    assert.deepEqual(await rerun.then((r) => [r.status, r.source]), ['success', 'live']);
  });

  it('waitForTerminal on a prompt it did not submit asks the worker right away', async () => {
    const c = client();
    const promptId = randomUUID();
    fake.route('GET', '/queue', emptyQueue);
    fake.route('GET', `/history/${promptId}`, () => ({ json: recordedHistory('04-runtime-error', promptId) }));
    const result = await c.waitForTerminal(promptId, { timeoutMs: 5_000 });
    assert.equal(result.status, 'error');
    assert.equal((result.error as { exception_type?: string }).exception_type, 'RuntimeError');
  });

  it('waitForTerminal times out with an actionable error', async () => {
    acceptPrompts();
    const c = client();
    const promptId = randomUUID();
    await c.submit(TINY_PROMPT, { promptId });
    await assert.rejects(c.waitForTerminal(promptId, { timeoutMs: 30 }), (error: unknown) => {
      assert.ok(error instanceof Error && 'code' in error);
      assert.equal(error.code, 'worker_unavailable');
      assert.match(error.message, new RegExp(`prompt ${promptId} did not finish within 30 ms`));
      return true;
    });
  });
});

describe('ComfyWorkerClient: HTTP routes', () => {
  it('interrupt always names the prompt', async () => {
    const c = client();
    fake.route('POST', '/interrupt', () => ({}));
    await c.interrupt('p-1');
    assert.deepEqual(fake.requests[0]?.json, { prompt_id: 'p-1' });
  });

  it('cancelPending falls back to POST /queue delete when /api/jobs/{id}/cancel is absent (probed once)', async () => {
    const c = client();
    const pending = new Set(['a', 'b']);
    fake.route('GET', '/queue', () => ({ json: { queue_running: [], queue_pending: [...pending].map((id, i) => [i, id, {}, {}, []]) } }));
    fake.route('POST', '/queue', (req) => {
      for (const id of (req.json as { delete: string[] }).delete) pending.delete(id);
      return {};
    });
    assert.equal(await c.cancelPending('a'), true);
    assert.equal(await c.cancelPending('not-queued'), false);
    assert.equal(await c.cancelPending('b'), true);
    assert.equal(fake.requests.filter((r) => r.path.startsWith('/api/jobs/')).length, 1);
    assert.deepEqual(
      fake.requests.filter((r) => r.method === 'POST' && r.path === '/queue').map((r) => r.json),
      [{ delete: ['a'] }, { delete: ['b'] }],
    );
  });

  it('cancelPending uses the jobs cancel route on cores that have it', async () => {
    const c = client();
    fake.route('POST', '/api/jobs/*', (req) => ({ json: { cancelled: req.path === '/api/jobs/known/cancel' } }));
    assert.equal(await c.cancelPending('known'), true);
    assert.equal(await c.cancelPending('unknown'), false);
    assert.ok(fake.requests.every((r) => r.path.startsWith('/api/jobs/')));
  });

  it('getHistory and getJob answer null for unknown ids; getQueue lists ids in run order', async () => {
    const c = client();
    fake.route('GET', '/history/*', () => ({ json: {} }));
    fake.route('GET', '/api/jobs/*', () => ({ status: 404, json: { error: 'Job not found' } }));
    fake.route('GET', '/queue', () => ({
      json: { queue_running: [[3, 'r', {}, {}, []]], queue_pending: [[7.5, 'late', {}, {}, []], [-1, 'front', {}, {}, []]] },
    }));
    assert.equal(await c.getHistory('nope'), null);
    assert.equal(await c.getJob('nope'), null);
    assert.deepEqual(await c.getQueue(), { running: ['r'], pending: ['front', 'late'] });
  });

  it('upload sends multipart fields and view streams the bytes back', async () => {
    const c = client();
    const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    let form: FormData | undefined;
    fake.route('POST', '/upload/image', async (req) => {
      form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: new Uint8Array(req.body) }).formData();
      return { json: { name: 'in.png', subfolder: 'seat1', type: 'input' } };
    });
    fake.route('GET', '/view', (req) =>
      req.query.get('filename') === 'in.png' ? { bytes, headers: { 'Content-Type': 'image/png' } } : { status: 404 },
    );
    const uploaded = await c.upload(Buffer.from(bytes), 'in.png', { subfolder: 'seat1', overwrite: true });
    assert.deepEqual(uploaded, { name: 'in.png', subfolder: 'seat1', type: 'input' });
    const file = form?.get('image');
    assert.ok(file instanceof File);
    assert.equal(file.name, 'in.png');
    assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
    assert.deepEqual([form?.get('type'), form?.get('subfolder'), form?.get('overwrite')], ['input', 'seat1', 'true']);

    const response = await c.view({ filename: 'in.png', subfolder: 'seat1', type: 'input' });
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
    const missing = await c.view({ filename: 'gone.png', subfolder: '', type: 'output' }).catch((error: unknown) => error);
    assert.ok(missing instanceof ComfyRequestError);
    assert.deepEqual([missing.code, missing.responseStatus], ['not_found', 404]);
  });

  it('objectInfo is cached until forced; systemStats and features parse', async () => {
    const c = client();
    fake.route('GET', '/object_info', () => ({ json: { EmptyImage: { input: { required: {} }, output: ['IMAGE'], name: 'EmptyImage' } } }));
    fake.route('GET', '/system_stats', () => ({ json: { system: { os: 'posix', comfyui_version: '0.8.0' }, devices: [{ name: 'cpu', type: 'cpu', index: null }] } }));
    fake.route('GET', '/features', () => ({ json: { supports_preview_metadata: true } }));
    const [first, second] = await Promise.all([c.objectInfo(), c.objectInfo()]);
    assert.equal(first, second);
    assert.deepEqual(Object.keys(await c.objectInfo()), ['EmptyImage']);
    await c.objectInfo(true);
    assert.equal(fake.requests.filter((r) => r.path === '/object_info').length, 2);
    assert.equal((await c.systemStats()).system.comfyui_version, '0.8.0');
    assert.deepEqual(await c.features(), { supports_preview_metadata: true });
  });

  it('a worker that does not answer gives worker_unavailable with no status', async () => {
    const url = fake.url;
    await fake.stop();
    const c = new ComfyWorkerClient({ url });
    clients.push(c);
    const error = await c.getQueue().catch((e: unknown) => e);
    assert.ok(error instanceof ComfyRequestError);
    assert.deepEqual([error.code, error.responseStatus], ['worker_unavailable', null]);
    fake = await new FakeComfy().start();
  });
});
