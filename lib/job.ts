/**
 * The job model. Every type here is inferred from its zod schema, so validation,
 * TypeScript types and the OpenAPI document share one source of truth.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { QueueError } from './errors.ts';

export const PRIORITY_CLASSES = ['instructor', 'high', 'normal', 'low'] as const;
export const PriorityClassSchema = z.enum(PRIORITY_CLASSES);
export type PriorityClass = z.infer<typeof PriorityClassSchema>;

export const JOB_STATES = ['queued', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export const JobStateSchema = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobStateSchema>;

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const ACTIVE_STATES: readonly JobState[] = ['dispatching', 'running'];
export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.includes(state);

/** Canonical lowercase hyphenated UUID, the only prompt_id newer ComfyUI cores accept. */
export const JobIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a canonical lowercase UUID');
export type JobId = z.infer<typeof JobIdSchema>;
export const newJobId = (): JobId => randomUUID();

/** Seat ids travel in URLs and folder names, so they are restricted to a safe alphabet. */
export const SeatIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 characters of a-z, 0-9, "_" or "-"');
export type SeatId = z.infer<typeof SeatIdSchema>;

/** One node of a ComfyUI API-format prompt. Unknown keys (e.g. `_meta`) are kept. */
export const PromptNodeSchema = z.looseObject({
  class_type: z.string().min(1, 'class_type must be a non-empty string'),
  inputs: z.record(z.string(), z.unknown()).default({}),
});
export type PromptNode = z.infer<typeof PromptNodeSchema>;

export const PromptSchema = z.record(z.string().min(1), PromptNodeSchema);
export type Prompt = z.infer<typeof PromptSchema>;

export const PREVIEW_METHODS = ['auto', 'latent2rgb', 'taesd', 'none', 'default'] as const;

export const JobOptionsSchema = z.object({
  partial_execution_targets: z.array(z.string().min(1)).max(1000).optional(),
  preview_method: z.enum(PREVIEW_METHODS).optional(),
  /** ComfyUI's "queue front": ahead of the seat's own jobs, never ahead of other seats. */
  front: z.boolean().optional(),
});
export type JobOptions = z.infer<typeof JobOptionsSchema>;

export const JobErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** ComfyUI's execution_error payload or validation body, when the worker gave one. */
  details: z.unknown().optional(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

/** A file a job produced, copied into the seat's output store. */
export const OutputFileSchema = z.object({
  node_id: z.string(),
  /** The key of ComfyUI's `executed.output` map the file came from: images, gifs, video, audio, 3d… */
  kind: z.string(),
  filename: z.string(),
  /** Sub-folder inside the seat's output store (the job id, plus the worker's own sub-folder). */
  subfolder: z.string(),
  type: z.enum(['output', 'temp']),
  size: z.number().int().nonnegative().optional(),
  mime: z.string().optional(),
});
export type OutputFile = z.infer<typeof OutputFileSchema>;

export const JobSchema = z.object({
  id: JobIdSchema,
  seat: SeatIdSchema,
  prompt: PromptSchema,
  workflow: z.unknown().optional(),
  options: JobOptionsSchema,
  priority: PriorityClassSchema,
  state: JobStateSchema,
  /** Dispatch attempts so far (incremented by every claim). */
  attempts: z.number().int().nonnegative(),
  queuedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  worker: z.string().nullable(),
  error: JobErrorSchema.nullable(),
  outputs: z.array(OutputFileSchema),
  /** Stable hash of the prompt's structure, used to learn run times for ETA. */
  shape: z.string(),
  clientRequestId: z.string().nullable(),
  /** Order inside the seat's lane (lower first). */
  rank: z.number(),
  /** Instructor pin: pinned jobs run before all others, lowest pin first. */
  pin: z.number().nullable(),
  /** Set when a cancel was asked for while the job was on a worker. */
  cancelRequested: z.boolean(),
  /** Display name, e.g. the workflow's file name. */
  title: z.string().nullable(),
});
export type Job = z.infer<typeof JobSchema>;

/** What a caller hands to `queue.submit`. */
export const SubmitRequestSchema = z.object({
  seat: SeatIdSchema,
  /** Checked by `validatePrompt`, which names the failing node and input. */
  prompt: z.unknown().optional(),
  workflow: z.unknown().optional(),
  options: JobOptionsSchema.optional(),
  priority: PriorityClassSchema.optional(),
  clientRequestId: z.string().min(1).max(200).optional(),
  title: z.string().max(200).optional(),
});
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;

export interface PromptLimits {
  /** Largest accepted prompt, as UTF-8 JSON bytes. */
  maxPromptBytes: number;
  /** Largest accepted UI workflow, as UTF-8 JSON bytes. */
  maxWorkflowBytes: number;
  maxNodes: number;
}

export const DEFAULT_PROMPT_LIMITS: PromptLimits = {
  maxPromptBytes: 1024 * 1024,
  maxWorkflowBytes: 8 * 1024 * 1024,
  maxNodes: 1000,
};

/** Parse and bound a ComfyUI API-format prompt; every failure names the offending field. */
export function validatePrompt(raw: unknown, limits: PromptLimits = DEFAULT_PROMPT_LIMITS): Prompt {
  if (raw === undefined || raw === null) throw new QueueError('invalid_prompt', 'prompt is required', { field: 'prompt' });
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new QueueError('invalid_prompt', 'prompt must be an object of node id to node (ComfyUI API format)', { field: 'prompt' });
  }
  const bytes = Buffer.byteLength(JSON.stringify(raw));
  if (bytes > limits.maxPromptBytes) {
    throw new QueueError('prompt_too_large', `prompt is ${bytes} bytes; the limit is ${limits.maxPromptBytes}`, { field: 'prompt' });
  }
  const count = Object.keys(raw).length;
  if (count === 0) throw new QueueError('invalid_prompt', 'prompt has no nodes', { field: 'prompt' });
  if (count > limits.maxNodes) {
    throw new QueueError('too_many_nodes', `prompt has ${count} nodes; the limit is ${limits.maxNodes}`, { field: 'prompt' });
  }
  const parsed = PromptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = ['prompt', ...issue.path.map(String)].join('.');
    throw new QueueError('invalid_prompt', `${field}: ${issue.message}`, { field });
  }
  for (const [id, node] of Object.entries(parsed.data)) {
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isLink(value) && !(value[0] in parsed.data)) {
        throw new QueueError('invalid_prompt', `prompt.${id}.inputs.${name} links to node "${value[0]}", which is not in the prompt`, {
          field: `prompt.${id}.inputs.${name}`,
        });
      }
    }
  }
  return parsed.data;
}

export function validateWorkflow(raw: unknown, limits: PromptLimits = DEFAULT_PROMPT_LIMITS): unknown {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new QueueError('invalid_request', 'workflow must be a ComfyUI workflow object', { field: 'workflow' });
  }
  const bytes = Buffer.byteLength(JSON.stringify(raw));
  if (bytes > limits.maxWorkflowBytes) {
    throw new QueueError('prompt_too_large', `workflow is ${bytes} bytes; the limit is ${limits.maxWorkflowBytes}`, { field: 'workflow' });
  }
  return raw;
}

/** A link input is `[sourceNodeId, outputIndex]`. */
export function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && Number.isInteger(value[1]);
}

/**
 * The prompt's "shape": node classes and the links between them, without any
 * literal value, so re-running a workflow with a new seed or text keeps its run-time history.
 */
export function promptShape(prompt: Prompt): string {
  const ids = Object.keys(prompt).sort();
  const parts = ids.map((id) => {
    const node = prompt[id]!;
    const links = Object.keys(node.inputs)
      .sort()
      .flatMap((name) => {
        const value = node.inputs[name];
        return isLink(value) ? [`${name}<${value[0]}.${value[1]}`] : [];
      });
    return `${id}:${node.class_type}(${links.join(',')})`;
  });
  return createHash('sha256').update(parts.join(';')).digest('hex').slice(0, 16);
}

/** The title shown for a job: the workflow's own name if it has one. */
export function titleOf(workflow: unknown, fallback: string | undefined): string | null {
  if (fallback) return fallback;
  if (workflow && typeof workflow === 'object') {
    const extra = (workflow as { extra?: { name?: unknown } }).extra;
    if (extra && typeof extra.name === 'string') return extra.name;
  }
  return null;
}
