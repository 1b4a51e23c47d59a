/** Builds valid jobs for tests: a queued job with a tiny two-node prompt unless overridden. */
import { type Job, type Prompt, newJobId, promptShape } from '../../lib/job.ts';

export const TINY_PROMPT: Prompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'test' } },
};

let clock = 0;

/**
 * A queued job. `queuedAt` strictly increases between calls (Date.now() plus a counter),
 * so "newest first" orderings are deterministic even when jobs are made in the same millisecond.
 */
export function makeJob(overrides: Partial<Job> = {}): Job {
  const prompt = overrides.prompt ?? structuredClone(TINY_PROMPT);
  clock = Math.max(clock + 1, Date.now());
  return {
    id: newJobId(),
    seat: 'user01',
    prompt,
    options: {},
    priority: 'normal',
    state: 'queued',
    attempts: 0,
    queuedAt: clock,
    startedAt: null,
    finishedAt: null,
    worker: null,
    error: null,
    outputs: [],
    shape: promptShape(prompt),
    clientRequestId: null,
    rank: 0,
    pin: null,
    cancelRequested: false,
    title: null,
    ...overrides,
  };
}
