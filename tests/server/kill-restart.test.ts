/**
 * The server process is SIGKILLed in the middle of a run and started again on
 * the same data: no accepted job is lost or duplicated, and jobs that were
 * running are reconciled with their workers instead of being run twice.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startSimulator } from '../../lib/simulator/index.ts';
import { until } from '../helpers/wait.ts';
import { ADMIN_PASSWORD, call, loginAdmin, startCliServer } from './harness.ts';

function slowPrompt(color: number) {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
    '2': { class_type: 'RigSlowProgress', inputs: { image: ['1', 0], steps: 6, step_ms: 50, fail_at: -1 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'kill' } },
  };
}

interface JobJson {
  id: string;
  state: string;
  attempts: number;
}

describe('server killed with SIGKILL mid-run', () => {
  it('after a restart every accepted job exists once, finishes once, and running ones are reconciled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm-kill-'));
    const sims = await Promise.all([startSimulator({}), startSimulator({})]);
    const config = join(dir, 'comfy-multi.yaml');
    await writeFile(
      config,
      [
        'listen: {host: 127.0.0.1, port: 0}',
        `data_dir: ${join(dir, 'data')}`,
        'store: {kind: sqlite}',
        `admin: {password: ${ADMIN_PASSWORD}}`,
        'seats: {count: 3}',
        'scheduler: {policy: round_robin, caps: {max_queued_per_seat: 0, max_depth: 0}}',
        'log_level: silent',
        'provider:',
        '  kind: local',
        '  workers:',
        ...sims.map((sim, i) => `    - {id: gpu${i}, url: "${sim.url}"}`),
      ].join('\n'),
    );
    let server = await startCliServer(config);
    try {
      let admin = await loginAdmin(server.url);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const answer = await call(server.url, 'POST', '/api/v1/jobs', { auth: admin, body: { seat: `user0${(i % 3) + 1}`, prompt: slowPrompt(i) } });
        assert.equal(answer.status, 201, answer.text);
        ids.push((answer.body as JobJson).id);
      }
      const jobs = async (base: string) =>
        ((await call(base, 'GET', '/api/v1/jobs?limit=100', { auth: admin })).body as { jobs: JobJson[] }).jobs;
      await until(async () => {
        const now = await jobs(server.url);
        return now.some((j) => j.state === 'succeeded') && now.some((j) => j.state === 'running');
      }, 20_000, 'some jobs done and some running');
      const runningAtKill = (await jobs(server.url)).filter((j) => j.state === 'running').map((j) => j.id);

      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.once('exit', resolve));
      server = await startCliServer(config);
      admin = await loginAdmin(server.url);

      await until(async () => (await jobs(server.url)).every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state)), 30_000, 'every job to finish');
      const final = await jobs(server.url);
      assert.deepEqual(final.map((j) => j.id).sort(), [...ids].sort(), 'every accepted job exists exactly once');
      assert.deepEqual(final.map((j) => j.state), Array(12).fill('succeeded'));
      for (const id of runningAtKill) {
        assert.equal(final.find((j) => j.id === id)?.attempts, 1, `running job ${id} was reconciled, not run again`);
      }
      // Across both workers' histories each job ran exactly once.
      const histories = await Promise.all(sims.map(async (sim) => Object.keys((await (await fetch(`${sim.url}/history`)).json()) as object)));
      for (const id of ids) assert.equal(histories.filter((h) => h.includes(id)).length, 1, `job ${id} ran on exactly one worker`);
    } finally {
      server.child.kill('SIGKILL');
      await Promise.all(sims.map((sim) => sim.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
