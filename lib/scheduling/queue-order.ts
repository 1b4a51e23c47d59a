/**
 * The order in which queued jobs will run, found by replaying the policy on a
 * copy of the lanes: pinned jobs first, then the policy's pick, one at a time,
 * with seat service updated after every virtual claim exactly as a real claim would.
 * Works for any policy, the embedder's own included.
 */
import type { ClaimCandidates, LaneHead, QueuedEntry, SeatService } from '../store/queue-store.ts';
import type { SchedulingPolicy } from './policy.ts';

const laneKey = (entry: LaneHead): string => `${entry.priority}\u0000${entry.seat}`;

const byRank = (a: LaneHead, b: LaneHead): number =>
  a.rank - b.rank || a.queuedAt - b.queuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function orderQueue<T extends QueuedEntry>(
  entries: readonly T[],
  seats: Readonly<Record<string, SeatService>>,
  policy: SchedulingPolicy,
  limit = Number.POSITIVE_INFINITY,
): T[] {
  const pinned = entries.filter((e) => e.pin !== null).sort((a, b) => a.pin! - b.pin! || byRank(a, b));
  const lanes = new Map<string, T[]>();
  for (const entry of entries) {
    if (entry.pin !== null) continue;
    const key = laneKey(entry);
    const lane = lanes.get(key);
    if (lane) lane.push(entry);
    else lanes.set(key, [entry]);
  }
  // Lanes are consumed from the end, so sort them last-first.
  for (const lane of lanes.values()) lane.sort((a, b) => byRank(b, a));

  const service: Record<string, SeatService> = {};
  let sequence = 0;
  for (const [seat, value] of Object.entries(seats)) {
    service[seat] = { ...value };
    sequence = Math.max(sequence, value.lastServed);
  }
  const serve = (seat: string): void => {
    const current = service[seat] ?? { lastServed: 0, served: 0 };
    service[seat] = { lastServed: ++sequence, served: current.served + 1 };
  };

  const order: T[] = [];
  for (const entry of pinned) {
    if (order.length >= limit) return order;
    order.push(entry);
    serve(entry.seat);
  }
  const byId = new Map<string, string>();
  while (order.length < limit && lanes.size > 0) {
    const heads: LaneHead[] = [];
    byId.clear();
    for (const [key, lane] of lanes) {
      const head = lane[lane.length - 1]!;
      heads.push(head);
      byId.set(head.id, key);
    }
    const candidates: ClaimCandidates = { heads, pinned: null, seats: service };
    const chosen = policy.pick(candidates);
    const key = chosen ? byId.get(chosen.id) : undefined;
    if (!chosen || key === undefined) break; // the policy holds the rest back
    const lane = lanes.get(key)!;
    order.push(lane.pop()!);
    if (lane.length === 0) lanes.delete(key);
    serve(chosen.seat);
  }
  return order;
}
