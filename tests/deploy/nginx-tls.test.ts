/**
 * The HTTPS deployment end to end on loopback: the real nginx with the deployment's own
 * template and a certificate from a throw-away CA, in front of the real comfy-multi server
 * started exactly as its container starts it (docker/comfy-multi-entrypoint.sh start with
 * docker/comfy-multi.docker.yaml, Redis store, NUM_WORKERS), with a simulated GPU worker and
 * a simulated --multi-user UI upstream. Everything a participant's browser does goes
 * through nginx: the redirect to HTTPS, the seat link, the API, both WebSockets, uploads,
 * outputs; and the headers nginx adds are checked on the way.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { freePort, type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';
import { PROMPT } from '../server/harness.ts';
import { type Certificates, makeCertificates, type NginxHandle, send, startNginx, type TemplateValues } from './nginx.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN_PASSWORD = 'nginx-test-admin-password';

interface ServerProcess {
  child: ChildProcess;
  /** Seat -> the seat link printed at start, e.g. https://localhost:4431/user/user01/?code=… */
  links: Map<string, string>;
  stop(): Promise<void>;
}

/** `comfy-multi start` through the image's entry point; resolves once it listens. */
async function startComfyMulti(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn('sh', [join(REPO, 'docker/comfy-multi-entrypoint.sh'), 'start'], {
    cwd: REPO,
    env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk));
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`comfy-multi did not start in 20 s: ${out}${err}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk;
      // The codes are printed right after the "listening" line, in the same write.
      if (/comfy-multi listening on/.test(out) && /user03\s+\S+/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`comfy-multi exited with ${code}: ${out}${err}`));
    });
  });
  const links = new Map([...out.matchAll(/^\s+(user\d+)\s+(https:\S+)$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]));
  return { child, links, stop };
}

/** A WebSocket through nginx trusting only the test CA; `next` waits for a matching JSON message. */
async function openSocket(url: string, ca: Buffer, cookie: string) {
  const socket = new WebSocket(url, { ca, family: 4, headers: { cookie } });
  const messages: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of waiters.splice(0)) {
      if (waiter.match(message)) waiter.resolve(message);
      else waiters.push(waiter);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: HTTP ${res.statusCode}`)));
  });
  return {
    socket,
    next(match: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
      const seen = messages.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what}; got ${messages.map((m) => m['type']).join(',')}`)), 10_000);
        waiters.push({
          match,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    async close(): Promise<void> {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await once(socket, 'close');
    },
  };
}

describe('nginx with TLS in front of comfy-multi', { timeout: 60_000 }, () => {
  let dir: string;
  let certs: Certificates;
  let redis: RedisServerHandle;
  let worker: SimulatorHandle;
  let ui: SimulatorHandle;
  let server: ServerProcess;
  let nginx: NginxHandle;
  let values: TemplateValues;
  let https: string;
  let http: string;
  let cookie = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cm-nginx-'));
    const [httpPort, httpsPort, serverPort] = [await freePort(), await freePort(), await freePort()];
    https = `https://localhost:${httpsPort}`;
    http = `http://localhost:${httpPort}`;
    [certs, redis, worker, ui] = await Promise.all([
      makeCertificates(join(dir, 'tls')),
      startRedis(),
      startSimulator({ nodeMs: 5 }),
      startSimulator({ multiUser: true }),
    ]);
    server = await startComfyMulti({
      COMFY_MULTI_CONFIG: join(REPO, 'docker/comfy-multi.docker.yaml'),
      // What docker-compose.yml sets …
      COMFY_MULTI_PUBLIC_URL: https,
      COMFY_MULTI_ADMIN_PASSWORD: ADMIN_PASSWORD,
      NUM_WORKERS: '1',
      // … and what differs on loopback: addresses instead of the compose service names.
      WORKER_URL_PATTERN: worker.url,
      COMFY_MULTI_LISTEN_HOST: '127.0.0.1',
      COMFY_MULTI_LISTEN_PORT: String(serverPort),
      COMFY_MULTI_DATA_DIR: join(dir, 'data'),
      COMFY_MULTI_STORE_REDIS_URL: redis.url,
      COMFY_MULTI_UI_UPSTREAM_URL: ui.url,
      COMFY_MULTI_SEATS_COUNT: '3',
    });
    values = {
      SERVER_NAME: 'localhost',
      UPSTREAM: `127.0.0.1:${serverPort}`,
      RESOLVER: '127.0.0.1',
      TLS_CERT: certs.fullchain,
      TLS_KEY: certs.privkey,
      HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
      PUBLIC_HTTPS_PORT: String(httpsPort),
    };
    nginx = await startNginx(dir, values, [httpPort, httpsPort]);
  });

  after(async () => {
    await nginx?.stop();
    await server?.stop();
    await Promise.all([worker?.close(), ui?.close(), redis?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('redirects plain HTTP to the same address on HTTPS', async () => {
    const answer = await send(`${http}/user/user01/?code=abc`);
    assert.equal(answer.status, 301);
    assert.equal(answer.headers.location, `${https}/user/user01/?code=abc`);
  });

  it('leaves the default port out of the redirect when HTTPS is on 443', async () => {
    const prefix = join(dir, 'on-443');
    await mkdir(prefix);
    const port = await freePort();
    const plain = await startNginx(
      prefix,
      { ...values, HTTP_LISTEN: `127.0.0.1:${port}`, HTTPS_LISTEN: `127.0.0.1:${await freePort()}`, PUBLIC_HTTPS_PORT: '443' },
      [port],
    );
    try {
      const answer = await send(`http://localhost:${port}/admin/?x=1`);
      assert.equal(answer.status, 301);
      assert.equal(answer.headers.location, 'https://localhost/admin/?x=1');
    } finally {
      await plain.stop();
    }
  });

  it('serves HTTPS with the given certificate chain and the security headers', async () => {
    const answer = await send(`${https}/healthz`, { ca: certs.ca });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body.toString()), { ok: true });
    assert.deepEqual(answer.peer, { subject: 'localhost', issuer: 'comfy-multi test CA' });
    assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['referrer-policy'], 'same-origin');
    assert.equal(answer.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(answer.headers['content-security-policy'], "frame-ancestors 'self'");
    assert.equal(answer.headers.server, 'nginx', 'no version in the Server header');
    await assert.rejects(send(`${https}/healthz`), /self[- ]signed|unable to verify|unable to get local issuer/i, 'an untrusted CA is refused');
  });

  it('passes pages through and keeps /metrics inside the deployment', async () => {
    const admin = await send(`${https}/admin/`, { ca: certs.ca });
    assert.ok([200, 503].includes(admin.status), `admin panel or its "not built" page, got ${admin.status}`);
    assert.match(String(admin.headers['content-type']), /text\/html/);
    const metrics = await send(`${https}/metrics`, { ca: certs.ca });
    assert.equal(metrics.status, 404);
    assert.equal(metrics.headers['x-frame-options'], 'SAMEORIGIN', 'headers also on nginx’s own answers');
  });

  it('logs a seat in through its link with a Secure cookie', async () => {
    const link = server.links.get('user01') ?? '';
    assert.ok(link.startsWith(`${https}/user/user01/?code=`), `printed seat link uses the public URL: ${link}`);
    const answer = await send(link, { ca: certs.ca });
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.location, '/user/user01/');
    const setCookie = answer.headers['set-cookie'] ?? [];
    assert.ok(setCookie.some((c) => /;\s*Secure/i.test(c)), `cookie marked Secure: ${setCookie.join(' | ')}`);
    cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
    const session = await send(`${https}/api/v1/session`, { ca: certs.ca, headers: { cookie } });
    assert.equal(session.status, 200);
    assert.equal((JSON.parse(session.body.toString()) as { role: string }).role, 'seat');
  });

  it('runs a job: POST /api/v1/jobs, its events over wss://, its output and outputs.zip', async () => {
    const events = await openSocket(`${https.replace('https', 'wss')}/api/v1/events`, certs.ca, cookie);
    try {
      await events.next((m) => m['type'] === 'hello', 'hello');
      const created = await send(`${https}/api/v1/jobs`, {
        ca: certs.ca,
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: PROMPT }),
      });
      assert.equal(created.status, 201, created.body.toString());
      const id = (JSON.parse(created.body.toString()) as { id: string }).id;
      await events.next((m) => m['type'] === 'comfy' && m['job_id'] === id && m['event'] === 'executed', 'the executed event');
      const done = await events.next(
        (m) => m['type'] === 'job' && (m['job'] as { id: string; state: string }).id === id && (m['job'] as { state: string }).state === 'succeeded',
        'the succeeded job',
      );
      const output = (done['job'] as { outputs: { url: string; mime: string }[] }).outputs[0]!;
      const file = await send(`${https}${output.url}`, { ca: certs.ca, headers: { cookie } });
      assert.equal(file.status, 200);
      assert.equal(file.headers['content-type'], 'image/png');
      assert.equal(file.headers['x-content-type-options'], 'nosniff', 'one copy, not the server’s and nginx’s');
      assert.deepEqual(file.body.subarray(1, 4), Buffer.from('PNG'));
      const zip = await send(`${https}/api/v1/outputs.zip`, { ca: certs.ca, headers: { cookie } });
      assert.equal(zip.status, 200);
      assert.deepEqual(zip.body.subarray(0, 2), Buffer.from('PK'));
    } finally {
      await events.close();
    }
  });

  it('carries the ComfyUI UI’s WebSocket to the UI upstream and back', async () => {
    const ws = await openSocket(`${https.replace('https', 'wss')}/user/user01/ws?clientId=through-nginx`, certs.ca, cookie);
    try {
      const status = await ws.next((m) => m['type'] === 'status', 'ComfyUI’s status message');
      assert.equal((status['data'] as { sid: string }).sid, 'through-nginx');
      ws.socket.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      await ws.next((m) => m['type'] === 'feature_flags', 'the upstream’s feature_flags answer');
    } finally {
      await ws.close();
    }
  });

  it('accepts an image upload larger than nginx’s default 1 MB limit', async () => {
    const image = Buffer.alloc(3 * 1024 * 1024, 7);
    const form = new FormData();
    form.set('image', new Blob([image], { type: 'image/png' }), 'large.png');
    form.set('subfolder', 'big');
    const encoded = new Request('http://form.invalid/', { method: 'POST', body: form });
    const answer = await send(`${https}/user/user01/upload/image`, {
      ca: certs.ca,
      method: 'POST',
      headers: { cookie, 'content-type': encoded.headers.get('content-type')! },
      body: Buffer.from(await encoded.arrayBuffer()),
    });
    assert.equal(answer.status, 200, answer.body.toString());
    assert.deepEqual(JSON.parse(answer.body.toString()), { name: 'large.png', subfolder: 'user01/big', type: 'input' }, 'kept under the seat on the shared UI ComfyUI');
    assert.equal((await stat(join(dir, 'data', 'inputs', 'user01', 'big', 'large.png'))).size, image.length);
  });

  it('answers in the API’s error shape while comfy-multi is down', async () => {
    await server.stop();
    const answer = await send(`${https}/api/v1/queue`, { ca: certs.ca, headers: { cookie } });
    assert.equal(answer.status, 502);
    assert.equal((JSON.parse(answer.body.toString()) as { error: { code: string } }).error.code, 'upstream_unavailable');
  });
});
