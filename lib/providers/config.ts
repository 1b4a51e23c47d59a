/**
 * The `provider:` block of the config file: one variant per provider, picked by
 * `kind`, so switching provider is one line. Credentials never appear here, only
 * the NAMES of the environment variables that hold them.
 */
import { z } from 'zod';
import { QueueError } from '../errors.ts';
import { SeatIdSchema } from '../job.ts';

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, not its value');
const HttpUrlSchema = z.url({ protocol: /^https?$/ });

export const LocalProviderConfigSchema = z.object({
  kind: z.literal('local'),
  workers: z
    .array(
      z.object({
        id: SeatIdSchema,
        url: HttpUrlSchema,
        headers: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default([]),
});

export const VerdaProviderConfigSchema = z.object({
  kind: z.literal('verda'),
  client_id_env: EnvNameSchema.default('VERDA_CLIENT_ID'),
  client_secret_env: EnvNameSchema.default('VERDA_CLIENT_SECRET'),
  /** e.g. "1H100.80S.22V" (GET /instance-types lists them). */
  instance_type: z.string().min(1),
  /** An OS image type (GET /images), or the id of an existing OS volume that already holds ComfyUI and the models. */
  image: z.string().min(1),
  /** Location code, e.g. "FIN-01"; Verda's default when absent. */
  location: z.string().min(1).optional(),
  ssh_key_ids: z.array(z.string().min(1)).default([]),
  /** A startup script (created in the console) that launches ComfyUI on `comfy_ports`. */
  startup_script_id: z.string().min(1).optional(),
  /** Instances whose hostname starts with this are ours; new ones are named <prefix>-1, <prefix>-2, … */
  hostname_prefix: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must start with a letter and hold only a-z, 0-9 and "-" (at most 40)')
    .default('comfy-multi'),
  /** One ComfyUI worker per port on each instance (1-3 share the GPU). */
  comfy_ports: z.array(z.number().int().min(1).max(65535)).min(1).max(3).default([8188]),
  max_instances: z.number().int().min(1).max(16).default(1),
  /** How long start may wait for an instance to be running with an IP (H100 provisioning takes minutes). */
  start_timeout_s: z.number().int().min(1).default(900),
  api_url: HttpUrlSchema.default('https://api.verda.com/v1'),
});

export const RunpodProviderConfigSchema = z.object({
  kind: z.literal('runpod'),
  endpoint_id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be the endpoint id shown in the RunPod console'),
  api_key_env: EnvNameSchema.default('RUNPOD_API_KEY'),
  /** Jobs in flight at RunPod at once; our queue decides which ones. */
  max_concurrent: z.number().int().min(1).max(100).default(2),
  api_url: HttpUrlSchema.default('https://api.runpod.ai/v2'),
});

export const ModalProviderConfigSchema = z
  .object({
    kind: z.literal('modal'),
    /** The web URL of the deployed ComfyUI, e.g. https://<workspace>--comfyui-ui.modal.run */
    url: HttpUrlSchema,
    /** Proxy-auth token (Modal-Key / Modal-Secret) when the endpoint has requires_proxy_auth. */
    token_id_env: EnvNameSchema.optional(),
    token_secret_env: EnvNameSchema.optional(),
    /**
     * Jobs in flight against the endpoint. One ComfyUI runs one prompt at a time, so more than 1
     * only keeps the next job waiting in its queue (like the pool's pre-submit).
     */
    slots: z.number().int().min(1).max(8).default(1),
    /** How long a start may wait for a cold container to answer. */
    warm_timeout_s: z.number().int().min(1).default(300),
  })
  .refine((config) => (config.token_id_env === undefined) === (config.token_secret_env === undefined), {
    message: 'token_id_env and token_secret_env go together (both or neither)',
    path: ['token_secret_env'],
  });

export const ProviderConfigSchema = z.discriminatedUnion('kind', [
  LocalProviderConfigSchema,
  VerdaProviderConfigSchema,
  RunpodProviderConfigSchema,
  ModalProviderConfigSchema,
]);

export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;
export type ProviderConfigInput = z.input<typeof ProviderConfigSchema>;
export type VerdaProviderConfig = z.infer<typeof VerdaProviderConfigSchema>;
export type RunpodProviderConfig = z.infer<typeof RunpodProviderConfigSchema>;
export type ModalProviderConfig = z.infer<typeof ModalProviderConfigSchema>;

/** Validates one provider block; the first problem becomes an `invalid_request` naming its key. */
export function parseProviderConfig<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = ['provider', ...issue.path.map(String)].join('.');
  throw new QueueError('invalid_request', `${field}: ${issue.message}`, { field });
}
