import { startSimHost } from '../bench/processes.ts';
import { spawn } from 'node:child_process';
const sims = await startSimHost(3);
const preSubmit = process.argv[2] === 'pre';
const child = spawn(process.execPath, ['--expose-gc', '--cpu-prof', '--cpu-prof-dir=/tmp/bx/prof', 'bench/pool-host.ts', JSON.stringify({ urls: sims.urls, jobs: 200, stepMs: 50, preSubmit, warmup: 6 })], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = ''; child.stdout.on('data', (d) => (out += d));
await new Promise((r) => child.on('exit', r));
const r = JSON.parse(out); console.log('preSubmit', preSubmit, 'makespan', r.makespanMs);
await sims.close();
