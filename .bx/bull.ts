import { Queue, Worker } from 'bullmq';
import { startRedis } from '../tests/helpers/redis-server.ts';
const r = await startRedis({ appendonly: false });
const connection = { host: '127.0.0.1', port: r.port, maxRetriesPerRequest: null };
const q = new Queue('b1', { connection });
const N = 2000;
let t = performance.now();
for (let i = 0; i < N; i++) await q.add('j', { i }, { removeOnComplete: true });
console.log('add serial', (performance.now() - t));
const w = new Worker('b1', null, { connection, autorun: false });
t = performance.now();
const token = 'tok';
let job = await w.getNextJob(token);
let n = 0;
while (job) { n++; await job.moveToCompleted('ok', token, false); job = await w.getNextJob(token, { block: false }); }
console.log('manual claim+complete', n, performance.now() - t);
// worker-based
const q2 = new Queue('b2', { connection });
let done = 0; let resolve!: () => void; const all = new Promise<void>((r) => (resolve = r));
const w2 = new Worker('b2', async () => 'ok', { connection, concurrency: 1 });
w2.on('completed', () => { if (++done === N) resolve(); });
t = performance.now();
for (let i = 0; i < N; i++) await q2.add('j', { i }, { removeOnComplete: true });
await all;
console.log('worker loop', performance.now() - t);
await w.close(); await w2.close(); await q.close(); await q2.close(); await r.stop();
