import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isQueueError } from '../../lib/errors.ts';
import { OutputStore } from '../../lib/outputs/output-store.ts';
import { InputStager } from '../../lib/pool/input-stager.ts';
import { createWorkerPool } from '../../lib/pool/worker-pool.ts';
import { ModalProvider } from '../../lib/providers/modal-provider.ts';
import { createQueue } from '../../lib/queue.ts';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { FAST_TIMING, finished, imagePrompt, untilReady } from '../helpers/pool.ts';
import { type FakeModal, startFakeModal } from './fake-modal.ts';

const ENV = { MODAL_PROXY_TOKEN_ID: 'wk-abc123', MODAL_PROXY_TOKEN_SECRET: 'ws-def456' };
const TOKENS = { token_id_env: 'MODAL_PROXY_TOKEN_ID', token_secret_env: 'MODAL_PROXY_TOKEN_SECRET' };

describe('modal provider (a ComfyUI behind a local fake of Modal proxy auth)', () => {
  let sim: SimulatorHandle;

  before(async () => {
    sim = await startSimulator();
  });
  after(async () => {
    await sim.close();
  });

  const withModal = (coldRequests: number, run: (fake: FakeModal) => Promise<void>) => async () => {
    const fake = await startFakeModal({ tokenId: ENV.MODAL_PROXY_TOKEN_ID, tokenSecret: ENV.MODAL_PROXY_TOKEN_SECRET, comfyUrl: sim.url, coldRequests });
    try {
      await run(fake);
    } finally {
      await fake.close();
    }
  };

  it(
    'start wakes the endpoint; a job runs through the pool over HTTP and WebSocket, each carrying Modal-Key/Modal-Secret',
    withModal(2, async (fake) => {
      const modal = new ModalProvider({ kind: 'modal', url: fake.url, ...TOKENS }, { env: ENV, retryMs: 5 });
      const workers = await modal.startWorkers(1);
      assert.deepEqual(workers, [{ id: 'modal-1', url: fake.url, transport: 'comfyui', headers: { 'Modal-Key': 'wk-abc123', 'Modal-Secret': 'ws-def456' } }]);
      assert.deepEqual(fake.refused, [503, 503], 'waited through the cold start');
      assert.deepEqual(fake.relayed, ['/system_stats']);

      const dir = await mkdtemp(join(tmpdir(), 'cm-modal-'));
      const store = new SqliteQueueStore({ path: join(dir, 'q.db') });
      const queue = await createQueue({ store });
      const outputs = new OutputStore({ root: join(dir, 'outputs') });
      const pool = await createWorkerPool({ queue, provider: modal, outputs, inputs: new InputStager({ root: join(dir, 'inputs') }), timing: FAST_TIMING });
      try {
        await untilReady(pool, 1);
        const { job } = await queue.submit({ seat: 'user01', prompt: imagePrompt(90, 'modal') });
        const done = await finished(queue, job.id);
        assert.equal(done.state, 'succeeded');
        const out = done.outputs[0]!;
        assert.ok(existsSync(outputs.resolve('user01', out.subfolder, out.filename)));
        assert.ok(fake.upgrades >= 1, 'the WebSocket went through the proxy');
        assert.deepEqual(fake.refused, [503, 503], 'no request of the pool was refused');
        assert.ok(fake.relayed.some((path) => path.startsWith('/prompt')));
      } finally {
        await pool.stop();
        await queue.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
      const bare = await fetch(`${fake.url}/system_stats`);
      assert.equal(bare.status, 401, 'the fake does refuse requests without the headers');
      assert.equal(await bare.text(), 'modal-http: missing credentials for proxy authorization');
    }),
  );

  it(
    'stop is a no-op (Modal scales to zero by itself); capacity comes from the config',
    withModal(0, async (fake) => {
      const modal = new ModalProvider({ kind: 'modal', url: fake.url, slots: 2 }, { env: {} });
      await modal.stopWorker('modal-1');
      assert.deepEqual(await modal.capacity(), { running: 2, max: 2 });
      assert.deepEqual((await modal.listWorkers()).map((w) => [w.id, w.headers]), [
        ['modal-1', undefined],
        ['modal-2', undefined],
      ]);
      assert.deepEqual(fake.relayed, []);
    }),
  );

  it(
    'missing token variables: an error naming the variable, and no request sent',
    withModal(0, async (fake) => {
      assert.throws(
        () => new ModalProvider({ kind: 'modal', url: fake.url, ...TOKENS }, { env: { MODAL_PROXY_TOKEN_ID: 'wk-abc123' } }),
        (error: unknown) => isQueueError(error) && /^MODAL_PROXY_TOKEN_SECRET is not set: create a proxy auth token/.test(error.message),
      );
      assert.throws(() => new ModalProvider({ kind: 'modal', url: fake.url, token_id_env: 'ONLY_ONE' }, { env: ENV }), {
        code: 'invalid_request',
        message: 'provider.token_secret_env: token_id_env and token_secret_env go together (both or neither)',
      });
      assert.deepEqual([fake.relayed, fake.refused], [[], []]);
    }),
  );

  it(
    'rejected or missing proxy credentials: unauthorized at once, with Modal’s message',
    withModal(0, async (fake) => {
      const wrong = new ModalProvider({ kind: 'modal', url: fake.url, ...TOKENS }, { env: { ...ENV, MODAL_PROXY_TOKEN_SECRET: 'ws-wrong' }, retryMs: 5 });
      await assert.rejects(wrong.startWorkers(1), (error: unknown) => {
        assert.ok(isQueueError(error));
        assert.equal(error.code, 'unauthorized');
        assert.equal(error.message, 'modal rejected the credentials (MODAL_PROXY_TOKEN_ID/MODAL_PROXY_TOKEN_SECRET): unauthorized (401): modal-http: invalid credentials for proxy authorization');
        return true;
      });
      const none = new ModalProvider({ kind: 'modal', url: fake.url }, { env: {}, retryMs: 5 });
      await assert.rejects(none.startWorkers(1), /modal rejected the credentials \(none configured: set token_id_env and token_secret_env\): unauthorized \(401\): modal-http: missing credentials/);
      assert.deepEqual(fake.refused, [401, 401], 'no retries on a refusal');
    }),
  );

  it(
    'an endpoint that never warms up is a clear error within warm_timeout_s',
    withModal(1_000_000, async (fake) => {
      const modal = new ModalProvider({ kind: 'modal', url: fake.url, warm_timeout_s: 1, ...TOKENS }, { env: ENV, retryMs: 50 });
      await assert.rejects(modal.startWorkers(1), { code: 'worker_unavailable', message: new RegExp(`^modal: ComfyUI at ${fake.url} did not answer within 1 s \\(modal API answered GET /system_stats with 503: modal-http: container is starting\\)`) });
    }),
  );
});
