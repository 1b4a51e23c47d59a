/**
 * `comfy-multi demo` and `comfy-multi check` as a user runs them: the demo
 * prints working URLs, runs a job on its simulated workers, and a restart with
 * the same --data keeps the queue, the codes and the password.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../../lib/simulator/index.ts';
import { call, loginSeat, PROMPT } from './harness.ts';

const CLI = fileURLToPath(new URL('../../server/cli.ts', import.meta.url));
const env = { PATH: process.env['PATH'] };

async function runDemo(data: string): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  for (let i = 0; i < 1000 && !output.includes('Ctrl-C stops'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!output.includes('Ctrl-C stops')) throw new Error(`demo did not start: ${output}`);
  return { child, output };
}

/** Runs the CLI without blocking this process (the simulator it probes lives here). */
function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  return ((await exited) as [number | null])[0];
}

describe('demo and check', () => {
  it('the demo prints the admin URL, password and 20 seat URLs; a job runs; a restart resumes with the same codes', async () => {
    const data = await mkdtemp(join(tmpdir(), 'cm-demo-'));
    try {
      const first = await runDemo(data);
      const admin = /admin panel +(\S+)\/admin\//.exec(first.output)?.[1];
      const password = /password +(\S+)/.exec(first.output)?.[1];
      const seats = [...first.output.matchAll(/(user\d\d) +(\S+)\/user\/\1\/\?code=(\S+)/g)];
      assert.ok(admin && password, first.output);
      assert.equal(seats.length, 20);
      const a = await loginSeat(admin, 'user01', decodeURIComponent(seats[0]![3]!));
      const job = (await call(admin, 'POST', '/api/v1/jobs', { auth: a, body: { prompt: PROMPT } })).body as { id: string };
      let state = '';
      for (let i = 0; i < 250 && state !== 'succeeded'; i++) {
        state = ((await call(admin, 'GET', `/api/v1/jobs/${job.id}`, { auth: a })).body as { state: string }).state;
        if (state !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(state, 'succeeded', 'the job ran on a simulated worker');
      assert.equal((await call(admin, 'GET', '/readyz')).status, 200);
      assert.equal(await stop(first.child), 0);

      const second = await runDemo(data);
      try {
        assert.equal(/password +(\S+)/.exec(second.output)?.[1], password, 'same password');
        const again = [...second.output.matchAll(/(user\d\d) +\S+\/user\/\1\/\?code=(\S+)/g)].map((m) => m[2]);
        assert.deepEqual(again, seats.map((m) => m[3]), 'same codes');
        const base = /admin panel +(\S+)\/admin\//.exec(second.output)![1]!;
        const b = await loginSeat(base, 'user01', decodeURIComponent(seats[0]![3]!));
        const kept = await call(base, 'GET', `/api/v1/jobs/${job.id}`, { auth: b });
        assert.equal((kept.body as { state: string }).state, 'succeeded', 'the queue survived the restart');
      } finally {
        assert.equal(await stop(second.child), 0);
      }
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it('check reaches the store, every worker and the UI upstream', async () => {
    const sim = await startSimulator({ multiUser: true });
    const dir = await mkdtemp(join(tmpdir(), 'cm-check-'));
    try {
      const config = join(dir, 'comfy-multi.yaml');
      await writeFile(config, `admin: {password: long-enough}\nprovider: {kind: local, workers: [{id: gpu0, url: "${sim.url}"}]}\nui_upstream: {url: "${sim.url}"}\n`);
      const ok = await runCli(['check', '--config', config]);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^ok +worker gpu0 /m);
      assert.match(ok.stdout, /^ok +ui_upstream --multi-user/m);
      await writeFile(config, `admin: {password: long-enough}\nprovider: {kind: local, workers: [{id: gpu0, url: "http://127.0.0.1:9"}]}\n`);
      const bad = await runCli(['check', '--config', config]);
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /^FAIL worker gpu0 http:\/\/127\.0\.0\.1:9: /m);
      assert.match(bad.stdout, /^FAIL ui_upstream: not configured/m);
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
