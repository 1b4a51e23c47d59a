/**
 * Scheduling policies. A policy is a plain object that looks at the head of
 * every lane (one lane per seat and priority class) and names the job that
 * should run next. Pinned jobs (instructor "move to front") never reach a
 * policy: they run first, in pin order.
 */
import { PRIORITY_CLASSES } from '../job.ts';
import type { ClaimCandidates, LaneHead, SeatService } from '../store/queue-store.ts';

export interface SchedulingPolicy {
  /** The name used in settings and the admin panel, e.g. 'round_robin'. */
  readonly name: string;
  /** The head to dispatch next, or null to leave workers idle. */
  pick(candidates: ClaimCandidates): LaneHead | null;
}

const NEVER: SeatService = { lastServed: 0, served: 0 };

/** Earlier queue time first; the id breaks ties so every process agrees. */
function earlier(a: LaneHead, b: LaneHead): boolean {
  return a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.id < b.id);
}

/** Within one seat: the lane order the seat itself chose (its "queue front" jobs first), then age. */
function seatFirst(a: LaneHead, b: LaneHead): boolean {
  return a.rank < b.rank || (a.rank === b.rank && earlier(a, b));
}

/** First come, first served across all seats. */
export const fifoPolicy: SchedulingPolicy = {
  name: 'fifo',
  pick({ heads }) {
    let best: LaneHead | null = null;
    for (const head of heads) if (!best || earlier(head, best)) best = head;
    return best;
  },
};

/**
 * Fair share: among seats with queued work, the one served least recently goes
 * next (never-served seats first, oldest waiting job breaks ties). A seat that
 * queues a batch of 20 gets one turn per round, like everybody else.
 */
function pickRoundRobin(heads: readonly LaneHead[], seats: Record<string, SeatService>): LaneHead | null {
  const bySeat = new Map<string, LaneHead>();
  for (const head of heads) {
    const current = bySeat.get(head.seat);
    if (!current || seatFirst(head, current)) bySeat.set(head.seat, head);
  }
  let best: LaneHead | null = null;
  let bestServed = 0;
  for (const head of bySeat.values()) {
    const served = (seats[head.seat] ?? NEVER).lastServed;
    if (!best || served < bestServed || (served === bestServed && earlier(head, best))) {
      best = head;
      bestServed = served;
    }
  }
  return best;
}

export const roundRobinPolicy: SchedulingPolicy = {
  name: 'round_robin',
  pick: ({ heads, seats }) => pickRoundRobin(heads, seats),
};

/** Classes first (instructor > high > normal > low), fair share between seats inside a class. */
export const priorityPolicy: SchedulingPolicy = {
  name: 'priority',
  pick({ heads, seats }) {
    for (const cls of PRIORITY_CLASSES) {
      const inClass = heads.filter((head) => head.priority === cls);
      if (inClass.length > 0) return pickRoundRobin(inClass, seats);
    }
    return null;
  },
};

export const BUILTIN_POLICY_LIST: readonly SchedulingPolicy[] = [fifoPolicy, roundRobinPolicy, priorityPolicy];
