import { startRedis } from '../tests/helpers/redis-server.ts';
import { apiLoop, bullLoop, openBull, openStore, newStore, openQueue, queueLoop } from '../bench/store-loops.ts';
for (const ao of [false, true]) {
  const r = await startRedis({ appendonly: ao });
  const s = await openStore({ kind: 'redis', target: r.url, prefix: 'a:' });
  await apiLoop(s, 50, 'w');
  let t = performance.now(); await apiLoop(s, 1000, 'w'); console.log('aof', ao, 'api 1 loop ms/job', (performance.now() - t) / 1000);
  t = performance.now(); await Promise.all([0,1,2,3].map(i => apiLoop(s, 250, 'w'+i, i*250))); console.log('aof', ao, 'api 4 loop jobs/s', 1000000 / (performance.now() - t));
  const b = await openBull(r.url, 'bq');
  await bullLoop(b, 50, 't');
  t = performance.now(); await bullLoop(b, 1000, 't'); console.log('aof', ao, 'bull ms/job', (performance.now() - t) / 1000);
  t = performance.now(); await Promise.all([0,1,2,3].map(i => bullLoop(b, 250, 't'+i, i*250))); console.log('aof', ao, 'bull 4 loop jobs/s', 1000000 / (performance.now() - t));
  await b.close(); await s.close(); await r.stop();
}
