/**
 * Benchmark 1: store throughput. Jobs/s of the full submit -> claim -> running
 * -> succeeded loop on SQLite and Redis, straight on the QueueStore API and
 * through createQueue, with 1 and 4 clients (async loops in this process, or 4
 * processes), next to BullMQ doing its nearest equivalent on the same Redis.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchContext, Section } from './harness.ts';
import { fmt } from './stats.ts';
import { apiLoop, bullLoop, type LoopPath, openBull, newStore, openQueue, openStore, queueLoop, type StoreSpec } from './store-loops.ts';

const CLIENT = fileURLToPath(new URL('./store-client.ts', import.meta.url));
const WARMUP = 20;

type Clients = '1 loop' | '4 loops' | '4 processes';
const CLIENT_SETUPS: readonly Clients[] = ['1 loop', '4 loops', '4 processes'];

interface Result {
  path: LoopPath;
  store: 'sqlite' | 'redis';
  clients: Clients;
  jobs: number;
  ms: number;
  /** Claims that lost a race to another client (QueueStore API rows only). */
  lost: number | null;
}

const PATH_LABEL: Record<LoopPath, string> = { api: 'QueueStore API', queue: 'createQueue', bullmq: 'BullMQ 6.7' };

export const storeThroughput: Benchmark = {
  id: 'store',
  async run(ctx) {
    const jobs = ctx.quick ? 80 : 1500;
    const results: Result[] = [];
    for (const store of ['sqlite', 'redis'] as const) {
      for (const path of ['api', 'queue'] as const) {
        for (const clients of CLIENT_SETUPS) {
          results.push(await measure(ctx, path, store, clients, jobs));
        }
      }
    }
    for (const clients of CLIENT_SETUPS) results.push(await measure(ctx, 'bullmq', 'redis', clients, jobs));
    await ctx.flushRedis();
    return report(results, jobs);
  },
};

async function measure(ctx: BenchContext, path: LoopPath, store: 'sqlite' | 'redis', clients: Clients, jobs: number): Promise<Result> {
  const spec: StoreSpec = {
    kind: store,
    target: store === 'sqlite' ? ctx.sqlitePath('throughput') : ctx.redis.url,
    prefix: ctx.redisPrefix(path),
  };
  ctx.log(`store throughput: ${PATH_LABEL[path]} on ${store}, ${clients}, ${jobs} jobs`);
  const { ms, lost } = clients === '4 processes' ? await inProcesses(path, spec, jobs) : await inProcess(path, spec, jobs, clients === '1 loop' ? 1 : 4);
  return { path, store, clients, jobs, ms, lost: path === 'api' ? lost : null };
}

/** Concurrent loops sharing one connection (one store, one Queue or one BullMQ pair), as one server process would. */
async function inProcess(path: LoopPath, spec: StoreSpec, jobs: number, loops: number): Promise<Timed> {
  const share = jobs / loops;
  if (path === 'bullmq') {
    const bull = await openBull(spec.target, spec.prefix);
    try {
      await bullLoop(bull, WARMUP, 'warmup');
      return { ms: await timed(() => Promise.all(Array.from({ length: loops }, (_, i) => bullLoop(bull, share, `c${i}`, i * share)))), lost: 0 };
    } finally {
      await bull.close();
    }
  }
  const store = path === 'api' ? await openStore(spec) : newStore(spec);
  try {
    if (path === 'api') {
      await apiLoop(store, WARMUP, 'warmup');
      let lost = 0;
      const ms = await timed(() =>
        Promise.all(
          Array.from({ length: loops }, async (_, i) => {
            lost += await apiLoop(store, share, `c${i}`, i * share);
          }),
        ),
      );
      return { ms, lost };
    }
    const queue = await openQueue(store);
    try {
      await queueLoop(queue, WARMUP, 'warmup');
      return { ms: await timed(() => Promise.all(Array.from({ length: loops }, (_, i) => queueLoop(queue, share, `c${i}`, i * share)))), lost: 0 };
    } finally {
      await queue.close();
    }
  } finally {
    await store.close();
  }
}

/** Four child processes, each with its own connection, released together; wall time until the last one is done. */
async function inProcesses(path: LoopPath, spec: StoreSpec, jobs: number): Promise<Timed> {
  if (spec.kind === 'sqlite') {
    // The file and its schema exist before four processes race to create them.
    await (await openStore(spec)).close();
  }
  const share = jobs / 4;
  const children = Array.from({ length: 4 }, (_, i) => {
    const child = spawn(process.execPath, [CLIENT, path, spec.kind, spec.target, spec.prefix, String(share), `p${i}`, String(i * share), String(WARMUP)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const ready = Promise.withResolvers<void>();
    const done = Promise.withResolvers<number>();
    let measured = false;
    lines.on('line', (line) => {
      if (line === 'ready') ready.resolve();
      if (line.startsWith('done ')) {
        measured = true;
        done.resolve(Number(line.slice(5)));
      }
    });
    const exited = once(child, 'exit').then(([code]) => {
      if (code === 0) return;
      const what = `bench client ${i} (${path} on ${spec.kind}) exited with code ${code}`;
      // Its numbers are in; a crash while shutting down is reported but does not void them.
      if (measured) process.stderr.write(`[bench] ${what} after finishing its run (see its error above)\n`);
      else throw new Error(what);
    });
    exited.catch((error: unknown) => {
      ready.reject(error);
      done.reject(error);
    });
    return { child, ready: ready.promise, done: done.promise, exited };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
    let lost = 0;
    const ms = await timed(async () => {
      for (const c of children) c.child.stdin.end('go\n');
      lost = (await Promise.all(children.map((c) => c.done))).reduce((a, b) => a + b, 0);
    });
    return { ms, lost };
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.stdin.end();
    await Promise.allSettled(children.map((c) => c.exited));
  }
}

interface Timed {
  ms: number;
  lost: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function report(results: readonly Result[], jobs: number): Section {
  const rate = (r: Result) => (r.jobs / r.ms) * 1000;
  const bull = (clients: Clients) => results.find((r) => r.path === 'bullmq' && r.clients === clients)!;
  const rows = results.map((r) => {
    const perClient = r.clients === '1 loop' ? 1 : 4;
    const versus = r.store === 'redis' && r.path !== 'bullmq' ? `${fmt(rate(r) / rate(bull(r.clients)))}×` : '';
    return [PATH_LABEL[r.path], r.store, r.clients, String(r.jobs), fmt(rate(r), 0), fmt((r.ms * perClient) / r.jobs), r.lost === null ? '' : String(r.lost), versus];
  });
  const queueRows = results.filter((r) => r.path === 'queue');
  const slowest = queueRows.reduce((a, b) => (rate(a) <= rate(b) ? a : b));
  const ratio = (path: LoopPath, clients: Clients) => {
    const ours = results.find((r) => r.path === path && r.store === 'redis' && r.clients === clients)!;
    return rate(ours) / rate(bull(clients));
  };
  return {
    title: 'Store throughput (submit → claim → running → succeeded)',
    tables: [{ headers: ['path', 'store', 'clients', 'jobs', 'jobs/s', 'ms/job per client', 'lost claim races', 'comfy-multi / BullMQ'], rows }],
    notes: [
      `${jobs} jobs per row after a ${WARMUP}-job warm-up. "loops" share one connection in this process; "processes" each open their own.`,
      'QueueStore API: insert, candidates + round-robin pick + claim, update → running, update → succeeded (5 round trips on Redis). A claim that lost a race to another client reads the candidates again.',
      'createQueue: submit (validation, insert, snapshot refresh), claimNext, markRunning, markSucceeded, with events and signals.',
      'BullMQ: Queue.add, Worker.getNextJob (claim + active + lock in one script), Job.moveToCompleted (3 round trips); completed jobs are kept, as ours are.',
    ],
    verdicts: [
      {
        target: 'createQueue loop ≥ 100 jobs/s on every store and client setup (3 GPU workers need < 5 jobs/s)',
        measured: `slowest ${fmt(rate(slowest), 0)} jobs/s (${slowest.store}, ${slowest.clients})`,
        pass: rate(slowest) >= 100,
      },
      {
        target: 'comfy-multi / BullMQ on the same Redis',
        measured: CLIENT_SETUPS.map((c) => `${c}: store API ${fmt(ratio('api', c))}×, createQueue ${fmt(ratio('queue', c))}×`).join('; '),
        pass: null,
      },
    ],
  };
}
