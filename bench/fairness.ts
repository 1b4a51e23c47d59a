/**
 * Benchmark 3: fairness under contention. Twenty seats share one simulated
 * worker: seat 1 queues a batch of 40 at t = 0, seats 2-20 queue 2-5 jobs each
 * at staggered times (every 10 ms), and a dispatcher claims one job every
 * 100 ms through createQueue. Time is virtual (the queue's clock option), so
 * the run is instant and deterministic. Jain's index is taken over the claims
 * made while every seat had work queued: the window where a fair policy has
 * no excuse to favour anyone.
 */
import { createQueue } from '../lib/queue.ts';
import { BUILTIN_POLICIES } from '../lib/scheduling/settings.ts';
import type { QueueStore } from '../lib/store/queue-store.ts';
import { type BenchContext, type Benchmark, NO_CAPS, promptFor, type Section, SEATS, seatName } from './harness.ts';
import { fmt, jain } from './stats.ts';
import { newStore } from './store-loops.ts';

const BATCH = 40;
const STAGGER_MS = 10;
const CLAIM_EVERY_MS = 100;
/** 2-5 jobs for seats 2..20, a fixed spread so every run is the same scenario. */
const jobsOf = (seat: number): number => (seat === 1 ? BATCH : 2 + ((seat * 7) % 4));
const submitAt = (seat: number): number => (seat === 1 ? 0 : (seat - 1) * STAGGER_MS);

interface Outcome {
  policy: string;
  store: string;
  windowClaims: number;
  shares: number[];
  j: number;
}

/**
 * The best J any schedule can reach when `claims` whole jobs go to `n` seats:
 * shares as equal as integers allow (a window of 22 claims over 20 seats cannot give everyone the same).
 */
export function idealJain(claims: number, n: number): number {
  const q = Math.floor(claims / n);
  const r = claims % n;
  return jain([...new Array<number>(n - r).fill(q), ...new Array<number>(r).fill(q + 1)]);
}

export const fairness: Benchmark = {
  id: 'fairness',
  async run(ctx) {
    const outcomes: Outcome[] = [];
    for (const kind of ['sqlite', 'redis'] as const) {
      for (const policy of BUILTIN_POLICIES) {
        ctx.log(`fairness: ${policy} on ${kind}`);
        const store = newStore({ kind, target: kind === 'sqlite' ? ctx.sqlitePath('fair') : ctx.redis.url, prefix: ctx.redisPrefix('fair') });
        try {
          outcomes.push(await contend(ctx, store, policy));
        } finally {
          await store.close();
        }
      }
    }
    return report(outcomes);
  },
};

async function contend(_ctx: BenchContext, store: QueueStore, policy: string): Promise<Outcome> {
  let now = 0;
  const queue = await createQueue({ store, settings: { policy, caps: NO_CAPS }, clock: () => now });
  try {
    const submissions = Array.from({ length: SEATS }, (_, i) => ({ seat: i + 1, at: submitAt(i + 1), jobs: jobsOf(i + 1) })).sort((a, b) => a.at - b.at);
    const total = submissions.reduce((sum, s) => sum + s.jobs, 0);
    const queued = new Array<number>(SEATS + 1).fill(0);
    const windowShares = new Array<number>(SEATS + 1).fill(0);
    let windowClaims = 0;
    let next = 0;
    let claimed = 0;
    for (let claimAt = CLAIM_EVERY_MS / 2; claimed < total; claimAt += CLAIM_EVERY_MS) {
      while (next < submissions.length && submissions[next]!.at <= claimAt) {
        const { seat, at, jobs } = submissions[next++]!;
        now = at;
        for (let k = 0; k < jobs; k++) await queue.submit({ seat: seatName(seat), prompt: promptFor(seat * 100 + k) });
        queued[seat]! += jobs;
      }
      now = claimAt;
      const everyoneWaiting = queued.slice(1).every((n) => n > 0);
      const job = await queue.claimNext('w1');
      if (!job) throw new Error(`${policy}: nothing to claim with ${total - claimed} jobs left`);
      claimed++;
      const seat = Number(job.seat.slice(4));
      queued[seat]! -= 1;
      if (everyoneWaiting) {
        windowShares[seat]! += 1;
        windowClaims++;
      }
      // The simulated worker runs it for exactly one claim interval.
      await queue.markRunning(job.id);
      now = claimAt + CLAIM_EVERY_MS - 1;
      await queue.markSucceeded(job.id, []);
    }
    const shares = windowShares.slice(1);
    return { policy, store: store.kind, windowClaims, shares, j: jain(shares) };
  } finally {
    await queue.close();
  }
}

function report(outcomes: readonly Outcome[]): Section {
  const find = (policy: string) => outcomes.filter((o) => o.policy === policy);
  const worst = (policy: string) => Math.min(...find(policy).map((o) => o.j));
  /** J as a fraction of the best reachable in the policy's own window. */
  const relative = (policy: string) => Math.min(...find(policy).map((o) => o.j / idealJain(o.windowClaims, SEATS)));
  const fairVerdict = (policy: string, label: string) => ({
    target: `${label}: J ≥ 0.99 × the best J reachable in its window`,
    measured: `J = ${fmt(worst(policy), 3)}, ${fmt(relative(policy) * 100, 1)}% of the ideal`,
    pass: relative(policy) >= 0.99,
  });
  const rows = outcomes.map((o) => [
    o.policy,
    o.store,
    String(o.windowClaims),
    `${o.shares[0]} (${fmt((o.shares[0]! / Math.max(1, o.windowClaims)) * 100, 0)}%)`,
    `${Math.min(...o.shares.slice(1))}–${Math.max(...o.shares.slice(1))}`,
    fmt(o.j, 3),
    fmt(idealJain(o.windowClaims, SEATS), 3),
  ]);
  return {
    title: "Fairness under contention (Jain's index, 20 seats)",
    tables: [{ headers: ['policy', 'store', 'claims in window', 'seat 1 got', 'seats 2–20 got (each)', "Jain's J", 'best possible J'], rows }],
    notes: [
      `Seat 1 queues ${BATCH} jobs at t = 0; seat k (2–20) queues ${[...new Set(Array.from({ length: SEATS - 1 }, (_, i) => jobsOf(i + 2)))].sort().join('/')} jobs at t = (k−1)·${STAGGER_MS} ms; one claim every ${CLAIM_EVERY_MS} ms (virtual clock).`,
      'Window = the claims made while all 20 seats had a queued job. J = (Σx)² / (n·Σx²): 1 = equal shares, 0.05 = one seat got everything.',
      'Best possible J: shares as equal as whole jobs allow in a window of that many claims (below 1 when the claims do not divide by 20).',
      'All jobs are "normal" priority, so priority reduces to its fair share inside the class.',
    ],
    verdicts: [
      fairVerdict('round_robin', 'round_robin'),
      fairVerdict('priority', 'priority (one class)'),
      { target: 'fifo, for contrast', measured: `J = ${fmt(worst('fifo'), 3)}: the batch seat takes the window`, pass: null },
    ],
  };
}
