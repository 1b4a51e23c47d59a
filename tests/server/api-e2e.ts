/**
 * The REST API end to end, written once and run against SQLite and against a
 * real Redis (api-sqlite.test.ts, api-redis.test.ts). No worker pool: jobs
 * are submitted, listed, reordered, paused and cancelled, never executed.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { call, createToken, type Credentials, loginAdmin, loginSeat, PROMPT, startTestServer, type TestServer } from './harness.ts';

type Json = Record<string, unknown>;
const job = (c: { body: unknown }) => c.body as Json;

export function apiSuite(options: { redisUrl?: () => string } = {}): void {
  let t: TestServer;
  let a: Credentials;
  let b: Credentials;
  let admin: Credentials;

  before(async () => {
    t = await startTestServer(options.redisUrl ? { redisUrl: options.redisUrl() } : {});
    a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    b = await loginSeat(t.url, 'user02', t.codes.get('user02')!);
    admin = await loginAdmin(t.url);
  });
  after(() => t.close());

  it('a seat submits, sees its position and ETA fields, and reads the job back', async () => {
    const created = await call(t.url, 'POST', '/api/v1/jobs', {
      auth: a,
      body: { prompt: PROMPT, workflow: { extra: { name: 'first.json' } }, preview_method: 'auto', partial_execution_targets: ['2'] },
    });
    assert.equal(created.status, 201, created.text);
    const body = job(created);
    assert.match(String(body['id']), /^[0-9a-f-]{36}$/);
    assert.equal(body['seat'], 'user01');
    assert.equal(body['state'], 'queued');
    assert.equal(body['title'], 'first.json');
    assert.equal(typeof body['position'], 'number');
    assert.ok('eta' in body && 'eta_start' in body);
    const read = await call(t.url, 'GET', `/api/v1/jobs/${body['id']}`, { auth: a });
    assert.equal(read.status, 200);
    assert.deepEqual((read.body as Json)['prompt'], PROMPT);
    assert.deepEqual((read.body as Json)['workflow'], { extra: { name: 'first.json' } });
  });

  it('the same client_request_id answers 200 with the first job', async () => {
    const first = await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT, client_request_id: 'req-1' } });
    const again = await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT, client_request_id: 'req-1' } });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.equal(job(again)['id'], job(first)['id']);
  });

  it('lists: a seat sees only its own jobs, the admin all, with state filter and cursor paging', async () => {
    await call(t.url, 'POST', '/api/v1/jobs', { auth: b, body: { prompt: PROMPT } });
    const mine = await call(t.url, 'GET', '/api/v1/jobs?seat=user02', { auth: a });
    assert.equal(mine.status, 200);
    const jobs = (mine.body as { jobs: Json[] }).jobs;
    assert.ok(jobs.length >= 2);
    assert.ok(jobs.every((j) => j['seat'] === 'user01'), 'a seat never sees another seat’s jobs, whatever ?seat= says');
    const all = await call(t.url, 'GET', '/api/v1/jobs?state=queued', { auth: admin });
    const seats = new Set((all.body as { jobs: Json[] }).jobs.map((j) => j['seat']));
    assert.deepEqual([...seats].sort(), ['user01', 'user02']);
    const page1 = await call(t.url, 'GET', '/api/v1/jobs?limit=1', { auth: admin });
    const cursor = (page1.body as { next_cursor: string }).next_cursor;
    assert.ok(cursor);
    const page2 = await call(t.url, 'GET', `/api/v1/jobs?limit=1&cursor=${encodeURIComponent(cursor)}`, { auth: admin });
    assert.notEqual((page2.body as { jobs: Json[] }).jobs[0]!['id'], (page1.body as { jobs: Json[] }).jobs[0]!['id']);
    const bad = await call(t.url, 'GET', '/api/v1/jobs?state=flying', { auth: admin });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: Json }).error['field'], 'state');
  });

  it('the queue shows a seat its own ids and others as anonymous positions; the admin sees all', async () => {
    const seatView = (await call(t.url, 'GET', '/api/v1/queue', { auth: a })).body as { entries: Json[]; depth: number; policy: string };
    assert.equal(seatView.policy, 'fifo');
    assert.equal(seatView.entries.length, seatView.depth);
    for (const entry of seatView.entries) {
      if (entry['mine']) assert.equal(entry['seat'], 'user01');
      else assert.ok(!('id' in entry) && !('seat' in entry), 'others are anonymous');
    }
    assert.ok(seatView.entries.some((e) => e['mine']) && seatView.entries.some((e) => !e['mine']));
    const adminView = (await call(t.url, 'GET', '/api/v1/queue', { auth: admin })).body as { entries: Json[] };
    assert.ok(adminView.entries.every((e) => typeof e['id'] === 'string'));
  });

  it('the admin moves a job to the front and changes its priority', async () => {
    const last = job(await call(t.url, 'POST', '/api/v1/jobs', { auth: b, body: { prompt: PROMPT } }));
    assert.ok((last['position'] as number) > 1);
    const moved = await call(t.url, 'PATCH', `/api/v1/jobs/${last['id']}`, { auth: admin, body: { position: 1, priority: 'high' } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(job(moved)['position'], 1);
    assert.equal(job(moved)['priority'], 'high');
    const queue = (await call(t.url, 'GET', '/api/v1/queue', { auth: admin })).body as { entries: Json[] };
    assert.equal(queue.entries[0]!['id'], last['id']);
    const bySeat = await call(t.url, 'PATCH', `/api/v1/jobs/${last['id']}`, { auth: b, body: { position: 1 } });
    assert.equal(bySeat.status, 403);
  });

  it('cancel: a seat cancels its own job, 404 for another seat’s, 409 when already finished', async () => {
    const own = job(await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } }));
    assert.equal((await call(t.url, 'POST', `/api/v1/jobs/${own['id']}/cancel`, { auth: b })).status, 404);
    const cancelled = await call(t.url, 'POST', `/api/v1/jobs/${own['id']}/cancel`, { auth: a, headers: { 'content-type': 'application/json' } });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(job(cancelled)['state'], 'cancelled');
    assert.ok(job(cancelled)['finished_at']);
    const again = await call(t.url, 'POST', `/api/v1/jobs/${own['id']}/cancel`, { auth: a });
    assert.equal(again.status, 409);
    assert.equal((again.body as { error: Json }).error['code'], 'invalid_state');
  });

  it('pause stops submissions with a clear 409, resume lets them in again; the scheduler answers its state', async () => {
    const paused = await call(t.url, 'POST', '/api/v1/admin/pause', { auth: admin, body: { submissions: true } });
    assert.deepEqual((paused.body as Json)['paused'], { submissions: true, dispatch: false });
    const refused = await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } });
    assert.equal(refused.status, 409);
    assert.equal((refused.body as { error: Json }).error['code'], 'submissions_paused');
    const resumed = await call(t.url, 'POST', '/api/v1/admin/resume', { auth: admin });
    assert.deepEqual((resumed.body as Json)['paused'], { submissions: false, dispatch: false });
    assert.equal((await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } })).status, 201);
    const state = await call(t.url, 'PUT', '/api/v1/admin/scheduler', { auth: admin, body: { policy: 'round_robin', caps: { max_queued_per_seat: 40 } } });
    assert.equal(state.status, 200, state.text);
    assert.equal((state.body as Json)['policy'], 'round_robin');
    assert.deepEqual((state.body as Json)['caps'], { max_queued_per_seat: 40, max_depth: 500 });
    assert.deepEqual((state.body as { policies: string[] }).policies.sort(), ['fifo', 'priority', 'round_robin']);
    const unknown = await call(t.url, 'PUT', '/api/v1/admin/scheduler', { auth: admin, body: { policy: 'lottery' } });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.body as { error: Json }).error['field'], 'policy');
  });

  it('caps answer 429 with the reason', async () => {
    await call(t.url, 'PUT', '/api/v1/admin/scheduler', { auth: admin, body: { caps: { max_queued_per_seat: 1 } } });
    try {
      await call(t.url, 'POST', '/api/v1/jobs', { auth: b, body: { prompt: PROMPT } });
      const over = await call(t.url, 'POST', '/api/v1/jobs', { auth: b, body: { prompt: PROMPT } });
      assert.equal(over.status, 429);
      assert.equal((over.body as { error: Json }).error['code'], 'seat_cap');
    } finally {
      await call(t.url, 'PUT', '/api/v1/admin/scheduler', { auth: admin, body: { caps: { max_queued_per_seat: 50 } } });
    }
  });

  it('a bad prompt is a 400 naming the field; the admin must name the seat', async () => {
    const bad = await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: { '1': { inputs: {} } } } });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: Json }).error['field'], 'prompt.1.class_type');
    const noSeat = await call(t.url, 'POST', '/api/v1/jobs', { auth: admin, body: { prompt: PROMPT } });
    assert.equal(noSeat.status, 400);
    assert.equal((noSeat.body as { error: Json }).error['field'], 'seat');
    const forSeat = await call(t.url, 'POST', '/api/v1/jobs', { auth: admin, body: { prompt: PROMPT, seat: 'user03', priority: 'instructor' } });
    assert.equal(forSeat.status, 201);
    assert.equal(job(forSeat)['priority'], 'instructor');
  });

  it('admin: seat list, cancel all of a seat, rename, disable, rotate code, announcements, stats, tokens', async () => {
    const seats = (await call(t.url, 'GET', '/api/v1/admin/seats', { auth: admin })).body as { seats: Json[] };
    assert.deepEqual(seats.seats.map((s) => s['seat']), ['user01', 'user02', 'user03']);
    const user02 = seats.seats.find((s) => s['seat'] === 'user02')!;
    assert.ok((user02['queued'] as number) >= 1);
    assert.equal(user02['online'], true);
    assert.equal(user02['url'], `${t.server.publicUrl}/user/user02/`);

    const cancelled = await call(t.url, 'POST', '/api/v1/admin/seats/user02/cancel', { auth: admin });
    assert.ok(((cancelled.body as Json)['cancelled'] as number) >= 1);
    const left = (await call(t.url, 'GET', '/api/v1/jobs?state=queued', { auth: b })).body as { jobs: Json[] };
    assert.equal(left.jobs.length, 0);

    const renamed = await call(t.url, 'PATCH', '/api/v1/admin/seats/user03', { auth: admin, body: { name: 'Ada', disabled: true } });
    assert.equal((renamed.body as Json)['name'], 'Ada');
    const three = await loginSeatStatus(t, 'user03');
    assert.equal(three, 403, 'a disabled seat cannot log in');
    await call(t.url, 'PATCH', '/api/v1/admin/seats/user03', { auth: admin, body: { disabled: false } });

    const rotated = await call(t.url, 'POST', '/api/v1/admin/seats/user03/code', { auth: admin });
    const code = (rotated.body as Json)['code'] as string;
    assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    assert.equal((rotated.body as Json)['url'], `${t.server.publicUrl}/user/user03/?code=${encodeURIComponent(code)}`);
    assert.equal((await call(t.url, 'POST', '/api/v1/session', { body: { seat: 'user03', code: t.codes.get('user03') } })).status, 401);
    assert.equal((await call(t.url, 'POST', '/api/v1/session', { body: { seat: 'user03', code: code.toLowerCase().replaceAll('-', ' ') } })).status, 200);

    const posted = await call(t.url, 'POST', '/api/v1/admin/announcements', { auth: admin, body: { text: 'Break in 5 minutes' } });
    assert.equal((posted.body as Json)['text'], 'Break in 5 minutes');
    const list = (await call(t.url, 'GET', '/api/v1/admin/announcements', { auth: admin })).body as { announcements: Json[] };
    assert.equal(list.announcements.at(-1)!['text'], 'Break in 5 minutes');

    const stats = (await call(t.url, 'GET', '/api/v1/admin/stats', { auth: admin })).body as Json;
    assert.ok(Array.isArray(stats['depth_series']) && (stats['depth_series'] as unknown[]).length >= 1);
    assert.ok(((stats['jobs_per_seat'] as Json)['user01'] as number) >= 1);
    assert.ok(((stats['totals'] as Json)['cancelled'] as number) >= 1);

    const token = await createToken(t.url, admin, 'seat', 'user01');
    const viaToken = await call(t.url, 'GET', '/api/v1/jobs', { auth: token });
    assert.equal(viaToken.status, 200);
    assert.ok((viaToken.body as { jobs: Json[] }).jobs.every((j) => j['seat'] === 'user01'));
    const whoami = await call(t.url, 'GET', '/api/v1/session', { auth: token });
    assert.deepEqual(whoami.body, { role: 'token', seat: 'user01', name: 'user01' });
  });

  it('workers without a pool: an empty list, 503 readiness, 404/503 for drain', async () => {
    assert.deepEqual((await call(t.url, 'GET', '/api/v1/admin/workers', { auth: admin })).body, { workers: [] });
    assert.equal((await call(t.url, 'GET', '/readyz')).status, 503);
    assert.equal((await call(t.url, 'GET', '/healthz')).status, 200);
    assert.equal((await call(t.url, 'POST', '/api/v1/admin/workers/gpu0/drain', { auth: admin })).status, 503);
  });

  it('metrics count jobs by state', async () => {
    const metrics = await call(t.url, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /comfy_multi_jobs\{state="queued"\} \d+/);
    assert.match(metrics.text, /comfy_multi_jobs\{state="cancelled"\} [1-9]/);
  });
}

async function loginSeatStatus(t: TestServer, seat: string): Promise<number> {
  return (await call(t.url, 'POST', '/api/v1/session', { body: { seat, code: t.codes.get(seat) } })).status;
}
