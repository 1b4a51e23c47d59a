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
import { VerdaProvider } from '../../lib/providers/verda-provider.ts';
import { createQueue } from '../../lib/queue.ts';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { FAST_TIMING, finished, imagePrompt, untilReady } from '../helpers/pool.ts';
import { type FakeVerda, startFakeVerda } from './fake-verda.ts';

const ENV = { VERDA_CLIENT_ID: 'cid-123', VERDA_CLIENT_SECRET: 'secret-456' };

describe('verda provider (against a local fake of the Verda API)', () => {
  let sim: SimulatorHandle;
  let fake: FakeVerda;

  before(async () => {
    sim = await startSimulator();
  });
  after(async () => {
    await sim.close();
  });

  const provider = (overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = ENV) =>
    new VerdaProvider(
      {
        kind: 'verda',
        instance_type: '1H100.80S.22V',
        image: 'ubuntu-24.04-cuda-12.8-open-docker',
        location: 'FIN-01',
        ssh_key_ids: ['key-1'],
        startup_script_id: 'script-comfy',
        hostname_prefix: 'cm-test',
        comfy_ports: [sim.port],
        api_url: fake.url,
        ...overrides,
      },
      { env, pollMs: 5 },
    );

  const withFake = (run: () => Promise<void>) => async () => {
    fake = await startFakeVerda({ clientId: ENV.VERDA_CLIENT_ID, clientSecret: ENV.VERDA_CLIENT_SECRET });
    try {
      await run();
    } finally {
      await fake.close();
    }
  };

  it(
    'start orders an instance, waits until it runs, and its ComfyUI joins the pool and runs a job',
    withFake(async () => {
      fake.addInstance({ hostname: 'someone-elses-box', status: 'running' });
      const verda = provider();
      assert.deepEqual(await verda.listWorkers(), []);
      assert.deepEqual(await verda.capacity(), { running: 0, max: 1 });

      const workers = await verda.startWorkers(1);
      assert.deepEqual(workers, [{ id: `cm-test-1-${sim.port}`, url: sim.url, transport: 'comfyui' }]);
      const deploy = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/instances');
      assert.deepEqual(deploy?.body, {
        instance_type: '1H100.80S.22V',
        image: 'ubuntu-24.04-cuda-12.8-open-docker',
        hostname: 'cm-test-1',
        description: 'comfy-multi ComfyUI worker',
        ssh_key_ids: ['key-1'],
        location_code: 'FIN-01',
        startup_script_id: 'script-comfy',
      });
      const id = [...fake.instances.values()].find((i) => i.hostname === 'cm-test-1')!.id;
      assert.ok(fake.requests.filter((r) => r.path === `/v1/instances/${id}`).length >= 2, 'polled the instance until it ran');
      assert.equal(fake.tokensIssued, 1, 'one token serves every call');
      assert.deepEqual(await verda.capacity(), { running: 1, max: 1 });

      const dir = await mkdtemp(join(tmpdir(), 'cm-verda-'));
      const store = new SqliteQueueStore({ path: join(dir, 'q.db') });
      const queue = await createQueue({ store });
      const outputs = new OutputStore({ root: join(dir, 'outputs') });
      const pool = await createWorkerPool({ queue, provider: verda, outputs, inputs: new InputStager({ root: join(dir, 'inputs') }), timing: FAST_TIMING });
      try {
        await untilReady(pool, 1);
        assert.deepEqual(pool.workers().map((w) => [w.id, w.provider]), [[`cm-test-1-${sim.port}`, 'verda']]);
        const { job } = await queue.submit({ seat: 'user01', prompt: imagePrompt(200, 'verda') });
        const done = await finished(queue, job.id);
        assert.equal(done.state, 'succeeded');
        assert.equal(done.worker, `cm-test-1-${sim.port}`);
        const out = done.outputs[0]!;
        assert.ok(existsSync(outputs.resolve('user01', out.subfolder, out.filename)));
      } finally {
        await pool.stop();
        await queue.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    }),
  );

  it(
    'stop shuts our instance down; the next start boots that instance again instead of ordering one',
    withFake(async () => {
      const verda = provider();
      const [worker] = await verda.startWorkers(1);
      assert.ok(worker);
      await verda.startWorkers(1);
      assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/instances').length, 1, 'a running instance is reused');

      await verda.stopWorker(worker.id);
      const instance = [...fake.instances.values()][0]!;
      assert.deepEqual(fake.requests.at(-1), { method: 'PUT', path: '/v1/instances', body: { action: 'shutdown', id: [instance.id] } });
      assert.deepEqual(await verda.listWorkers(), []);

      assert.deepEqual(await verda.startWorkers(1), [worker]);
      assert.ok(fake.requests.some((r) => r.method === 'PUT' && (r.body as { action?: string }).action === 'start'));
      assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/instances').length, 1, 'still only one instance ever ordered');
      await assert.rejects(verda.stopWorker('cm-test-9-1'), { code: 'not_found' });
    }),
  );

  it(
    'three ports on one instance are three workers; max_instances caps what start orders',
    withFake(async () => {
      const verda = provider({ comfy_ports: [8188, 8189, 8190], max_instances: 1 });
      const workers = await verda.startWorkers(6);
      assert.deepEqual(
        workers.map((w) => [w.id, w.url]),
        [
          ['cm-test-1-8188', 'http://127.0.0.1:8188'],
          ['cm-test-1-8189', 'http://127.0.0.1:8189'],
          ['cm-test-1-8190', 'http://127.0.0.1:8190'],
        ],
      );
      assert.equal(fake.instances.size, 1);
      assert.deepEqual(await verda.capacity(), { running: 3, max: 3 });
    }),
  );

  it(
    'a token that stops working is replaced once, and the call goes through',
    withFake(async () => {
      const verda = provider();
      await verda.listWorkers();
      fake.revokeTokens();
      assert.deepEqual(await verda.listWorkers(), []);
      assert.equal(fake.tokensIssued, 2);
    }),
  );

  it(
    'missing credentials: an error naming the variable, and no request sent',
    withFake(async () => {
      assert.throws(
        () => provider({}, { VERDA_CLIENT_SECRET: 'x' }),
        (error: unknown) => isQueueError(error) && error.message === 'VERDA_CLIENT_ID is not set: create API credentials in the Verda console and export them',
      );
      assert.throws(() => provider({ client_secret_env: 'MY_VERDA_SECRET' }, ENV), /MY_VERDA_SECRET is not set/);
      assert.equal(fake.requests.length, 0);
    }),
  );

  it(
    'rejected credentials: unauthorized, naming the provider and the variables',
    withFake(async () => {
      const verda = provider({}, { ...ENV, VERDA_CLIENT_SECRET: 'wrong' });
      await assert.rejects(verda.listWorkers(), (error: unknown) => {
        assert.ok(isQueueError(error));
        assert.equal(error.code, 'unauthorized');
        assert.match(error.message, /^verda rejected the credentials \(VERDA_CLIENT_ID\/VERDA_CLIENT_SECRET\): unauthorized \(401\): .*Invalid client id or client secret/);
        return true;
      });
      assert.equal(fake.requests.length, 1, 'only the token request');
    }),
  );

  it(
    "API errors carry Verda's own message; unknown or sold-out instance types fail before ordering",
    withFake(async () => {
      fake.failNextDeploy = { status: 400, body: { code: 'invalid_request', message: 'Image ubuntu-99 does not exist' } };
      await assert.rejects(provider().startWorkers(1), (error: unknown) => {
        assert.ok(isQueueError(error));
        assert.equal(error.code, 'invalid_request');
        assert.equal(error.message, 'verda API answered POST /instances with 400: invalid_request: Image ubuntu-99 does not exist');
        return true;
      });
      await assert.rejects(provider({ instance_type: '8Z999' }).startWorkers(1), /verda does not offer instance type "8Z999"; it offers: 1H100\.80S\.22V, /);
      fake.available = false;
      await assert.rejects(provider().startWorkers(1), { code: 'worker_unavailable', message: /verda has no 1H100\.80S\.22V available right now/ });
      assert.equal(fake.instances.size, 0);
    }),
  );

  it(
    'an instance that does not come up is a clear error, not an endless wait',
    withFake(async () => {
      fake.stuckAt = 'provisioning';
      await assert.rejects(provider({ start_timeout_s: 1 }).startWorkers(1), /verda instance cm-test-1 \(.+\) was not running with an IP within 1 s \(last status "provisioning"\)/);
      fake.instances.clear();
      fake.stuckAt = 'no_capacity';
      await assert.rejects(provider().startWorkers(1), /verda instance cm-test-1 \(.+\) went to "no_capacity" while starting/);
    }),
  );
});
