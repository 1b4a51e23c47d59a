/** Polling waits for tests (no fixed sleeps). */
import type { Job } from '../../lib/job.ts';
import type { Queue } from '../../lib/queue.ts';

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the job once it reached a terminal state. */
export async function finished(queue: Queue, id: string, timeoutMs = 20_000): Promise<Job> {
  let job: Job | null = null;
  await until(
    async () => {
      job = await queue.store.get(id);
      return !!job && ['succeeded', 'failed', 'cancelled'].includes(job.state);
    },
    timeoutMs,
    `job ${id} to finish`,
  );
  return job!;
}

