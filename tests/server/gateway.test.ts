/**
 * The seat gateway against a simulated UI upstream ComfyUI (--multi-user):
 * HTTP and WebSocket pass-through as the seat's ComfyUI user, /view from the
 * seat's store or passed through, uploads copied into the seat's input folder,
 * escape attempts refused; and the header hygiene against an echoing upstream.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { OutputFile } from '../../lib/job.ts';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { call, type Credentials, loginAdmin, loginSeat, PROMPT, startTestServer, type TestServer } from './harness.ts';

/** A request with the path exactly as written (fetch would normalise "..", "%2e%2e" and backslashes). */
function rawRequest(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cookieOf = (who: Credentials): string => (who as { cookie: string }).cookie;

async function until<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('seat gateway with a simulated ComfyUI upstream', () => {
  let sim: SimulatorHandle;
  let t: TestServer;
  let a: Credentials;
  let b: Credentials;
  let admin: Credentials;

  before(async () => {
    sim = await startSimulator({ multiUser: true });
    t = await startTestServer({ config: { ui_upstream: { url: sim.url } } });
    a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    b = await loginSeat(t.url, 'user02', t.codes.get('user02')!);
    admin = await loginAdmin(t.url);
  });
  after(async () => {
    await t.close();
    await sim.close();
  });

  it('a Run that reaches the gateway itself (extension not loaded) is refused, never run on the UI upstream', async () => {
    for (const path of ['/user/user01/prompt', '/user/user01/api/prompt']) {
      const answer = await call(t.url, 'POST', path, { auth: a, body: { prompt: PROMPT, client_id: 'x' } });
      assert.equal(answer.status, 400);
      const body = answer.body as { error: { type: string; message: string }; node_errors: object };
      assert.equal(body.error.type, 'comfy_multi_extension_missing');
      assert.match(body.error.message, /Reload the page/);
      assert.deepEqual(body.node_errors, {});
    }
    const history = (await (await fetch(`${sim.url}/history`)).json()) as object;
    assert.deepEqual(history, {}, 'nothing ran on the UI upstream');
  });

  it('creates one ComfyUI user per seat on the upstream and remembers the ids', async () => {
    const users = await until(async () => {
      const listed = (await (await fetch(`${sim.url}/users`)).json()) as { users: Record<string, string> };
      return Object.keys(listed.users).length === 3 ? listed.users : null;
    }, 'the seats’ users');
    assert.deepEqual(Object.values(users).sort(), ['user01', 'user02', 'user03']);
    const id = t.server.seats.get('user01')!.comfyUserId;
    assert.equal(users[id!], 'user01');
  });

  it('passes HTTP through as the seat’s ComfyUI user: userdata is isolated per seat', async () => {
    const path = '/user/user01/api/userdata/workflows%2Fmine.json';
    const browser = { origin: t.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' };
    const saved = await call(t.url, 'POST', path, { auth: a, raw: '{"seat":"A"}', headers: browser });
    assert.equal(saved.status, 200, saved.text);
    await call(t.url, 'POST', '/user/user02/api/userdata/workflows%2Fmine.json', { auth: b, raw: '{"seat":"B"}', headers: browser });
    assert.deepEqual((await call(t.url, 'GET', path, { auth: a })).body, { seat: 'A' });
    assert.deepEqual((await call(t.url, 'GET', '/user/user02/api/userdata/workflows%2Fmine.json', { auth: b })).body, { seat: 'B' });
    // The upstream itself stored A's file under A's user id.
    const direct = await fetch(`${sim.url}/userdata/workflows%2Fmine.json`, { headers: { 'comfy-user': t.server.seats.get('user01')!.comfyUserId! } });
    assert.deepEqual(await direct.json(), { seat: 'A' });
    assert.equal((await call(t.url, 'GET', '/user/user01/api/settings', { auth: a })).status, 200, 'settings answer: the user exists upstream');
  });

  it('answers users, config and the trailing-slash redirect itself', async () => {
    assert.deepEqual((await call(t.url, 'GET', '/user/user01/api/users', { auth: a })).body, { storage: 'server', migrated: true });
    assert.deepEqual((await call(t.url, 'GET', '/user/user01/users', { auth: a })).body, { storage: 'server', migrated: true });
    assert.deepEqual((await call(t.url, 'GET', '/user/user01/comfy-multi/config.json', { auth: a })).body, {
      api_base: '/api/v1',
      events_url: '/api/v1/events',
      seat: 'user01',
      name: 'user01',
      version: 1,
    });
    const redirect = await call(t.url, 'GET', '/user/user01?x=1', { auth: a });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/user/user01/?x=1');
    assert.equal((await call(t.url, 'GET', '/user/user01/api/system_stats', { auth: b })).status, 403);
    assert.equal((await call(t.url, 'GET', '/user/user01/api/system_stats', { auth: admin })).status, 200);
    assert.equal((await call(t.url, 'GET', '/user/user09/', { auth: admin })).status, 404);
  });

  it('passes the WebSocket through both ways for the seat, refuses it for others', async () => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/user/user01/ws?clientId=gateway-test`, { headers: { cookie: cookieOf(a) } });
    const [first] = (await once(ws, 'message')) as [Buffer];
    const status = JSON.parse(first.toString()) as { type: string; data: { sid: string } };
    assert.equal(status.type, 'status');
    assert.equal(status.data.sid, 'gateway-test', 'the clientId reached the upstream');
    // Client to upstream: ComfyUI answers a first feature_flags message with its own.
    ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
    const [reply] = (await once(ws, 'message')) as [Buffer];
    assert.equal((JSON.parse(reply.toString()) as { type: string }).type, 'feature_flags');
    ws.close();
    await once(ws, 'close');
    for (const auth of [undefined, b]) {
      const refused = new WebSocket(`${t.url.replace('http', 'ws')}/user/user01/ws`, { headers: auth ? { cookie: cookieOf(auth) } : {} });
      refused.on('error', () => {}); // terminate() on a refused handshake reports one
      const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(response.statusCode, auth ? 403 : 401);
      refused.terminate();
    }
  });

  it('serves /view from the seat’s store for its own jobs and passes everything else through', async () => {
    const answer = await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } });
    const id = (answer.body as { id: string }).id;
    await t.server.queue.claimNext('gpu0');
    const outputs = t.server.app.cm.outputs;
    const ref: OutputFile = outputs.refFor('user01', id, 'gpu0', { filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }, '9', 'images');
    const bytes = Buffer.from('seat store bytes');
    await outputs.write('user01', ref, Readable.from([bytes]));
    await t.server.queue.markSucceeded(id, [ref]);

    const query = `filename=ComfyUI_00001_.png&subfolder=${encodeURIComponent(ref.subfolder)}&type=output&rand=0.5`;
    const own = await fetch(`${t.url}/user/user01/api/view?${query}`, { headers: { cookie: cookieOf(a) } });
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await own.arrayBuffer()), bytes);
    const plain = await fetch(`${t.url}/user/user01/view?${query}`, { headers: { cookie: cookieOf(a) } });
    assert.deepEqual(Buffer.from(await plain.arrayBuffer()), bytes);
    // Seat B naming A's job id is passed through: the upstream has no such file.
    const other = await fetch(`${t.url}/user/user02/api/view?${query}`, { headers: { cookie: cookieOf(b) } });
    assert.equal(other.status, 404);
    assert.notDeepEqual(Buffer.from(await other.arrayBuffer()), bytes);
  });

  it('uploads go upstream under the seat’s own folder and a copy lands in the seat’s input folder, sub-folder kept', async () => {
    const png = Buffer.from(await (await fetch(`${sim.url}/view?filename=example.png&type=input`)).arrayBuffer());
    const form = new FormData();
    form.set('image', new Blob([png], { type: 'image/png' }), 'photo.png');
    form.set('subfolder', 'pets');
    form.set('type', 'input');
    const uploaded = await fetch(`${t.url}/user/user01/api/upload/image`, { method: 'POST', body: form, headers: { cookie: cookieOf(a) } });
    assert.equal(uploaded.status, 200);
    assert.deepEqual(await uploaded.json(), { name: 'photo.png', subfolder: 'user01/pets', type: 'input' });
    assert.deepEqual(await readFile(join(t.dataDir, 'inputs', 'user01', 'pets', 'photo.png')), png);
    const viaUpstream = await fetch(`${t.url}/user/user01/view?filename=photo.png&subfolder=user01/pets&type=input`, { headers: { cookie: cookieOf(a) } });
    assert.deepEqual(Buffer.from(await viaUpstream.arrayBuffer()), png, 'the upstream has it too (the widget preview)');

    const list = (await (await fetch(`${t.url}/user/user02/api/object_info/LoadImage`, { headers: { cookie: cookieOf(b) } })).json()) as {
      LoadImage: { input: { required: { image: [string[]] } } };
    };
    assert.ok(!list.LoadImage.input.required.image[0].some((name) => name.includes('photo.png')), "another seat's LoadImage list does not show it");
    const peek = await fetch(`${t.url}/user/user02/view?filename=photo.png&subfolder=user01/pets&type=input`, { headers: { cookie: cookieOf(b) } });
    assert.equal(peek.status, 404, "another seat cannot view it");
  });

  it('refuses paths and queries that try to escape, before anything is proxied', async () => {
    const headers = { cookie: cookieOf(a) };
    for (const path of [
      '/user/user01/../../api/v1/queue',
      '/user/user01/%2e%2e/%2e%2e/etc/passwd',
      '/user/user01/.%2E/x',
      '/user/user01/api/userdata/..%2f..%2fsecret',
      '/user/user01/a\\..\\b',
      '/user/user01/a%5cb',
      '/user/user01/x%00y',
      '/user/user01/view?filename=..%2f..%2fqueue.db&type=output',
      '/user/user01/api/view?filename=a.png&subfolder=../..',
      '/user/user01/api/view?filename=a.png&subfolder=%2fetc',
      '/user/user01/api/userdata?dir=..%5c..',
    ]) {
      const answer = await rawRequest(t.url, path, headers);
      assert.ok(answer.status === 400 || answer.status === 403, `${path}: ${answer.status} ${answer.body.slice(0, 100)}`);
      assert.match(answer.body, /"error":\{"code"/);
    }
  });
});

describe('seat gateway header hygiene', () => {
  let echo: Server;
  let seen: IncomingHttpHeaders[] = [];
  let t: TestServer;

  before(async () => {
    echo = createServer((req, res) => {
      if (req.url === '/users') return res.end(JSON.stringify({ storage: 'server', migrated: true }));
      seen.push(req.headers);
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere', 'set-cookie': 'upstream=1' });
        return res.end();
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    t = await startTestServer({ config: { ui_upstream: { url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` } } });
  });
  after(async () => {
    await t.close();
    echo.close();
  });

  it('sends Comfy-User, and never the participant’s cookies, credentials or browser origin', async () => {
    const a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    seen = [];
    const answer = await call(t.url, 'GET', '/user/user01/api/object_info?x=1', {
      headers: { cookie: `${cookieOf(a)}; other=1`, 'comfy-user': 'user02', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    assert.deepEqual(answer.body, { url: '/api/object_info?x=1' });
    const headers = seen[0]!;
    assert.equal(headers['comfy-user'], 'user01', 'single-user upstream: the seat id; never the client’s own value');
    for (const name of ['cookie', 'authorization', 'origin', 'sec-fetch-site']) assert.equal(headers[name], undefined, name);
    const moved = await call(t.url, 'GET', '/user/user01/moved', { auth: a });
    assert.equal(moved.headers.get('location'), '/user/user01/elsewhere');
    assert.equal(moved.headers.get('set-cookie'), null);
  });
});
