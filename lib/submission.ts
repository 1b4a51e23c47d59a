/**
 * Turning a submission into a queued job: shape, seat, pause and prompt checks,
 * each failure a QueueError naming its field. Nothing is stored here.
 */
import { QueueError, zodIssueError } from './errors.ts';
import {
  type Job,
  type Prompt,
  type PromptLimits,
  newJobId,
  promptShape,
  SubmitRequestSchema,
  titleOf,
  validatePrompt,
  validateWorkflow,
} from './job.ts';
import type { InsertResult } from './store/queue-store.ts';

export type SeatStatus = 'active' | 'disabled' | 'unknown';

/** Checks a submission beyond its shape, e.g. against the workers' object_info. Throws QueueError. */
export type PromptValidator = (prompt: Prompt, seat: string) => Promise<void>;

export interface SubmissionRules {
  seatStatus: (seat: string) => SeatStatus;
  limits: PromptLimits;
  /** New submissions paused by the instructor (instructor-class jobs still go through). */
  paused: boolean;
  validators: readonly PromptValidator[];
}

export async function prepareJob(request: unknown, rules: SubmissionRules, queuedAt: number): Promise<Job> {
  const parsed = SubmitRequestSchema.safeParse(request);
  if (!parsed.success) throw zodIssueError(parsed.error.issues[0]!, 'body');
  const req = parsed.data;
  const status = rules.seatStatus(req.seat);
  if (status === 'unknown') throw new QueueError('unknown_seat', `seat "${req.seat}" is not part of this workshop`, { field: 'seat' });
  if (status === 'disabled') throw new QueueError('seat_disabled', `seat "${req.seat}" is disabled by the instructor`, { field: 'seat' });
  const priority = req.priority ?? 'normal';
  if (rules.paused && priority !== 'instructor') {
    throw new QueueError('submissions_paused', 'The instructor has paused new submissions; try again when they resume');
  }
  const prompt = validatePrompt(req.prompt, rules.limits);
  const workflow = validateWorkflow(req.workflow, rules.limits);
  for (const validator of rules.validators) await validator(prompt, req.seat);
  return {
    id: newJobId(),
    seat: req.seat,
    prompt,
    ...(workflow === undefined ? {} : { workflow }),
    options: req.options ?? {},
    priority,
    state: 'queued',
    attempts: 0,
    queuedAt,
    startedAt: null,
    finishedAt: null,
    worker: null,
    error: null,
    outputs: [],
    shape: promptShape(prompt),
    clientRequestId: req.clientRequestId ?? null,
    rank: 0,
    pin: null,
    cancelRequested: false,
    title: titleOf(workflow, req.title),
  };
}

/** The error for an insert the store refused because of a cap. */
export function capError(result: Extract<InsertResult, { ok: false }>, seat: string): QueueError {
  if (result.reason === 'seat_cap') {
    return new QueueError('seat_cap', `seat "${seat}" already has ${result.count} queued jobs (limit ${result.limit}); wait for one to start`);
  }
  return new QueueError('queue_full', `the queue holds ${result.count} jobs (limit ${result.limit}); try again shortly`);
}
