/**
 * Worker timelines from ComfyUI's own message timestamps (`data.timestamp`,
 * ms since the epoch, set by the worker on execution_start / execution_success).
 * Both ends of a gap come from the same worker clock.
 */

export interface WorkerMark {
  worker: string;
  type: 'execution_start' | 'execution_success';
  /** The worker's `data.timestamp`. */
  at: number;
}

/** Worker free (execution_success of one prompt) -> execution_start of the next prompt on the same worker. */
export function dispatchGaps(marks: readonly WorkerMark[]): number[] {
  const byWorker = new Map<string, WorkerMark[]>();
  for (const mark of marks) {
    const list = byWorker.get(mark.worker) ?? [];
    list.push(mark);
    byWorker.set(mark.worker, list);
  }
  const gaps: number[] = [];
  for (const list of byWorker.values()) {
    // A prompt runs far longer than a millisecond, so a tie is always "one ended, the next started".
    list.sort((a, b) => a.at - b.at || (a.type === 'execution_success' ? -1 : 1));
    let freeAt: number | null = null;
    for (const mark of list) {
      if (mark.type === 'execution_success') freeAt = mark.at;
      else if (freeAt !== null) {
        gaps.push(mark.at - freeAt);
        freeAt = null;
      }
    }
  }
  return gaps;
}

export const isWorkerMark = (type: string): type is WorkerMark['type'] => type === 'execution_start' || type === 'execution_success';
