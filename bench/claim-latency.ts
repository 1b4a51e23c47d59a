/**
 * Benchmark 2: claim latency against queue depth. With 10, 1,000 and 100,000
 * jobs queued over 20 seats, how long does one dispatch decision take? On the
 * store (candidates + policy pick + claim) it must not grow with the depth:
 * candidates() reads one head per lane, never the whole queue. Also shown:
 * the same claim through createQueue's claimNext, and the snapshot refresh
 * (positions + ETAs for every queued job) that follows each change, which is
 * O(queued) by nature.
 */
import type { Queue } from '../lib/queue.ts';
import { roundRobinPolicy } from '../lib/scheduling/policy.ts';
import type { QueueStore } from '../lib/store/queue-store.ts';
import { type BenchContext, type Benchmark, benchJob, NO_CAPS, type Section, seatOf, type Verdict } from './harness.ts';
import { fmt, ms, type Summary, summarize } from './stats.ts';
import { newStore, openQueue } from './store-loops.ts';

/** Largest accepted growth of the store claim's p50 from the smallest to the largest depth. */
const FLAT = 3;
/** Redis inserts in flight at once while filling: ioredis pipelines them on one connection. */
const FILL_BATCH = 500;

interface Row {
  store: 'sqlite' | 'redis';
  depth: number;
  fillMs: number;
  claim: Summary;
  claimNext: Summary;
  refresh: Summary;
}

export const claimLatency: Benchmark = {
  id: 'claim',
  async run(ctx) {
    const depths = ctx.quick ? [10, 100, 1_000] : [10, 1_000, 100_000];
    const rows: Row[] = [];
    for (const store of ['sqlite', 'redis'] as const) {
      for (const depth of depths) rows.push(await measure(ctx, store, depth));
      await ctx.flushRedis();
    }
    return report(rows, depths);
  },
};

async function measure(ctx: BenchContext, kind: 'sqlite' | 'redis', depth: number): Promise<Row> {
  const samples = ctx.quick ? 40 : 300;
  const queueSamples = ctx.quick ? 10 : depth >= 100_000 ? 10 : 100;
  const store = newStore({ kind, target: kind === 'sqlite' ? ctx.sqlitePath('claim') : ctx.redis.url, prefix: ctx.redisPrefix('claim') });
  // The queue is opened on the empty store, so filling it below triggers no snapshot work.
  const queue = await openQueue(store);
  try {
    ctx.log(`claim latency: filling ${kind} with ${depth} jobs`);
    let seed = 0;
    const fillStart = performance.now();
    while (seed < depth) {
      const batch = Math.min(kind === 'redis' ? FILL_BATCH : 1, depth - seed);
      await Promise.all(Array.from({ length: batch }, () => insert(store, seed++)));
    }
    const fillMs = performance.now() - fillStart;

    ctx.log(`claim latency: ${samples} store claims and ${queueSamples} claimNext calls at depth ${depth} (${kind})`);
    const claim: number[] = [];
    for (let i = 0; i < samples; i++) {
      const start = performance.now();
      const head = roundRobinPolicy.pick(await store.candidates());
      const job = head ? await store.claim(head.id, 'bench', Date.now()) : null;
      claim.push(performance.now() - start);
      if (!job) throw new Error(`no job to claim at depth ${depth}`);
      await insert(store, seed++); // keep the depth constant
    }
    const { claimNext, refresh } = await viaQueue(queue, store, queueSamples, () => seed++);
    return { store: kind, depth, fillMs, claim: summarize(claim), claimNext: summarize(claimNext), refresh: summarize(refresh) };
  } finally {
    await queue.close();
    await store.close();
  }
}

/**
 * claimNext as its caller sees it, then (after the refresh it set off has
 * settled) one snapshot refresh timed on its own.
 */
async function viaQueue(queue: Queue, store: QueueStore, samples: number, nextSeed: () => number) {
  const claimNext: number[] = [];
  const refresh: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    const job = await queue.claimNext('bench');
    claimNext.push(performance.now() - start);
    if (!job) throw new Error('claimNext found nothing to claim');
    await queue.snapshot();
    const refreshStart = performance.now();
    await queue.refresh();
    refresh.push(performance.now() - refreshStart);
    await insert(store, nextSeed());
  }
  return { claimNext, refresh };
}

async function insert(store: QueueStore, seed: number): Promise<void> {
  const result = await store.insert(benchJob(seatOf(seed), seed), NO_CAPS);
  if (!result.ok) throw new Error(`insert refused: ${result.reason}`);
}

function report(rows: readonly Row[], depths: readonly number[]): Section {
  const [shallow, , deep] = depths as [number, number, number];
  const verdicts: Verdict[] = [];
  for (const kind of ['sqlite', 'redis'] as const) {
    const low = rows.find((r) => r.store === kind && r.depth === shallow)!;
    const high = rows.find((r) => r.store === kind && r.depth === deep)!;
    const ratio = high.claim.p50 / low.claim.p50;
    verdicts.push({
      target: `${kind}: store claim p50 at ${deep.toLocaleString('en')} queued ≤ ${FLAT}× the p50 at ${shallow} (index seeks grow with log n; linear growth would be ${(deep / shallow).toLocaleString('en')}×)`,
      measured: `${ms(high.claim.p50)} ms vs ${ms(low.claim.p50)} ms = ${fmt(ratio)}× (p99 ${fmt(high.claim.p99 / low.claim.p99)}×)`,
      pass: ratio <= FLAT,
    });
  }
  for (const kind of ['sqlite', 'redis'] as const) {
    const low = rows.find((r) => r.store === kind && r.depth === shallow)!;
    const high = rows.find((r) => r.store === kind && r.depth === deep)!;
    verdicts.push({
      target: `${kind}: createQueue claimNext p50 ${deep.toLocaleString('en')} / ${shallow}`,
      measured: `${fmt(high.claimNext.p50 / low.claimNext.p50)}×; snapshot refresh ${ms(low.refresh.p50)} → ${ms(high.refresh.p50)} ms (O(queued) by design)`,
      pass: null,
    });
  }
  return {
    title: 'Claim latency against queue depth',
    tables: [
      {
        headers: ['store', 'queued', 'fill s', 'claim p50 ms', 'claim p99 ms', 'claimNext p50 ms', 'claimNext p99 ms', 'refresh p50 ms'],
        rows: rows.map((r) => [
          r.store,
          r.depth.toLocaleString('en'),
          fmt(r.fillMs / 1000, 1),
          ms(r.claim.p50),
          ms(r.claim.p99),
          ms(r.claimNext.p50),
          ms(r.claimNext.p99),
          ms(r.refresh.p50),
        ]),
      },
    ],
    notes: [
      'Jobs spread over 20 seats (20 lanes); every claim is followed by one insert so the depth stays constant.',
      `claim = candidates() + round-robin pick + claim() on the store (n = ${rows[0]!.claim.n}). ` +
        `claimNext = the same through createQueue, incl. its signal publish (n = ${rows[0]!.claimNext.n}, ${rows[rows.length - 1]!.claimNext.n} at the largest depth).`,
      "refresh = one recomputation of the queue snapshot (every queued job's position and ETA), which the queue starts after every change. " +
        'On SQLite the store calls are synchronous, so the refresh claimNext starts runs in the same event-loop turn and its caller waits for it; on Redis it overlaps the caller\'s next steps.',
      'Filling uses the public insert(): one transaction per job on SQLite, 500 pipelined scripts at a time on Redis (AOF, fsync always).',
    ],
    verdicts,
  };
}
