/**
 * A fuzz pass over every endpoint (every operation of the OpenAPI document,
 * plus the gateway, login and static paths): random path parameters, queries,
 * JSON and non-JSON bodies, wrong content types, oversized bodies, bad cookies
 * and tokens. The server must never answer 5xx, every API error must have the
 * one error shape, and the server must still be healthy afterwards.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { call, loginAdmin, loginSeat, oneWorkerPool, startTestServer, type TestServer } from './harness.ts';

const LIMIT = 64 * 1024;


interface Answer {
  status: number;
  type: string;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before reading a huge body: that is fine.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? resolve({ status: 413, type: '', body: '' }) : reject(error)));
    req.end(body);
  });
}

const segment = fc.oneof(
  fc.uuid().map((u) => u.toLowerCase()),
  fc.constantFrom('user01', 'user02', 'gpu0', '..', '%2e%2e', '.%2E', '%00', '%5c', '%ff', '%', 'a%2fb', '~', '%20', encodeURIComponent('ünï'), 'x'.repeat(300)),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const query = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.constantFrom('state', 'seat', 'limit', 'cursor', 'since', 'stream', 'token', 'download', 'filename', 'subfolder', 'type', 'code', 'next'), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('../..', '-1', '1e309', 'queued,flying', '%zz'))).map(
    (q) => `?${Object.entries(q).map(([k, v]) => `${k}=${v.includes('%') ? v.replace(/[^\x21-\x7e]/g, encodeURIComponent) : encodeURIComponent(v)}`).join('&')}`,
  ),
);
const jsonBody = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.constantFrom('{"prompt": {"1": {"class_type": "X"}}}', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}', '{"seat": "user02", "priority": "instructor", "prompt": {}}', 'null', '[]', '{', '"'),
);
const bodyKind = fc.oneof(
  fc.record({ type: fc.constant('application/json'), body: jsonBody }),
  fc.record({ type: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', ''), body: fc.string({ maxLength: 200 }) }),
  fc.record({ type: fc.constant('application/json'), body: fc.constant('huge') }),
  fc.constant(null),
);

describe('fuzz: malformed requests never make the server fail', () => {
  let t: TestServer;
  let echo: Server;
  let templates: { method: string; path: string }[];
  let credentials: Record<string, string>[];
  const { pool } = oneWorkerPool();

  before(async () => {
    // An upstream that always answers 200, so any 5xx through the gateway would be the server's own.
    echo = createServer((req, res) => {
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/users' ? '{"storage":"server","migrated":true}' : '{"name":"x.png","subfolder":"","type":"output"}');
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    t = await startTestServer({
      pool,
      config: {
        ui_upstream: { url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` },
        limits: { body_bytes: LIMIT, upload_bytes: LIMIT, login_per_ip_per_minute: 100_000, login_failures_per_seat: 100_000 },
      },
    });
    const doc = (await call(t.url, 'GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    templates = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
    for (const extra of ['/user/{seat}', '/user/{seat}/{path}', '/user/{seat}/api/view', '/user/{seat}/upload/image', '/user/{seat}/comfy-multi/config.json', '/login', '/admin/{path}', '/', '/nothing/{path}']) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) templates.push({ method, path: extra });
    }
    const a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    const admin = await loginAdmin(t.url);
    credentials = [
      {},
      { cookie: a.cookie },
      { cookie: admin.cookie },
      { cookie: 'cm_seat=garbage; cm_admin=%%%' },
      { cookie: `cm_seat=${'A'.repeat(5000)}` },
      { cookie: '=;;;=,"\\' },
      { authorization: 'Bearer cmt_nope' },
      { authorization: 'Basic Zm9vOmJhcg==' },
      { authorization: 'Bearer' },
    ];
  });
  after(async () => {
    await t.close();
    echo.close();
    agent.destroy();
  });

  it('never answers 5xx and always uses the error shape for API errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(segment, { minLength: 3, maxLength: 3 }), query, bodyKind, fc.nat(), async (pick, segments, q, body, who) => {
        const template = templates[pick % templates.length]!;
        let i = 0;
        const path = template.path.replace(/\{[^}]+\}/g, () => segments[i++ % segments.length]!) + q;
        const headers: Record<string, string> = { ...credentials[who % credentials.length]! };
        let payload: Buffer | undefined;
        if (body) {
          payload = body.body === 'huge' ? Buffer.alloc(LIMIT * 2, 0x20) : Buffer.from(body.body);
          if (body.type) headers['content-type'] = body.type;
          // Node's client would send a GET body without any framing; that case has its own test below.
          headers['content-length'] = String(payload.length);
        }
        const answer = await send(t.url, template.method, path, headers, payload);
        assert.ok(answer.status < 500, `${template.method} ${path} -> ${answer.status} ${answer.body.slice(0, 300)}`);
        if (answer.status >= 400 && answer.type.startsWith('application/json') && path.startsWith('/api/')) {
          const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
          assert.ok(typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string', `${template.method} ${path}: ${answer.body.slice(0, 200)}`);
          assert.doesNotMatch(answer.body, /\bat .*\.ts:\d+/, 'no stack traces');
        }
      }),
      { numRuns: 1500, seed: 424242 },
    );
    assert.equal((await call(t.url, 'GET', '/healthz')).status, 200);
    assert.equal((await call(t.url, 'GET', '/api/v1/queue', { auth: await loginAdmin(t.url) })).status, 200);
  });

  it('bytes Node cannot parse as HTTP still get the error shape', async () => {
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.end('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n{"a body": "without framing"}\r\n\r\n');
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    assert.match(text, /HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\{"error":\{"code":"invalid_request","message":"the request is not valid HTTP"\}\}$/);
  });

  it('an oversized JSON body is a 413 in the error shape', async () => {
    const answer = await send(t.url, 'POST', '/api/v1/jobs', { 'content-type': 'application/json' }, Buffer.alloc(LIMIT + 10, 0x20));
    assert.equal(answer.status, 413);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'body_too_large');
  });
});
