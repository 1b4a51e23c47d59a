import { spawn } from 'node:child_process';
import { startRedis } from '../tests/helpers/redis-server.ts';
const r = await startRedis();
for (let round = 0; round < 12; round++) {
  const kids = Array.from({ length: 4 }, (_, i) => {
    const c = spawn(process.execPath, ['bench/store-client.ts', 'queue', 'redis', r.url, `r${round}:`, '375', `p${i}`, String(i * 375), '20'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = ''; c.stderr.on('data', (d) => (err += d)); let out = ''; c.stdout.on('data', (d) => { out += d; if (String(d).includes('ready')) c.stdin.end('go\n'); });
    return new Promise<string>((res) => c.on('exit', (code) => res(`${code} ${out.replace(/\n/g, ' ')} ${err.slice(0, 600)}`)));
  });
  console.log(round, (await Promise.all(kids)).filter((s) => !s.startsWith('0')));
}
await r.stop();
