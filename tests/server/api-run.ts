/**
 * Jobs executed end to end through the server: REST in, the real worker pool on
 * simulated ComfyUI workers, events out to the seat's socket, outputs downloadable
 * by their owner only. Run against SQLite and a real Redis (run-*.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { until } from '../helpers/wait.ts';
import { call, type Credentials, EventClient, loginAdmin, loginSeat, startTestServer, type TestServer } from './harness.ts';

type Json = Record<string, unknown>;

const prompt = (color: number, steps = 3) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
  '2': { class_type: 'RigSlowProgress', inputs: { image: ['1', 0], steps, step_ms: 40, fail_at: -1 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'run' } },
});

export function runSuite(options: { redisUrl?: () => string } = {}): void {
  let sims: SimulatorHandle[];
  let t: TestServer;
  let a: Credentials;
  let b: Credentials;
  let admin: Credentials;

  before(async () => {
    sims = await Promise.all([startSimulator({}), startSimulator({})]);
    t = await startTestServer({ workers: sims.map((s) => s.url), ...(options.redisUrl ? { redisUrl: options.redisUrl() } : {}) });
    a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    b = await loginSeat(t.url, 'user02', t.codes.get('user02')!);
    admin = await loginAdmin(t.url);
    await until(async () => {
      const workers = (await call(t.url, 'GET', '/api/v1/admin/workers', { auth: admin })).body as { workers: Json[] };
      return workers.workers.filter((w) => w['state'] === 'ready').length === 2;
    }, 10_000, 'both workers ready');
  });
  after(async () => {
    await t.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  it('a seat runs a job: ComfyUI events and previews on its socket, the job succeeds, its output downloads', async () => {
    const events = await EventClient.open(t.url, '/api/v1/events', a);
    const other = await EventClient.open(t.url, '/api/v1/events', b);
    try {
      const created = await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: prompt(1), preview_method: 'auto' } });
      assert.equal(created.status, 201, created.text);
      const id = (created.body as Json)['id'] as string;
      await events.next((e) => e['type'] === 'job' && (e['job'] as Json)['id'] === id && (e['job'] as Json)['state'] === 'succeeded', 15_000);
      const comfy = events.envelopes.filter((e) => e['type'] === 'comfy' && e['job_id'] === id).map((e) => e['event']);
      for (const type of ['execution_start', 'progress_state', 'executing', 'progress', 'executed', 'execution_success']) {
        assert.ok(comfy.includes(type), `${type} reached the seat (${comfy.join(',')})`);
      }
      assert.ok(events.binary.length > 0, 'previews arrived as binary frames');
      const executed = events.envelopes.find((e) => e['type'] === 'comfy' && e['job_id'] === id && e['event'] === 'executed')!;
      const image = ((executed['data'] as Json)['output'] as { images: Json[] }).images[0]!;
      assert.ok(String(image['subfolder']).startsWith(id), 'executed points at the seat store copy');
      assert.ok(!other.envelopes.some((e) => e['job_id'] === id), "another seat hears nothing of this job's events");

      const listed = (await call(t.url, 'GET', `/api/v1/jobs/${id}/outputs`, { auth: a })).body as { outputs: Json[] };
      assert.equal(listed.outputs.length, 1);
      const file = await fetch(t.url + String(listed.outputs[0]!['url']), { headers: { cookie: (a as { cookie: string }).cookie } });
      assert.equal(file.status, 200);
      assert.deepEqual(new Uint8Array(await file.arrayBuffer()).subarray(1, 4), new TextEncoder().encode('PNG'));
      const stolen = await fetch(t.url + String(listed.outputs[0]!['url']), { headers: { cookie: (b as { cookie: string }).cookie } });
      assert.equal(stolen.status, 404);
      const zip = await fetch(`${t.url}/api/v1/outputs.zip`, { headers: { cookie: (a as { cookie: string }).cookie } });
      assert.equal(zip.status, 200);
      assert.ok(Buffer.from(await zip.arrayBuffer()).includes(Buffer.from(String(listed.outputs[0]!['filename']))));
    } finally {
      events.socket.close();
      other.socket.close();
    }
  });

  it('cancel of a running job interrupts it on its worker; other jobs still finish', async () => {
    const long = (await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: prompt(2, 40) } })).body as Json;
    const short = (await call(t.url, 'POST', '/api/v1/jobs', { auth: b, body: { prompt: prompt(3) } })).body as Json;
    await until(async () => ((await call(t.url, 'GET', `/api/v1/jobs/${long['id']}`, { auth: a })).body as Json)['state'] === 'running', 10_000, 'running');
    assert.equal((await call(t.url, 'POST', `/api/v1/jobs/${long['id']}/cancel`, { auth: b })).status, 404, 'not your job');
    const cancel = await call(t.url, 'POST', `/api/v1/jobs/${long['id']}/cancel`, { auth: a });
    assert.equal(cancel.status, 200, cancel.text);
    await until(async () => ((await call(t.url, 'GET', `/api/v1/jobs/${long['id']}`, { auth: a })).body as Json)['state'] === 'cancelled', 10_000, 'cancelled');
    await until(async () => ((await call(t.url, 'GET', `/api/v1/jobs/${short['id']}`, { auth: b })).body as Json)['state'] === 'succeeded', 10_000, 'other job done');
    assert.equal(sims.reduce((n, s) => n + s.stats.interrupts, 0), 1);
  });

  it('a prompt with a node no worker has is refused with ComfyUI\'s own body', async () => {
    const answer = await call(t.url, 'POST', '/api/v1/jobs', {
      auth: a,
      body: { prompt: { '1': { class_type: 'NotInstalled', inputs: {} }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } } } },
    });
    assert.equal(answer.status, 400);
    const error = (answer.body as { error: { code: string; field: string; details: { error: { type: string } } } }).error;
    assert.equal(error.code, 'invalid_prompt');
    assert.equal(error.details.error.type, 'missing_node_type');
  });
}
