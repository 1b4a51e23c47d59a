/**
 * Estimated start and finish times for queued jobs. Each job's run time is the
 * median of recent runs of the same prompt shape; jobs are laid onto the ready
 * workers in queue order. Anything that depends on a shape with no history, or
 * on having no ready worker, is null ("unknown") — never a made-up number.
 */

export interface RunningSlot {
  shape: string;
  /** When it started running (ms), or null while still dispatching. */
  startedAt: number | null;
}

export interface EtaInput {
  now: number;
  readyWorkers: number;
  running: readonly RunningSlot[];
  /** Queued jobs' shapes, in the order they will run. */
  queued: readonly string[];
  /** Median run time in ms for a shape, or null without history. */
  median: (shape: string) => number | null;
}

export interface Eta {
  /** Milliseconds from now until the job starts / finishes; null when unknown. */
  startMs: number | null;
  doneMs: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function estimate(input: EtaInput): Eta[] {
  const unknown = (): Eta[] => input.queued.map(() => ({ startMs: null, doneMs: null }));
  const slots = Math.max(input.readyWorkers, input.running.length);
  if (input.readyWorkers <= 0 || slots === 0) return unknown();

  // Time until each worker slot is free again (ms from now); null = unknown.
  const free: (number | null)[] = [];
  for (const job of input.running) {
    const m = input.median(job.shape);
    if (m === null) free.push(null);
    else free.push(Math.max(0, m - (job.startedAt === null ? 0 : input.now - job.startedAt)));
  }
  while (free.length < slots) free.push(0);

  const result: Eta[] = [];
  let known = free.every((f) => f !== null);
  for (const shape of input.queued) {
    const run = input.median(shape);
    if (!known || run === null) {
      known = false;
      result.push({ startMs: null, doneMs: null });
      continue;
    }
    // The slot that frees up first takes the next job (a tiny heap is not worth it for <= 3 workers).
    let index = 0;
    for (let i = 1; i < free.length; i++) if ((free[i] as number) < (free[index] as number)) index = i;
    const start = free[index] as number;
    free[index] = start + run;
    result.push({ startMs: start, doneMs: start + run });
  }
  return result;
}
