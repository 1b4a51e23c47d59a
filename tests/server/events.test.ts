/**
 * The events WebSocket: envelopes, per-seat filtering, admin sees all, binary
 * previews, resume from (stream, since), snapshots otherwise. Pool events come
 * from a plain TypedEmitter<PoolEvents>, exactly as the worker pool emits them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../lib/job.ts';
import type { PoolEvents, WorkerView } from '../../lib/pool/types.ts';
import { TypedEmitter } from '../../lib/typed-emitter.ts';
import type { PoolHandle } from '../../server/context.ts';
import { call, createToken, type Credentials, EventClient, loginAdmin, loginSeat, PROMPT, startTestServer, type TestServer } from './harness.ts';

type Json = Record<string, unknown>;

function workerView(state: WorkerView['state'], currentJob: string | null = null): WorkerView {
  return {
    id: 'gpu0',
    url: 'http://127.0.0.1:1',
    provider: 'local',
    state,
    currentJob,
    currentSeat: null,
    progress: null,
    owner: 'test',
    health: [{ at: Date.now(), ok: true, ms: 3 }],
    system: null,
    jobsDone: 0,
    busyMs: 0,
  };
}

describe('events WebSocket', () => {
  let t: TestServer;
  let a: Credentials;
  let b: Credentials;
  let admin: Credentials;
  const events = new TypedEmitter<PoolEvents>();
  const pool: PoolHandle = {
    events,
    workers: () => [workerView('ready')],
    drain: async () => workerView('draining'),
    enable: async () => workerView('ready'),
    stop: async () => {},
  };
  const submit = async (who: Credentials): Promise<Job> => {
    const answer = await call(t.url, 'POST', '/api/v1/jobs', { auth: who, body: { prompt: PROMPT } });
    return t.server.queue.get((answer.body as { id: string }).id);
  };

  before(async () => {
    t = await startTestServer({ pool });
    a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    b = await loginSeat(t.url, 'user02', t.codes.get('user02')!);
    admin = await loginAdmin(t.url);
  });
  after(() => t.close());

  it('hello then a snapshot with only the seat’s own jobs; job and anonymised queue updates follow', async () => {
    const older = await submit(b);
    const ca = await EventClient.open(t.url, '/api/v1/events', a);
    const cb = await EventClient.open(t.url, '/api/v1/events', b);
    try {
      const hello = await ca.next((e) => e['type'] === 'hello');
      assert.equal(ca.envelopes[0], hello, 'hello is the first frame');
      assert.deepEqual({ v: hello['v'], role: hello['role'], seat: hello['seat'], resumed: hello['resumed'] }, { v: 1, role: 'seat', seat: 'user01', resumed: false });
      const snapshot = await ca.next((e) => e['type'] === 'snapshot');
      assert.ok((snapshot['jobs'] as Json[]).every((j) => j['seat'] === 'user01'));
      assert.ok(!(snapshot['jobs'] as Json[]).some((j) => j['id'] === older.id));
      assert.ok(Array.isArray(snapshot['announcements']));

      const mine = await submit(a);
      const jobEnvelope = await ca.next((e) => e['type'] === 'job' && (e['job'] as Json)['id'] === mine.id);
      assert.equal((jobEnvelope['job'] as Json)['state'], 'queued');
      const queue = await cb.next((e) => e['type'] === 'queue' && ((e['queue'] as Json)['entries'] as Json[]).length >= 2);
      const entries = (queue['queue'] as Json)['entries'] as Json[];
      assert.ok(entries.some((e) => e['id'] === older.id && e['mine'] === true));
      assert.ok(!entries.some((e) => e['id'] === mine.id), 'another seat’s job is anonymous');
      await assert.rejects(cb.next((e) => e['type'] === 'job' && (e['job'] as Json)['id'] === mine.id, 300));
      const seqs = ca.envelopes.filter((e) => e['type'] !== 'hello' && e['type'] !== 'snapshot').map((e) => e['seq'] as number);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'sequence numbers only grow');
    } finally {
      await ca.close();
      await cb.close();
    }
  });

  it('ComfyUI events and previews reach the job’s seat and the admin, never another seat; workers reach only the admin', async () => {
    const job = await submit(a);
    const ca = await EventClient.open(t.url, '/api/v1/events', a);
    const cb = await EventClient.open(t.url, '/api/v1/events', b);
    const cadmin = await EventClient.open(t.url, '/api/v1/events', admin);
    try {
      await Promise.all([ca, cb, cadmin].map((c) => c.next((e) => e['type'] === 'snapshot')));
      events.emit('job.comfy', { job, type: 'progress', data: { value: 3, max: 20, prompt_id: job.id, node: '3' } });
      const seen = await ca.next((e) => e['type'] === 'comfy');
      assert.deepEqual({ job_id: seen['job_id'], event: seen['event'], data: seen['data'] }, {
        job_id: job.id,
        event: 'progress',
        data: { value: 3, max: 20, prompt_id: job.id, node: '3' },
      });
      await cadmin.next((e) => e['type'] === 'comfy' && e['job_id'] === job.id);

      const image = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
      const meta = { nodeId: '3', displayNodeId: '3', parentNodeId: null, realNodeId: '3', imageType: 'image/jpeg' };
      const frame = ca.nextBinary();
      const adminFrame = cadmin.nextBinary();
      events.emit('job.preview', { job: { ...job, worker: 'gpu0' }, meta, image });
      const received = await frame;
      const length = received.readUInt32BE(0);
      const header = JSON.parse(received.subarray(4, 4 + length).toString()) as Json;
      assert.deepEqual(header, { v: 1, type: 'preview', job_id: job.id, node_id: '3', display_node_id: '3', parent_node_id: null, real_node_id: '3', image_type: 'image/jpeg' });
      assert.deepEqual(received.subarray(4 + length), image);
      await adminFrame;

      events.emit('worker.changed', workerView('busy', job.id));
      const worker = await cadmin.next((e) => e['type'] === 'worker');
      assert.equal((worker['worker'] as Json)['state'], 'busy');
      assert.equal((worker['worker'] as Json)['last_preview_url'], '/api/v1/admin/workers/gpu0/preview');
      const preview = await fetch(`${t.url}/api/v1/admin/workers/gpu0/preview`, { headers: { cookie: (admin as { cookie: string }).cookie } });
      assert.equal(preview.headers.get('content-type'), 'image/jpeg');
      assert.deepEqual(Buffer.from(await preview.arrayBuffer()), image);

      await assert.rejects(cb.next((e) => e['type'] === 'comfy' || e['type'] === 'worker', 300));
      assert.equal(cb.binary.length, 0);
      assert.ok(!ca.envelopes.some((e) => e['type'] === 'worker'));
      const metrics = (await call(t.url, 'GET', '/metrics')).text;
      assert.match(metrics, /comfy_multi_events_sent_total\{type="comfy"\} [1-9]/);
      assert.match(metrics, /comfy_multi_events_sent_total\{type="preview"\} [1-9]/);
      assert.match(metrics, /comfy_multi_workers\{state="ready"\} 1/);
    } finally {
      await Promise.all([ca.close(), cb.close(), cadmin.close()]);
    }
  });

  it('a reconnect with the same stream and since gets exactly the missed envelopes; otherwise a snapshot', async () => {
    const job = await submit(a);
    const first = await EventClient.open(t.url, '/api/v1/events', a);
    const hello = await first.next((e) => e['type'] === 'hello');
    await first.next((e) => e['type'] === 'snapshot');
    events.emit('job.comfy', { job, type: 'executing', data: { node: '1', prompt_id: job.id } });
    const last = await first.next((e) => e['type'] === 'comfy' && (e['data'] as Json)['node'] === '1');
    await first.close();

    events.emit('job.comfy', { job, type: 'executing', data: { node: '2', prompt_id: job.id } });
    events.emit('job.comfy', { job, type: 'execution_success', data: { prompt_id: job.id } });
    const stream = hello['stream'] as string;
    const resumed = await EventClient.open(t.url, `/api/v1/events?since=${last['seq']}&stream=${stream}`, a);
    try {
      const again = await resumed.next((e) => e['type'] === 'hello');
      assert.equal(again['resumed'], true);
      const success = await resumed.next((e) => e['type'] === 'comfy' && e['event'] === 'execution_success');
      const comfy = resumed.envelopes.filter((e) => e['type'] === 'comfy');
      assert.deepEqual(comfy.map((e) => (e['data'] as Json)['node'] ?? e['event']), ['2', 'execution_success']);
      assert.ok((success['seq'] as number) > (last['seq'] as number));
      assert.ok(!resumed.envelopes.some((e) => e['type'] === 'snapshot'));
    } finally {
      await resumed.close();
    }

    const other = await EventClient.open(t.url, `/api/v1/events?since=1&stream=not-this-one`, a);
    try {
      assert.equal((await other.next((e) => e['type'] === 'hello'))['resumed'], false);
      await other.next((e) => e['type'] === 'snapshot');
    } finally {
      await other.close();
    }
  });

  it('after more than 2,000 envelopes the ring has forgotten: a resume becomes a snapshot', async () => {
    const job = await submit(b);
    const client = await EventClient.open(t.url, '/api/v1/events', a);
    const hello = await client.next((e) => e['type'] === 'hello');
    await client.close();
    for (let i = 0; i < 2100; i++) events.emit('job.comfy', { job, type: 'progress', data: { value: i, max: 2100, prompt_id: job.id } });
    const late = await EventClient.open(t.url, `/api/v1/events?since=${hello['seq']}&stream=${hello['stream']}`, a);
    try {
      assert.equal((await late.next((e) => e['type'] === 'hello'))['resumed'], false);
      await late.next((e) => e['type'] === 'snapshot');
    } finally {
      await late.close();
    }
  });

  it('announcements reach everyone; tokens work with ?token=; anonymous sockets are refused with 401', async () => {
    const ca = await EventClient.open(t.url, '/api/v1/events', a);
    const token = await createToken(t.url, admin, 'seat', 'user02');
    const viaToken = await EventClient.open(t.url, `/api/v1/events?token=${token.token}`);
    try {
      assert.equal((await viaToken.next((e) => e['type'] === 'hello'))['seat'], 'user02');
      await call(t.url, 'POST', '/api/v1/admin/announcements', { auth: admin, body: { text: 'Lunch!' } });
      for (const client of [ca, viaToken]) {
        const got = await client.next((e) => e['type'] === 'announcement');
        assert.equal((got['announcement'] as Json)['text'], 'Lunch!');
      }
      const cb = await EventClient.open(t.url, '/api/v1/events', b);
      const snapshot = await cb.next((e) => e['type'] === 'snapshot');
      await cb.close();
      assert.ok((snapshot['announcements'] as Json[]).some((x) => x['text'] === 'Lunch!'));
    } finally {
      await ca.close();
      await viaToken.close();
    }
    await assert.rejects(EventClient.open(t.url, '/api/v1/events'), /401/);
    await assert.rejects(EventClient.open(t.url, '/api/v1/events?token=cmt_wrong'), /401/);
    const plain = await call(t.url, 'GET', '/api/v1/events', { auth: a });
    assert.equal(plain.status, 400);
  });
});
