/**
 * One benchmark client in its own process, for the "4 processes" rows of the
 * store throughput table:
 *   node bench/store-client.ts <api|queue|bullmq> <sqlite|redis> <path or url> <prefix> <jobs> <name> <offset> <warmup>
 * It opens its connection, runs a few warm-up jobs, prints `ready`, waits for a line on stdin (the
 * start barrier), runs its loop and prints `done <lost claim races>`.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { apiLoop, bullLoop, type LoopPath, newStore, openBull, openQueue, openStore, queueLoop } from './store-loops.ts';

const [path, kind, target, prefix, jobsArg, name, offsetArg, warmupArg] = process.argv.slice(2) as (string | undefined)[];
if (!path || !['api', 'queue', 'bullmq'].includes(path) || (kind !== 'sqlite' && kind !== 'redis') || !target || !name) {
  process.stderr.write('usage: node bench/store-client.ts <api|queue|bullmq> <sqlite|redis> <path|url> <prefix> <jobs> <name> <offset> <warmup>\n');
  process.exit(2);
}
const jobs = Number(jobsArg);
const offset = Number(offsetArg ?? 0);
const warmup = Number(warmupArg ?? 0);

async function barrier(): Promise<void> {
  const input = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  await once(input, 'line');
  input.close();
}

/** The measurement ends with the loop; closing comes after `done`, and a failure to close is reported, not hidden. */
async function finish(lost: number, close: () => Promise<void>): Promise<void> {
  process.stdout.write(`done ${lost}\n`);
  try {
    await close();
  } catch (error) {
    process.stderr.write(`bench client ${name}: closing its connection failed after the run: ${(error as Error).message}\n`);
  }
}

switch (path as LoopPath) {
  case 'bullmq': {
    const bull = await openBull(target, prefix ?? 'bull');
    await bullLoop(bull, warmup, `${name}-warmup`);
    await barrier();
    await bullLoop(bull, jobs, name, offset);
    await finish(0, () => bull.close());
    break;
  }
  case 'api': {
    const store = await openStore({ kind, target, prefix: prefix ?? '' });
    await apiLoop(store, warmup, `${name}-warmup`);
    await barrier();
    const lost = await apiLoop(store, jobs, name, offset);
    await finish(lost, () => store.close());
    break;
  }
  case 'queue': {
    const store = newStore({ kind, target, prefix: prefix ?? '' });
    const queue = await openQueue(store);
    await queueLoop(queue, warmup, `${name}-warmup`);
    await barrier();
    await queueLoop(queue, jobs, name, offset);
    await finish(0, async () => {
      await queue.close();
      await store.close();
    });
    break;
  }
}
