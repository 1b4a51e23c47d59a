/**
 * Every route, called as anonymous, seat A, seat B, the admin, a seat token (A)
 * and an admin token: the expected status for each. The table must cover every
 * operation in the served OpenAPI document, so a new route cannot skip it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { OutputFile } from '../../lib/job.ts';
import { SessionSigner } from '../../server/auth/sessions.ts';
import { ADMIN_PASSWORD, call, createToken, type Credentials, loginAdmin, loginSeat, oneWorkerPool, PROMPT, startTestServer, type TestServer } from './harness.ts';

const CALLERS = ['anonymous', 'seatA', 'seatB', 'admin', 'tokenA', 'tokenAdmin'] as const;
type Caller = (typeof CALLERS)[number];
/** Expected status per caller, in CALLERS order. */
type Row = [number, number, number, number, number, number];

interface Case {
  /** "METHOD /path/{template}" as in openapi.json. */
  op: string;
  /** A concrete URL (fresh resources when the call changes state). */
  url: () => Promise<string> | string;
  body?: unknown;
  expect: Row;
}

const ADMIN_ONLY: Row = [401, 403, 403, 200, 403, 200];
const ANY_USER: Row = [401, 200, 200, 200, 200, 200];
const OWNER: Row = [401, 200, 404, 200, 200, 200];
const PUBLIC: Row = [200, 200, 200, 200, 200, 200];


describe('auth matrix over every route', () => {
  let t: TestServer;
  const who = {} as Record<Caller, Credentials>;
  let finished: string;
  const { pool, events } = oneWorkerPool();

  const jobOfA = async (): Promise<string> => {
    const answer = await call(t.url, 'POST', '/api/v1/jobs', { auth: who.seatA, body: { prompt: PROMPT } });
    return (answer.body as { id: string }).id;
  };

  before(async () => {
    t = await startTestServer({
      pool,
      config: {
        limits: { login_per_ip_per_minute: 1000, login_failures_per_seat: 1000 },
        scheduler: { policy: 'fifo', caps: { max_queued_per_seat: 1000, max_depth: 10_000 } },
      },
    });
    who.anonymous = undefined;
    who.seatA = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    who.seatB = await loginSeat(t.url, 'user02', t.codes.get('user02')!);
    who.admin = await loginAdmin(t.url);
    who.tokenA = await createToken(t.url, who.admin, 'seat', 'user01');
    who.tokenAdmin = await createToken(t.url, who.admin, 'admin');
    // One finished job of seat A with an output file, for the output routes.
    finished = await jobOfA();
    await t.server.queue.claimNext('gpu0');
    const outputs = t.server.app.cm.outputs;
    const ref: OutputFile = outputs.refFor('user01', finished, 'gpu0', { filename: 'a.png', subfolder: '', type: 'output' }, '9', 'images');
    await outputs.write('user01', ref, Readable.from([Buffer.from('png')]));
    await t.server.queue.markSucceeded(finished, [ref]);
    events.emit('job.preview', {
      job: { ...(await t.server.queue.get(finished)), worker: 'gpu0' },
      meta: { nodeId: '9', displayNodeId: '9', parentNodeId: null, realNodeId: '9', imageType: 'image/png' },
      image: new Uint8Array([1, 2, 3]),
    });
  });
  after(() => t.close());

  const cases: Case[] = [
    { op: 'POST /api/v1/session', url: () => '/api/v1/session', body: 'seat-login', expect: PUBLIC },
    { op: 'GET /api/v1/session', url: () => '/api/v1/session', expect: ANY_USER },
    { op: 'DELETE /api/v1/session', url: () => '/api/v1/session', expect: [204, 204, 204, 204, 204, 204] },
    { op: 'POST /api/v1/admin/session', url: () => '/api/v1/admin/session', body: { password: ADMIN_PASSWORD }, expect: PUBLIC },
    // The admin must name the seat (400); everybody else queues for itself.
    { op: 'POST /api/v1/jobs', url: () => '/api/v1/jobs', body: { prompt: PROMPT }, expect: [401, 201, 201, 400, 201, 400] },
    { op: 'GET /api/v1/jobs', url: () => '/api/v1/jobs', expect: ANY_USER },
    { op: 'GET /api/v1/jobs/{id}', url: async () => `/api/v1/jobs/${await jobOfA()}`, expect: OWNER },
    { op: 'POST /api/v1/jobs/{id}/cancel', url: async () => `/api/v1/jobs/${await jobOfA()}/cancel`, expect: OWNER },
    { op: 'PATCH /api/v1/jobs/{id}', url: async () => `/api/v1/jobs/${await jobOfA()}`, body: { priority: 'low' }, expect: ADMIN_ONLY },
    { op: 'GET /api/v1/jobs/{id}/outputs', url: () => `/api/v1/jobs/${finished}/outputs`, expect: OWNER },
    { op: 'GET /api/v1/jobs/{id}/outputs/{path}', url: () => `/api/v1/jobs/${finished}/outputs/${finished}/gpu0/a.png`, expect: OWNER },
    { op: 'GET /api/v1/outputs.zip', url: () => '/api/v1/outputs.zip', expect: ANY_USER },
    { op: 'GET /api/v1/queue', url: () => '/api/v1/queue', expect: ANY_USER },
    { op: 'GET /api/v1/admin/scheduler', url: () => '/api/v1/admin/scheduler', expect: ADMIN_ONLY },
    { op: 'PUT /api/v1/admin/scheduler', url: () => '/api/v1/admin/scheduler', body: { policy: 'fifo' }, expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/pause', url: () => '/api/v1/admin/pause', body: { dispatch: true }, expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/resume', url: () => '/api/v1/admin/resume', body: { dispatch: true }, expect: ADMIN_ONLY },
    { op: 'GET /api/v1/admin/workers', url: () => '/api/v1/admin/workers', expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/workers/{id}/drain', url: () => '/api/v1/admin/workers/gpu0/drain', expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/workers/{id}/enable', url: () => '/api/v1/admin/workers/gpu0/enable', expect: ADMIN_ONLY },
    { op: 'GET /api/v1/admin/workers/{id}/preview', url: () => '/api/v1/admin/workers/gpu0/preview', expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/announcements', url: () => '/api/v1/admin/announcements', body: { text: 'hello' }, expect: ADMIN_ONLY },
    { op: 'GET /api/v1/admin/announcements', url: () => '/api/v1/admin/announcements', expect: ADMIN_ONLY },
    { op: 'GET /api/v1/admin/stats', url: () => '/api/v1/admin/stats', expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/tokens', url: () => '/api/v1/admin/tokens', body: { name: 'x', role: 'admin' }, expect: ADMIN_ONLY },
    { op: 'GET /api/v1/admin/seats', url: () => '/api/v1/admin/seats', expect: ADMIN_ONLY },
    // user03, so the codes and sessions of A and B stay valid for the rest of the table.
    { op: 'POST /api/v1/admin/seats/{seat}/code', url: () => '/api/v1/admin/seats/user03/code', expect: ADMIN_ONLY },
    { op: 'PATCH /api/v1/admin/seats/{seat}', url: () => '/api/v1/admin/seats/user03', body: { name: 'Three' }, expect: ADMIN_ONLY },
    { op: 'POST /api/v1/admin/seats/{seat}/cancel', url: () => '/api/v1/admin/seats/user03/cancel', expect: ADMIN_ONLY },
    { op: 'GET /healthz', url: () => '/healthz', expect: PUBLIC },
    { op: 'GET /readyz', url: () => '/readyz', expect: PUBLIC },
    { op: 'GET /metrics', url: () => '/metrics', expect: PUBLIC },
    { op: 'GET /api/v1/events', url: () => '/api/v1/events', expect: [401, 400, 400, 400, 400, 400] },
    // Not in the OpenAPI document: the document itself, its page, the gateway and the static pages.
    { op: 'GET /api/v1/openapi.json', url: () => '/api/v1/openapi.json', expect: PUBLIC },
    { op: 'GET /api/v1/docs', url: () => '/api/v1/docs', expect: PUBLIC },
    { op: 'GET /user/{seat}/comfy-multi/config.json', url: () => '/user/user01/comfy-multi/config.json', expect: [401, 200, 403, 200, 200, 200] },
    { op: 'GET /user/{seat}/api/users', url: () => '/user/user01/api/users', expect: [401, 200, 403, 200, 200, 200] },
    { op: 'GET /user/{seat}', url: () => '/user/user01', expect: [301, 301, 301, 301, 301, 301] },
    { op: 'GET /login', url: () => '/login', expect: PUBLIC },
    { op: 'GET /', url: () => '/', expect: [302, 302, 302, 302, 302, 302] },
  ];

  it('covers every operation of the OpenAPI document', async () => {
    const doc = (await call(t.url, 'GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const covered = new Set(cases.map((c) => c.op));
    assert.deepEqual(documented.filter((op) => !covered.has(op)), []);
  });

  for (const c of cases) {
    it(c.op, async () => {
      const got: number[] = [];
      for (const caller of CALLERS) {
        const url = await c.url();
        const body = c.body === 'seat-login' ? { seat: 'user02', code: t.codes.get('user02') } : c.body;
        const answer = await call(t.url, c.op.split(' ')[0]!, url, { auth: who[caller], ...(body === undefined ? {} : { body }) });
        got.push(answer.status);
        if (answer.status >= 400) {
          const error = (answer.body as { error?: { code?: unknown; message?: unknown } }).error;
          assert.ok(typeof error?.code === 'string' && typeof error.message === 'string', `${c.op} as ${caller}: error shape, got ${answer.text.slice(0, 200)}`);
        }
      }
      assert.deepEqual(Object.fromEntries(CALLERS.map((caller, i) => [caller, got[i]])), Object.fromEntries(CALLERS.map((caller, i) => [caller, c.expect[i]])));
    });
  }

  it('a seat token cannot act for another seat and a forged or expired cookie is anonymous', async () => {
    const forB = await call(t.url, 'POST', '/api/v1/jobs', { auth: who.tokenA, body: { prompt: PROMPT, seat: 'user02' } });
    assert.equal(forB.status, 403);
    const cookie = (who.seatA as { cookie: string }).cookie;
    const [name, value] = cookie.split('=');
    const [payload, mac] = value!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, s: 'user02' })).toString('base64url');
    assert.equal((await call(t.url, 'GET', '/api/v1/session', { auth: { cookie: `${name}=${forged}.${mac}` } })).status, 401);
    assert.equal((await call(t.url, 'GET', '/api/v1/session', { auth: { cookie: `${name}=garbage` } })).status, 401);
    const signer = await SessionSigner.load(join(t.dataDir, 'session.key'));
    const expired = signer.sign({ ...(claims as { r: 'seat'; g: number }), e: Date.now() - 1000 });
    assert.equal((await call(t.url, 'GET', '/api/v1/session', { auth: { cookie: `${name}=${expired}` } })).status, 401);
    const fresh = signer.sign({ ...(claims as { r: 'seat'; g: number }), e: Date.now() + 60_000 });
    assert.equal((await call(t.url, 'GET', '/api/v1/session', { auth: { cookie: `${name}=${fresh}` } })).status, 200, 'the same claims, unexpired, are accepted');
  });
});
