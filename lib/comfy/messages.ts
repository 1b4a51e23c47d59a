/**
 * Zod schemas (and the types inferred from them) for what a ComfyUI server
 * sends: WebSocket JSON messages and the HTTP bodies the worker client reads.
 *
 * Schemas are loose on purpose: they require only the fields this project
 * relies on and keep every other key, so a newer core that adds fields (e.g.
 * `workflow_id`) still parses and the extra keys travel on to the browser.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------
// WebSocket JSON messages (envelope {"type": T, "data": D})
// ---------------------------------------------------------------------------

export const StatusDataSchema = z.looseObject({
  // The frontend's own close handler dispatches `status: null`; servers send an object.
  status: z
    .looseObject({ exec_info: z.looseObject({ queue_remaining: z.number() }) })
    .nullable()
    .optional(),
  sid: z.string().optional(),
});
export type StatusData = z.infer<typeof StatusDataSchema>;

export const FeatureFlagsSchema = z.record(z.string(), z.unknown());
export type FeatureFlags = z.infer<typeof FeatureFlagsSchema>;

export const ExecutionStartDataSchema = z.looseObject({ prompt_id: z.string(), timestamp: z.number().optional() });

export const ExecutionCachedDataSchema = z.looseObject({
  nodes: z.array(z.string()),
  prompt_id: z.string(),
  timestamp: z.number().optional(),
});

/** `node: null` marks the end of a prompt; the reconnect replay has neither `prompt_id` nor `display_node`. */
export const ExecutingDataSchema = z.looseObject({
  node: z.string().nullable(),
  display_node: z.string().optional(),
  prompt_id: z.string().optional(),
});

export const ProgressDataSchema = z.looseObject({
  value: z.number(),
  max: z.number(),
  prompt_id: z.string().optional(),
  node: z.string().nullable().optional(),
});

export const NodeProgressStateSchema = z.looseObject({
  value: z.number(),
  max: z.number(),
  state: z.string(),
  node_id: z.string(),
  prompt_id: z.string().optional(),
  display_node_id: z.string().optional(),
  parent_node_id: z.string().nullable().optional(),
  real_node_id: z.string().optional(),
});
export type NodeProgressState = z.infer<typeof NodeProgressStateSchema>;

export const ProgressStateDataSchema = z.looseObject({
  prompt_id: z.string(),
  nodes: z.record(z.string(), NodeProgressStateSchema),
});

export const NodeOutputSchema = z.record(z.string(), z.unknown());
export type NodeOutput = z.infer<typeof NodeOutputSchema>;

export const ExecutedDataSchema = z.looseObject({
  node: z.string(),
  display_node: z.string().optional(),
  output: NodeOutputSchema.nullable(),
  prompt_id: z.string(),
});

export const ExecutionSuccessDataSchema = z.looseObject({ prompt_id: z.string(), timestamp: z.number().optional() });

/** The ExecutionBlocker variant has an empty traceback and no timestamp, so only the identity is required. */
export const ExecutionErrorDataSchema = z.looseObject({
  prompt_id: z.string(),
  node_id: z.string(),
  node_type: z.string(),
  executed: z.array(z.string()).optional(),
  exception_message: z.string(),
  exception_type: z.string(),
  traceback: z.array(z.string()).optional(),
  current_inputs: z.unknown().optional(),
  current_outputs: z.unknown().optional(),
  timestamp: z.number().optional(),
});
export type ExecutionErrorData = z.infer<typeof ExecutionErrorDataSchema>;

export const ExecutionInterruptedDataSchema = z.looseObject({
  prompt_id: z.string(),
  node_id: z.string().optional(),
  node_type: z.string().optional(),
  executed: z.array(z.string()).optional(),
  timestamp: z.number().optional(),
});
export type ExecutionInterruptedData = z.infer<typeof ExecutionInterruptedDataSchema>;

/** Messages that belong to one prompt; the client relays exactly these on its `message` event. */
export const PROMPT_MESSAGE_SCHEMAS = {
  execution_start: ExecutionStartDataSchema,
  execution_cached: ExecutionCachedDataSchema,
  executing: ExecutingDataSchema,
  progress: ProgressDataSchema,
  progress_state: ProgressStateDataSchema,
  executed: ExecutedDataSchema,
  execution_success: ExecutionSuccessDataSchema,
  execution_error: ExecutionErrorDataSchema,
  execution_interrupted: ExecutionInterruptedDataSchema,
} as const;

export type PromptMessageType = keyof typeof PROMPT_MESSAGE_SCHEMAS;
export type PromptMessageData = { [K in PromptMessageType]: z.infer<(typeof PROMPT_MESSAGE_SCHEMAS)[K]> };

/** A prompt-scoped message with the prompt it belongs to resolved (see the client for the replay rule). */
export type PromptMessage = {
  [K in PromptMessageType]: { type: K; promptId: string; data: PromptMessageData[K] };
}[PromptMessageType];

export const TERMINAL_MESSAGE_TYPES = ['execution_success', 'execution_error', 'execution_interrupted'] as const;
export type TerminalMessageType = (typeof TERMINAL_MESSAGE_TYPES)[number];
export const isTerminalMessageType = (type: string): type is TerminalMessageType =>
  (TERMINAL_MESSAGE_TYPES as readonly string[]).includes(type);

export type KnownServerMessage =
  | { type: 'status'; data: StatusData }
  | { type: 'feature_flags'; data: FeatureFlags }
  | { [K in PromptMessageType]: { type: K; data: PromptMessageData[K] } }[PromptMessageType];

export type ParsedServerMessage =
  | { ok: true; message: KnownServerMessage }
  | { ok: false; type: string | null; data: unknown; reason: string };

const EnvelopeSchema = z.looseObject({ type: z.string(), data: z.unknown() });

const isPromptMessageType = (type: string): type is PromptMessageType => Object.hasOwn(PROMPT_MESSAGE_SCHEMAS, type);

/** Parses one text frame. Unknown types and shape mismatches come back as `ok: false`, never as a throw. */
export function parseServerMessage(text: string): ParsedServerMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, type: null, data: text, reason: 'not JSON' };
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, type: null, data: json, reason: 'no {type, data} envelope' };
  const { type, data } = envelope.data;
  if (type === 'status' || type === 'feature_flags') {
    const schema = type === 'status' ? StatusDataSchema : FeatureFlagsSchema;
    const parsed = schema.safeParse(data);
    if (!parsed.success) return { ok: false, type, data, reason: z.prettifyError(parsed.error) };
    return { ok: true, message: { type, data: parsed.data } as KnownServerMessage };
  }
  if (!isPromptMessageType(type)) return { ok: false, type, data, reason: `message type "${type}" is not in the catalogue` };
  const parsed = PROMPT_MESSAGE_SCHEMAS[type].safeParse(data);
  if (!parsed.success) return { ok: false, type, data, reason: z.prettifyError(parsed.error) };
  return { ok: true, message: { type, data: parsed.data } as KnownServerMessage };
}

/** Metadata JSON of a binary type-4 preview frame. */
export const PreviewMetadataSchema = z.looseObject({
  node_id: z.string(),
  prompt_id: z.string(),
  display_node_id: z.string().optional(),
  parent_node_id: z.string().nullable().optional(),
  real_node_id: z.string().optional(),
  image_type: z.string(),
});
export type PreviewMetadata = z.infer<typeof PreviewMetadataSchema>;

// ---------------------------------------------------------------------------
// HTTP bodies
// ---------------------------------------------------------------------------

/** `number` is the queue priority; cores send it as an int or a float. */
export const PromptResponseSchema = z.looseObject({
  prompt_id: z.string(),
  number: z.number(),
  node_errors: z.record(z.string(), z.unknown()).default({}),
});

/** The 400 envelope (`error` is an object) and the 409/400 jobs shape (`error` is a string). */
export const ComfyErrorBodySchema = z.looseObject({
  error: z.union([
    z.string(),
    z.looseObject({
      type: z.string().optional(),
      message: z.string().optional(),
      details: z.unknown().optional(),
      extra_info: z.unknown().optional(),
    }),
  ]),
  node_errors: z.record(z.string(), z.unknown()).optional(),
});
export type ComfyErrorBody = z.infer<typeof ComfyErrorBodySchema>;

export const HistoryStatusSchema = z.looseObject({
  status_str: z.string(),
  completed: z.boolean(),
  messages: z.array(z.tuple([z.string(), z.unknown()])).default([]),
});
export type HistoryStatus = z.infer<typeof HistoryStatusSchema>;

export const HistoryItemSchema = z.looseObject({
  /** [number, prompt_id, prompt, extra_data, outputs_to_execute] */
  prompt: z.array(z.unknown()),
  outputs: z.record(z.string(), NodeOutputSchema).default({}),
  status: HistoryStatusSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

export const HistoryResponseSchema = z.record(z.string(), HistoryItemSchema);

/** Queue items are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`; only the id is read. */
const QueueItemSchema = z.array(z.unknown()).refine((item) => typeof item[1] === 'string', 'item[1] must be a prompt id');
export const QueueResponseSchema = z.looseObject({
  queue_running: z.array(QueueItemSchema),
  queue_pending: z.array(QueueItemSchema),
});

export const JobDetailSchema = z.looseObject({
  id: z.string(),
  /** pending | in_progress | completed | failed | cancelled (cancelled only on newer cores) */
  status: z.string(),
  priority: z.number().optional(),
  create_time: z.number().optional(),
  execution_start_time: z.number().optional(),
  execution_end_time: z.number().optional(),
  execution_error: z.record(z.string(), z.unknown()).optional(),
  outputs_count: z.number().optional(),
  outputs: z.record(z.string(), NodeOutputSchema).optional(),
  execution_status: HistoryStatusSchema.optional(),
  workflow: z.unknown().optional(),
});
export type JobDetail = z.infer<typeof JobDetailSchema>;

export const CancelJobResponseSchema = z.looseObject({ cancelled: z.boolean() });

export const UploadResponseSchema = z.looseObject({
  name: z.string(),
  subfolder: z.string().default(''),
  type: z.string(),
});
export type UploadResult = z.infer<typeof UploadResponseSchema>;

export const SystemStatsSchema = z.looseObject({
  system: z.looseObject({
    os: z.string().optional(),
    comfyui_version: z.string().optional(),
    python_version: z.string().optional(),
    pytorch_version: z.string().optional(),
    ram_total: z.number().optional(),
    ram_free: z.number().optional(),
  }),
  devices: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string(),
      index: z.number().nullable().optional(),
      vram_total: z.number().optional(),
      vram_free: z.number().optional(),
    }),
  ),
});
export type SystemStats = z.infer<typeof SystemStatsSchema>;

export const NodeInfoSchema = z.looseObject({
  input: z.record(z.string(), z.unknown()),
  output: z.array(z.unknown()),
  name: z.string(),
  display_name: z.string().nullable().optional(),
  category: z.string().nullable().optional(),
  output_node: z.boolean().optional(),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

export const ObjectInfoSchema = z.record(z.string(), NodeInfoSchema);

/** A file reference as it appears in outputs and upload answers. */
export interface FileRef {
  filename: string;
  subfolder: string;
  type: string;
}
