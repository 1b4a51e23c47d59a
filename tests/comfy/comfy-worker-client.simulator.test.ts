/**
 * ComfyWorkerClient against the project's ComfyUI simulator, in both protocol generations
 * (0.8.0 as recorded, 0.38.1 with prompt_id validation, 409 duplicates and the jobs cancel route).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ComfyRequestError } from '../../lib/comfy/comfy-http.ts';
import { ComfyRest } from '../../lib/comfy/comfy-rest.ts';
import { ComfyWorkerClient, type ComfyWorkerClientOptions } from '../../lib/comfy/comfy-worker-client.ts';
import type { PromptMessage } from '../../lib/comfy/messages.ts';
import type { PreviewEvent } from '../../lib/comfy/prompt-tracker.ts';
import type { Prompt } from '../../lib/job.ts';
import { startSimulator } from '../../lib/simulator/index.ts';
import { httpEntries, loadScenario } from './fixtures.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** EmptyImage → RigSlowProgress (steps × stepMs, one preview per step) → SaveImage. */
function slowPrompt(steps: number, stepMs: number, prefix = 'it'): Prompt {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: Math.floor(Math.random() * 0xffffff) } },
    '2': { class_type: 'RigSlowProgress', inputs: { image: ['1', 0], steps, step_ms: stepMs, fail_at: -1 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}

/** A TCP hop between client and worker that a test can cut, like a network outage. */
async function startCuttableProxy(targetPort: number): Promise<{ url: string; cut(): void; heal(): void; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((inbound) => {
    if (down) return inbound.destroy();
    const outbound = new Socket();
    outbound.connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    heal() {
      down = false;
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(version: '0.8.0' | '0.38.1', options: Partial<ComfyWorkerClientOptions> = {}) {
  const sim = await startSimulator({ version, nodeMs: 2, previewMethod: 'auto' });
  cleanups.push(() => sim.close());
  const requests: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    return fetch(input, init);
  };
  const client = new ComfyWorkerClient({ url: sim.url, fetch: recordingFetch, reconnect: { initialMs: 10, maxMs: 50 }, pollIntervalMs: 25, ...options });
  cleanups.push(() => client.close());
  return { sim, client, requests };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

for (const version of ['0.8.0', '0.38.1'] as const) {
  describe(`ComfyWorkerClient against simulator ${version}`, () => {
    it('relays a run in order under our prompt id, with type-4 previews, and fetches the output', async () => {
      const { client } = await setup(version);
      const promptId = randomUUID();
      const messages: PromptMessage[] = [];
      const previews: PreviewEvent[] = [];
      client.on('message', (m) => messages.push(m));
      client.on('preview', (p) => previews.push(p));
      const submitted = await client.submit(slowPrompt(3, 10), { promptId });
      assert.equal(submitted.promptId, promptId);
      assert.equal(typeof submitted.number, 'number');
      const result = await client.waitForTerminal(promptId, { timeoutMs: 10_000 });
      assert.deepEqual([result.status, result.source], ['success', 'live']);
      await until(() => messages.at(-1)?.type === 'executing' && messages.at(-1)?.data.node === null, 'the final executing null');

      assert.ok(messages.every((m) => m.promptId === promptId));
      const types = messages.map((m) => m.type);
      assert.equal(types[0], 'execution_start');
      assert.ok(types.indexOf('executed') < types.indexOf('execution_success'));
      assert.equal(types.filter((t) => t === 'progress').length, 3);
      assert.equal(previews.length, 3);
      for (const preview of previews) {
        assert.deepEqual([preview.promptId, preview.nodeId, preview.synthesized, preview.imageType], [promptId, '2', false, 'image/jpeg']);
        assert.deepEqual(new DataView(preview.frame.buffer, preview.frame.byteOffset).getUint32(0), 4);
      }

      const images = (result.outputs['3'] as { images: Array<{ filename: string; subfolder: string; type: string }> }).images;
      assert.equal(images.length, 1);
      const response = await client.view(images[0] as { filename: string; subfolder: string; type: string });
      assert.deepEqual([...new Uint8Array(await response.arrayBuffer()).subarray(0, 4)], PNG_SIGNATURE);
    });

    it('interrupt with an id stops only that prompt', async () => {
      const { client } = await setup(version);
      const slow = randomUUID();
      const next = randomUUID();
      const progressOf = (id: string) => {
        let count = 0;
        client.on('message', (m) => {
          if (m.promptId === id && m.type === 'progress') count += 1;
        });
        return () => count;
      };
      const slowProgress = progressOf(slow);
      await client.submit(slowPrompt(40, 25), { promptId: slow });
      await client.submit(slowPrompt(1, 1, 'next'), { promptId: next });
      await until(() => slowProgress() >= 1, 'the slow prompt to run');

      await client.interrupt(next); // pending, not running: a no-op
      const before = slowProgress();
      await until(() => slowProgress() > before, 'the slow prompt to keep going');

      await client.interrupt(slow);
      const [stopped, ran] = await Promise.all([
        client.waitForTerminal(slow, { timeoutMs: 10_000 }),
        client.waitForTerminal(next, { timeoutMs: 10_000 }),
      ]);
      assert.equal(stopped.status, 'interrupted');
      assert.equal(stopped.error?.node_id, '2');
      assert.equal(ran.status, 'success');
    });

    it(`cancelPending removes a queued prompt via ${version === '0.8.0' ? 'POST /queue delete' : 'the jobs cancel route'}`, async () => {
      const { client, requests } = await setup(version);
      const running = randomUUID();
      const queued = randomUUID();
      await client.submit(slowPrompt(40, 25), { promptId: running });
      await client.submit(slowPrompt(1, 1, 'queued'), { promptId: queued });
      assert.deepEqual((await client.getQueue()).pending, [queued]);

      assert.equal(await client.cancelPending(queued), true);
      const cancelled = await client.waitForTerminal(queued, { timeoutMs: 10_000 });
      assert.equal(cancelled.status, 'interrupted');
      assert.deepEqual(await client.getQueue(), { running: [running], pending: [] });
      assert.equal(await client.cancelPending(randomUUID()), false);

      const cancelCalls = requests.filter((r) => r.includes('/cancel') || r === 'POST /queue');
      if (version === '0.8.0') {
        assert.deepEqual(cancelCalls, [`POST /api/jobs/${queued}/cancel`, 'POST /queue']);
      } else {
        assert.ok(cancelCalls.every((r) => r.startsWith('POST /api/jobs/')));
      }
      await client.interrupt(running);
      assert.equal((await client.waitForTerminal(running, { timeoutMs: 10_000 })).status, 'interrupted');
    });

    it('recovers the result from history when the connection was down at the end of the run', async () => {
      const sim = await startSimulator({ version, nodeMs: 2 });
      cleanups.push(() => sim.close());
      const proxy = await startCuttableProxy(sim.port);
      cleanups.push(() => proxy.close());
      const client = new ComfyWorkerClient({ url: proxy.url, reconnect: { initialMs: 10, maxMs: 50 }, pollIntervalMs: 25 });
      cleanups.push(() => client.close());
      const direct = new ComfyRest({ url: sim.url });
      const events: string[] = [];
      client.on('disconnected', () => events.push('disconnected'));
      client.on('reconnected', () => events.push('reconnected'));
      const promptId = randomUUID();
      let progress = 0;
      client.on('message', (m) => {
        if (m.type === 'progress') progress += 1;
      });
      await client.submit(slowPrompt(4, 40), { promptId });
      await until(() => progress >= 1, 'the run to start');

      proxy.cut();
      await until(() => events.includes('disconnected'), 'the disconnect');
      // The run finishes while nothing can reach us.
      let done = false;
      while (!done) {
        done = (await direct.getHistory(promptId)) !== null;
        if (!done) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      proxy.heal();
      const result = await client.waitForTerminal(promptId, { timeoutMs: 10_000 });
      assert.deepEqual([result.status, result.source], ['success', 'history']);
      assert.ok(result.outputs['3'], 'outputs recovered');
      await until(() => events.includes('reconnected'), 'the reconnect');
      assert.ok(progress < 4, 'some progress was really missed');
    });

    it('reports a prompt as lost when the worker crashed and restarted mid-run', async () => {
      const { sim, client } = await setup(version);
      const promptId = randomUUID();
      let started = false;
      client.on('message', (m) => {
        if (m.type === 'progress') started = true;
      });
      const reconnected = new Promise<void>((resolve) => client.once('reconnected', () => resolve()));
      await client.submit(slowPrompt(40, 25), { promptId });
      await until(() => started, 'the run to start');
      await sim.crash();
      await sim.restart();
      await reconnected;
      const result = await client.waitForTerminal(promptId, { timeoutMs: 10_000 });
      assert.deepEqual([result.status, result.source], ['lost', 'missing']);
    });

    it(version === '0.8.0' ? 'a resubmitted id runs again (200, as recorded)' : 'a resubmitted id answers 409 and is recovered', async () => {
      const { client } = await setup(version);
      const promptId = randomUUID();
      const prompt = slowPrompt(1, 1, 'dup');
      await client.submit(prompt, { promptId });
      assert.equal((await client.waitForTerminal(promptId, { timeoutMs: 10_000 })).status, 'success');
      const again = await client.submit(prompt, { promptId });
      assert.equal(again.alreadySubmitted, version === '0.38.1');
      const result = await client.waitForTerminal(promptId, { timeoutMs: 10_000 });
      assert.equal(result.status, 'success');
      assert.equal(result.source, version === '0.38.1' ? 'history' : 'live');
    });

    it(version === '0.8.0' ? 'accepts any prompt id string' : 'rejects a non-UUID prompt id with invalid_prompt_id', async () => {
      const { client } = await setup(version);
      const attempt = client.submit(slowPrompt(1, 1), { promptId: 'not-a-uuid' });
      if (version === '0.8.0') {
        assert.equal((await attempt).promptId, 'not-a-uuid');
        assert.equal((await client.waitForTerminal('not-a-uuid', { timeoutMs: 10_000 })).status, 'success');
        return;
      }
      const error = await attempt.catch((e: unknown) => e);
      assert.ok(error instanceof ComfyRequestError);
      assert.deepEqual([error.code, error.responseStatus], ['invalid_prompt', 400]);
      assert.equal((error.body as { error: { type: string } }).error.type, 'invalid_prompt_id');
    });

    it('upload then view returns the same bytes, and LoadImage can use the upload', async () => {
      const { client } = await setup(version);
      const recorded = httpEntries(loadScenario('09-upload-loadimage')).find((e) => e.request.path === '/upload/image' && e.response.status === 200);
      assert.ok(recorded, 'the 0.8.0 recording has an accepted upload');
      const part = (recorded.request.body as { multipart: Array<{ base64?: string }> }).multipart[0];
      const png = Buffer.from(part?.base64 ?? '', 'base64');
      const uploaded = await client.upload(png, 'roundtrip.png', { subfolder: 'seat01', overwrite: true });
      assert.deepEqual(uploaded, { name: 'roundtrip.png', subfolder: 'seat01', type: 'input' });
      const viewed = await client.view({ filename: uploaded.name, subfolder: uploaded.subfolder, type: uploaded.type });
      assert.deepEqual(Buffer.from(await viewed.arrayBuffer()), png);

      const promptId = randomUUID();
      await client.submit(
        {
          '1': { class_type: 'LoadImage', inputs: { image: 'seat01/roundtrip.png' } },
          '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'fromupload' } },
        },
        { promptId },
      );
      assert.equal((await client.waitForTerminal(promptId, { timeoutMs: 10_000 })).status, 'success');
    });

    it('reads system stats, features and the cached object_info', async () => {
      const { client, requests } = await setup(version);
      assert.ok((await client.systemStats()).devices.length > 0);
      assert.equal((await client.features())['supports_preview_metadata'], true);
      const info = await client.objectInfo();
      assert.equal(info['SaveImage']?.output_node, true);
      await client.objectInfo();
      assert.equal(requests.filter((r) => r === 'GET /object_info').length, 1);
    });
  });
}
