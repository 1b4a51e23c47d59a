import { startSimHost } from '../bench/processes.ts';
import { spawn } from 'node:child_process';
const sims = await startSimHost(3);
for (const preSubmit of [true, false]) {
  const child = spawn(process.execPath, ['--expose-gc', '--trace-gc', '.bx/pool-debug.ts', JSON.stringify({ urls: sims.urls, jobs: 200, stepMs: 50, preSubmit, warmup: 6 })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = ''; child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.on('exit', r));
  const r = JSON.parse(out); console.log('preSubmit', preSubmit, 'makespan', r.makespanMs, 'mem', r.memory.rss/2**20);
}
await sims.close();
