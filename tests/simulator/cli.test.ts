/**
 * `comfy-multi simulate`: prints its URL, serves, and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { runSimulatorCli } from '../../lib/simulator/index.ts';

const ENTRY = new URL('../../lib/simulator/index.ts', import.meta.url).href;

test('simulate --port 0 prints its URL, answers, and exits on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { runSimulatorCli } from '${ENTRY}'; await runSimulatorCli(process.argv.slice(1));`, '--', '--port', '0', '--version', '0.38.1', '--multi-user'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.once('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    const stats = (await (await fetch(`${url}/system_stats`)).json()) as { system: { comfyui_version: string } };
    assert.equal(stats.system.comfyui_version, '0.38.1');
    const users = (await (await fetch(`${url}/users`)).json()) as Record<string, unknown>;
    assert.deepEqual(users, { storage: 'server', users: {} }, '--multi-user is on');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('simulate rejects unknown options with an actionable message', async () => {
  await assert.rejects(runSimulatorCli(['--nope']), /unknown option --nope \(see --help\)/);
  await assert.rejects(runSimulatorCli(['--node-ms', 'fast']), /--node-ms expects a number/);
  await assert.rejects(runSimulatorCli(['--version', '1.0']), /version must be '0.8.0' or '0.38.1'/);
});
