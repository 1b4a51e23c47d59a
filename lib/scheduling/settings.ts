/** Scheduler settings an instructor changes at run time; shared by every process on one store. */
import { z } from 'zod';

export const BUILTIN_POLICIES = ['fifo', 'round_robin', 'priority'] as const;

export const CapsSchema = z.object({
  maxQueuedPerSeat: z.number().int().min(0).max(100_000),
  maxDepth: z.number().int().min(0).max(10_000_000),
});

export const SchedulerSettingsSchema = z.object({
  /** Name of a registered policy (built-in or the embedder's own). */
  policy: z.string().min(1),
  paused: z.object({ submissions: z.boolean(), dispatch: z.boolean() }),
  caps: CapsSchema,
});
export type SchedulerSettings = z.infer<typeof SchedulerSettingsSchema>;

export const DEFAULT_SETTINGS: SchedulerSettings = {
  policy: 'round_robin',
  paused: { submissions: false, dispatch: false },
  caps: { maxQueuedPerSeat: 10, maxDepth: 500 },
};
