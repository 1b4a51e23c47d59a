/**
 * Every request and response body of /api/v1, as zod schemas: the handlers
 * validate with them and /api/v1/openapi.json is generated from them, so the
 * contract in docs/api.md has exactly one source in code.
 */
import { z } from 'zod';
import { JOB_STATES, JobIdSchema, JobStateSchema, PREVIEW_METHODS, PriorityClassSchema, SeatIdSchema } from '../lib/job.ts';
import { WORKER_STATES } from '../lib/pool/types.ts';

const Iso = z.string().describe('ISO 8601 time');

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    details: z.unknown().optional(),
  }),
});

// ---- sessions ----------------------------------------------------------------

export const SeatLoginSchema = z.object({ seat: SeatIdSchema, code: z.string().min(1).max(64) });
export const AdminLoginSchema = z.object({ password: z.string().min(1).max(1024) });
export const SeatLoginResultSchema = z.object({ seat: z.string(), name: z.string() });
export const AdminLoginResultSchema = z.object({ role: z.literal('admin') });
export const SessionInfoSchema = z.object({
  role: z.enum(['seat', 'admin', 'token']),
  seat: z.string().optional(),
  name: z.string().optional(),
});

// ---- jobs --------------------------------------------------------------------

export const SubmitBodySchema = z.object({
  prompt: z.record(z.string(), z.unknown()).describe('ComfyUI API-format prompt'),
  workflow: z.unknown().optional().describe('ComfyUI UI-format workflow (kept for the PNG metadata and the job list)'),
  partial_execution_targets: z.array(z.string().min(1)).max(1000).optional(),
  preview_method: z.enum(PREVIEW_METHODS).optional(),
  front: z.boolean().optional(),
  client_request_id: z.string().min(1).max(200).optional(),
  title: z.string().max(200).optional(),
  seat: SeatIdSchema.optional().describe('admin and admin tokens only: the seat the job belongs to'),
  priority: PriorityClassSchema.optional().describe('seats may ask for normal or low; higher classes need the admin'),
});

export const OutputSchema = z.object({
  node_id: z.string(),
  kind: z.string(),
  filename: z.string(),
  subfolder: z.string(),
  type: z.enum(['output', 'temp']),
  size: z.number().int().optional(),
  mime: z.string().optional(),
  url: z.string(),
});

export const JobViewSchema = z.object({
  id: JobIdSchema,
  seat: z.string(),
  title: z.string().nullable(),
  state: JobStateSchema,
  priority: PriorityClassSchema,
  position: z.number().int().nullable(),
  eta: z.number().nullable().describe('seconds from now until it finishes; null when not queued or unknown'),
  eta_start: z.number().nullable().describe('seconds from now until it starts; null when not queued or unknown'),
  attempts: z.number().int(),
  queued_at: Iso,
  started_at: Iso.nullable(),
  finished_at: Iso.nullable(),
  worker: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).nullable(),
  cancel_requested: z.boolean(),
  outputs: z.array(OutputSchema),
});
export type JobView = z.infer<typeof JobViewSchema>;

export const JobDetailSchema = JobViewSchema.extend({
  prompt: z.record(z.string(), z.unknown()),
  workflow: z.unknown().nullable(),
});

const stateList = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const states = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const state of states) {
      if (!(JOB_STATES as readonly string[]).includes(state)) {
        ctx.addIssue({ code: 'custom', message: `unknown state "${state}"; known: ${JOB_STATES.join(', ')}` });
        return z.NEVER;
      }
    }
    return states as (typeof JOB_STATES)[number][];
  });

export const JobListQuerySchema = z.object({
  state: stateList.optional(),
  seat: SeatIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(500).optional(),
});
export const JobListSchema = z.object({ jobs: z.array(JobViewSchema), next_cursor: z.string().nullable() });

export const JobPatchSchema = z
  .object({ priority: PriorityClassSchema.optional(), position: z.number().int().min(1).optional() })
  .refine((body) => body.priority !== undefined || body.position !== undefined, { message: 'give priority and/or position' });

export const JobIdParamsSchema = z.object({ id: JobIdSchema });
export const OutputsListSchema = z.object({ outputs: z.array(OutputSchema) });
export const DownloadQuerySchema = z.object({ download: z.enum(['0', '1', 'true', 'false']).optional() });
export const ZipQuerySchema = z.object({ seat: SeatIdSchema.optional() });

// ---- queue -------------------------------------------------------------------

export const QueueEntrySchema = z.object({
  position: z.number().int(),
  id: z.string().optional(),
  seat: z.string().optional(),
  mine: z.boolean(),
  eta: z.number().nullable(),
  eta_start: z.number().nullable(),
});
export const PausedSchema = z.object({ submissions: z.boolean(), dispatch: z.boolean() });
export const QueueViewSchema = z.object({
  policy: z.string(),
  paused: PausedSchema,
  depth: z.number().int(),
  running: z.number().int(),
  ready_workers: z.number().int(),
  entries: z.array(QueueEntrySchema),
});
export type QueueView = z.infer<typeof QueueViewSchema>;

// ---- admin -------------------------------------------------------------------

export const CapsViewSchema = z.object({ max_queued_per_seat: z.number().int(), max_depth: z.number().int() });
export const SchedulerStateSchema = z.object({
  policy: z.string(),
  policies: z.array(z.string()),
  paused: PausedSchema,
  caps: CapsViewSchema,
});
export const SchedulerUpdateSchema = z.object({
  policy: z.string().min(1).max(100).optional(),
  caps: z
    .object({
      max_queued_per_seat: z.number().int().min(0).max(100_000).optional(),
      max_depth: z.number().int().min(0).max(10_000_000).optional(),
    })
    .optional(),
});
export const PauseBodySchema = z.object({ submissions: z.boolean().optional(), dispatch: z.boolean().optional() }).optional();

export const WorkerSchema = z.object({
  id: z.string(),
  url: z.string(),
  provider: z.string(),
  state: z.enum(WORKER_STATES),
  current_job: z.string().nullable(),
  current_seat: z.string().nullable(),
  progress: z.object({ value: z.number(), max: z.number(), node: z.string().nullable() }).nullable(),
  last_preview_url: z.string().nullable(),
  health: z.array(z.object({ at: Iso, ok: z.boolean(), ms: z.number(), error: z.string().optional() })),
  system: z
    .object({
      vram_total: z.number(),
      vram_free: z.number(),
      ram_total: z.number(),
      ram_free: z.number(),
      device: z.string(),
      comfyui_version: z.string().nullable(),
    })
    .nullable(),
  owner: z.string().nullable(),
  jobs_done: z.number().int(),
  busy_ms: z.number(),
});
export type WorkerJson = z.infer<typeof WorkerSchema>;
export const WorkerListSchema = z.object({ workers: z.array(WorkerSchema) });
export const WorkerParamsSchema = z.object({ id: z.string().min(1).max(100) });

export const SeatSchema = z.object({
  seat: z.string(),
  name: z.string(),
  disabled: z.boolean(),
  online: z.boolean(),
  queued: z.number().int(),
  running: z.number().int(),
  done: z.number().int().describe('succeeded jobs'),
  outputs: z.number().int().describe('output files of its jobs'),
  last_activity: Iso.nullable(),
  url: z.string().describe('the seat gateway URL (without the code)'),
});
export const SeatListSchema = z.object({ seats: z.array(SeatSchema) });
export const SeatParamsSchema = z.object({ seat: SeatIdSchema });
export const SeatPatchSchema = z
  .object({ disabled: z.boolean().optional(), name: z.string().max(100).nullable().optional() })
  .refine((body) => body.disabled !== undefined || body.name !== undefined, { message: 'give disabled and/or name' });
export const SeatCodeSchema = z.object({ seat: z.string(), code: z.string(), url: z.string() });
export const CancelledSchema = z.object({ cancelled: z.number().int() });

export const AnnouncementSchema = z.object({ id: z.string(), text: z.string(), at: Iso });
export type AnnouncementJson = z.infer<typeof AnnouncementSchema>;
export const AnnouncementBodySchema = z.object({ text: z.string().trim().min(1).max(2000) });
export const AnnouncementListSchema = z.object({ announcements: z.array(AnnouncementSchema) });

export const StatsSchema = z.object({
  depth_series: z.array(z.object({ at: Iso, queued: z.number(), running: z.number() })),
  wait_series: z.array(z.object({ at: Iso, p50: z.number().nullable().describe('seconds') })),
  jobs_per_seat: z.record(z.string(), z.number()),
  utilisation: z.record(z.string(), z.number()),
  totals: z.object({
    jobs: z.number(),
    queued: z.number(),
    running: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    cancelled: z.number(),
    outputs: z.number(),
  }),
});

export const TokenCreateSchema = z
  .object({ name: z.string().trim().min(1).max(100), role: z.enum(['seat', 'admin']), seat: SeatIdSchema.optional() })
  .refine((body) => body.role === 'admin' || body.seat !== undefined, { message: 'a seat token needs a seat', path: ['seat'] });
export const TokenSchema = z.object({ token: z.string(), name: z.string(), role: z.enum(['seat', 'admin']), seat: z.string().nullable() });

// ---- events (WebSocket) ------------------------------------------------------

export const EVENTS_VERSION = 1;
const envelope = <T extends z.ZodRawShape>(type: string, shape: T) =>
  z.object({ v: z.literal(EVENTS_VERSION), seq: z.number().int(), type: z.literal(type), ...shape });

export const EventEnvelopeSchema = z.discriminatedUnion('type', [
  envelope('hello', {
    stream: z.string(),
    role: z.enum(['seat', 'admin']),
    seat: z.string().optional(),
    resumed: z.boolean(),
  }),
  envelope('snapshot', { jobs: z.array(JobViewSchema), queue: QueueViewSchema, announcements: z.array(AnnouncementSchema) }),
  envelope('comfy', { job_id: z.string(), event: z.string(), data: z.record(z.string(), z.unknown()) }),
  envelope('job', { job: JobViewSchema }),
  envelope('queue', { queue: QueueViewSchema }),
  envelope('announcement', { announcement: AnnouncementSchema }),
  envelope('worker', { worker: WorkerSchema }),
]);
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

export const EventsQuerySchema = z.object({
  since: z.coerce.number().int().min(0).optional(),
  stream: z.string().max(100).optional(),
  token: z.string().max(500).optional(),
});

/** The header of a binary preview frame (after a u32 big-endian header length). */
export const PreviewHeaderSchema = z.object({
  v: z.literal(EVENTS_VERSION),
  type: z.literal('preview'),
  job_id: z.string(),
  node_id: z.string(),
  display_node_id: z.string(),
  parent_node_id: z.string().nullable(),
  real_node_id: z.string(),
  image_type: z.string(),
});

// ---- seat gateway --------------------------------------------------------------

export const GatewayConfigSchema = z.object({
  api_base: z.string(),
  events_url: z.string(),
  seat: z.string(),
  name: z.string(),
  version: z.literal(1),
});
