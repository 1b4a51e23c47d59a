/**
 * Graceful shutdown: in-flight requests finish, sockets close, new connections
 * are refused, and every job is left exactly as it was (never cancelled).
 * Once in process, once through `comfy-multi start` and SIGTERM.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, EventClient, loginSeat, PROMPT, startCliServer, startTestServer } from './harness.ts';


describe('graceful shutdown', () => {
  it('finishes in-flight requests, closes event sockets and leaves queued and running jobs intact', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cm-shutdown-'));
    const slow = createServer((req, res) => {
      if (req.url === '/users') return res.end('{"storage":"server","migrated":true}');
      setTimeout(() => res.end('slow answer'), 300);
    });
    slow.listen(0, '127.0.0.1');
    await once(slow, 'listening');
    try {
      const config = { ui_upstream: { url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}` } };
      const t = await startTestServer({ dataDir, config });
      const a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
      const queued = (await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } })).body as { id: string };
      const running = (await call(t.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } })).body as { id: string };
      await t.server.queue.claimNext('gpu0');
      await t.server.queue.markRunning(queued.id);
      const events = await EventClient.open(t.url, '/api/v1/events', a);
      const closed = once(events.socket, 'close');

      const inFlight = call(t.url, 'GET', '/user/user01/slow', { auth: a });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await t.server.close();
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.equal(answer.text, 'slow answer');
      const [code] = (await closed) as [number];
      assert.equal(code, 1001);
      await assert.rejects(fetch(`${t.url}/healthz`));

      const again = await startTestServer({ dataDir, config });
      try {
        const admin = await call(again.url, 'POST', '/api/v1/admin/session', { body: { password: 'admin-password-for-tests' } });
        const cookie = admin.headers.getSetCookie()[0]!.split(';')[0]!;
        const jobs = (await call(again.url, 'GET', '/api/v1/jobs', { auth: { cookie } })).body as { jobs: { id: string; state: string }[] };
        const states = Object.fromEntries(jobs.jobs.map((j) => [j.id, j.state]));
        assert.deepEqual(states, { [queued.id]: 'running', [running.id]: 'queued' });
      } finally {
        await again.close();
      }
    } finally {
      slow.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('`comfy-multi start` stops on SIGTERM with exit 0 and the queue survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm-cli-'));
    const config = join(dir, 'comfy-multi.yaml');
    await writeFile(config, `listen: {port: 0}\ndata_dir: ./data\nseats: {count: 2}\nadmin: {password: cli-test-password}\nlog_level: silent\n`);
    const start = async (): Promise<{ child: ChildProcess; url: string; output: string }> => {
      const server = await startCliServer(config);
      return { child: server.child, url: server.url, output: server.output() };
    };
    const stop = async (child: ChildProcess): Promise<number | null> => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    };
    try {
      const first = await start();
      const code = /user01 +\S+\?code=(\S+)/.exec(first.output)?.[1];
      assert.ok(code, first.output);
      const a = await loginSeat(first.url, 'user01', decodeURIComponent(code));
      const job = (await call(first.url, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } })).body as { id: string };
      assert.equal(await stop(first.child), 0);

      const second = await start();
      try {
        assert.doesNotMatch(second.output, /New access codes/);
        const read = await call(second.url, 'GET', `/api/v1/jobs/${job.id}`, { auth: a });
        assert.equal(read.status, 200);
        assert.equal((read.body as { state: string }).state, 'queued');
      } finally {
        assert.equal(await stop(second.child), 0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
