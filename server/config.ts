/**
 * The server's configuration: one YAML file validated by zod, every key
 * overridable by a COMFY_MULTI_<PATH> environment variable. Any invalid value
 * stops start-up with a message naming the key (and the variable that set it).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ProviderConfigSchema } from '../lib/providers/config.ts';
import { BUILTIN_POLICIES } from '../lib/scheduling/settings.ts';

const MiB = 1024 * 1024;

export type { ProviderConfig } from '../lib/providers/config.ts';

export const StoreConfigSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('sqlite'),
    /** Relative to data_dir. */
    path: z.string().min(1).default('queue.db'),
  }),
  z.object({
    kind: z.literal('redis'),
    url: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
    prefix: z.string().min(1).default('cm:'),
  }),
]);

export const ConfigSchema = z.object({
  listen: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
    })
    .prefault({}),
  /** The address participants use (printed URLs); defaults to http://<host>:<port>. */
  public_url: z.url({ protocol: /^https?$/ }).optional(),
  data_dir: z.string().min(1).default('./data'),
  store: StoreConfigSchema.prefault({ kind: 'sqlite' }),
  scheduler: z
    .object({
      policy: z.enum(BUILTIN_POLICIES).default('round_robin'),
      caps: z
        .object({
          max_queued_per_seat: z.number().int().min(0).default(10),
          max_depth: z.number().int().min(0).default(500),
        })
        .prefault({}),
    })
    .prefault({}),
  seats: z
    .object({
      count: z.number().int().min(1).max(999).default(20),
      prefix: z.string().regex(/^[a-z][a-z0-9_-]{0,20}$/, 'must be a-z followed by a-z, 0-9, "_" or "-"').default('user'),
      names: z.array(z.string().max(100)).optional(),
    })
    .prefault({}),
  admin: z.object({ password: z.string().min(8, 'must be at least 8 characters') }),
  /** local | verda | runpod | modal: switching provider is one line (lib/providers/config.ts). */
  provider: ProviderConfigSchema.prefault({ kind: 'local' }),
  ui_upstream: z.object({ url: z.url({ protocol: /^https?$/ }) }).optional(),
  limits: z
    .object({
      /** Largest JSON request body. */
      body_bytes: z.number().int().min(1024).default(10 * MiB),
      /** Largest upload through the seat gateway (ComfyUI's own default is 100 MB). */
      upload_bytes: z.number().int().min(1024).default(100 * MiB),
      prompt_bytes: z.number().int().min(1024).default(1 * MiB),
      workflow_bytes: z.number().int().min(1024).default(8 * MiB),
      max_nodes: z.number().int().min(1).default(1000),
      /** Failed logins (seat and admin) per client address per minute. */
      login_per_ip_per_minute: z.number().int().min(1).default(30),
      /** Wrong codes per seat per 10 minutes before that seat's login pauses. */
      login_failures_per_seat: z.number().int().min(1).default(10),
    })
    .prefault({}),
  /** Fastify's trustProxy: true behind nginx on the same host, or a list of proxy addresses. */
  trust_proxy: z.union([z.boolean(), z.string()]).default(false),
  /** Mark cookies Secure; defaults to true when public_url is https. */
  secure_cookies: z.boolean().optional(),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});
export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.infer<typeof ConfigSchema>;

/** A configuration mistake; `key` is the dotted path of the offending setting. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export const ENV_PREFIX = 'COMFY_MULTI_';
/** Not a setting: the path of the config file itself. */
export const CONFIG_FILE_ENV = `${ENV_PREFIX}CONFIG`;

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  const?: unknown;
};

interface EnvKey {
  path: string[];
  /** For discriminated blocks: the `kind` this variable selects (COMFY_MULTI_STORE_REDIS_URL). */
  kind?: string;
  leaf: JsonSchema;
}

/** Every environment variable name the schema accepts, with the path it sets. */
export function envKeys(): Map<string, EnvKey> {
  const keys = new Map<string, EnvKey>();
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const add = (path: string[], leaf: JsonSchema, kind?: string, kindSegment?: string): void => {
    const parts = kindSegment === undefined ? path : [...path.slice(0, -1), kindSegment, path[path.length - 1]!];
    const name = ENV_PREFIX + parts.join('_').toUpperCase();
    if (!keys.has(name)) keys.set(name, kind === undefined ? { path, leaf } : { path, leaf, kind });
  };
  const walk = (node: JsonSchema, path: string[]): void => {
    const variants = node.oneOf ?? node.anyOf;
    if (node.properties) {
      for (const [key, child] of Object.entries(node.properties)) walk(child, [...path, key]);
    } else if (variants?.every((v) => v.properties?.['kind']?.const !== undefined)) {
      for (const variant of variants) {
        const kind = String(variant.properties!['kind']!.const);
        for (const [key, child] of Object.entries(variant.properties!)) {
          if (key === 'kind') {
            add([...path, key], child);
            continue;
          }
          // A key only one kind has selects that kind (COMFY_MULTI_PROVIDER_WORKERS means provider.kind local).
          const only = variants.filter((v) => v.properties?.[key] !== undefined).length === 1;
          add([...path, key], child, only ? kind : undefined);
          add([...path, key], child, kind, kind);
        }
      }
    } else {
      add(path, node);
    }
  };
  walk(schema, []);
  return keys;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Env strings become the type the setting expects; anything unconvertible is left for zod to reject. */
function coerce(raw: string, leaf: JsonSchema): unknown {
  const types = Array.isArray(leaf.type) ? leaf.type : leaf.type ? [leaf.type] : [];
  const text = raw.trim();
  if ((types.includes('integer') || types.includes('number')) && text !== '' && Number.isFinite(Number(text))) return Number(text);
  if (types.includes('boolean')) {
    if (TRUE.has(text.toLowerCase())) return true;
    if (FALSE.has(text.toLowerCase())) return false;
  }
  if (types.includes('array')) {
    if (text.startsWith('[')) {
      try {
        return JSON.parse(text);
      } catch {
        return raw;
      }
    }
    const items = text === '' ? [] : text.split(',').map((s) => s.trim());
    // Worker lists may be written "gpu0=http://127.0.0.1:8188,gpu1=http://…".
    if (leaf.items?.properties?.['url'] && leaf.items.properties['id']) {
      return items.map((item, index) => {
        const eq = item.indexOf('=');
        return eq > 0 ? { id: item.slice(0, eq), url: item.slice(eq + 1) } : { id: `worker${index + 1}`, url: item };
      });
    }
    return items;
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Applies COMFY_MULTI_* variables to a raw (unvalidated) config object; returns which key each variable set. */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const keys = envKeys();
  const sources = new Map<string, string>();
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && name !== CONFIG_FILE_ENV)
    .sort();
  for (const name of names) {
    const key = keys.get(name);
    if (!key) {
      const known = [...keys.keys()].filter((k) => k.includes(name.slice(ENV_PREFIX.length).split('_')[0] ?? '')).slice(0, 6);
      throw new ConfigError(name, `is not a known setting${known.length ? `; did you mean ${known.join(', ')}?` : ''}`);
    }
    if (key.kind !== undefined) setPath(raw, [...key.path.slice(0, -1), 'kind'], key.kind);
    setPath(raw, key.path, coerce(env[name] ?? '', key.leaf));
    sources.set(key.path.join('.'), name);
  }
  return sources;
}

/** Validates a raw config object (file contents with env applied). */
export function parseConfig(raw: unknown, sources: Map<string, string> = new Map()): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.map(String).join('.') || '(root)';
    const from = sources.get(key) ?? [...sources].find(([path]) => key.startsWith(`${path}.`))?.[1];
    throw new ConfigError(key, `${issue.message}${from ? ` (set by ${from})` : ''}`);
  }
  return result.data;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute data directory. */
  dataDir: string;
  /** The file read, or null when only defaults and the environment were used. */
  file: string | null;
}

/**
 * Reads the YAML file (when given or when ./comfy-multi.yaml exists), applies
 * the environment and validates. Relative paths in the file are relative to the file.
 */
export async function loadConfig(
  options: { file?: string | null; env?: NodeJS.ProcessEnv; overrides?: ConfigInput } = {},
): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  // file: null = defaults, overrides and the environment only (the demo).
  const explicit = options.file === null ? undefined : (options.file ?? env[CONFIG_FILE_ENV]);
  const file = options.file === null ? null : resolve(explicit ?? 'comfy-multi.yaml');
  let raw: Record<string, unknown> = {};
  let used: string | null = null;
  if (file) {
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || explicit) {
        throw new ConfigError(file, `cannot be read: ${(error as Error).message}`);
      }
    }
    if (text !== null) {
      used = file;
      let parsed: unknown;
      try {
        parsed = parseYaml(text) ?? {};
      } catch (error) {
        throw new ConfigError(file, `is not valid YAML: ${(error as Error).message}`);
      }
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(file, 'must be a YAML mapping of settings');
      raw = parsed as Record<string, unknown>;
    }
  }
  if (options.overrides) raw = deepMerge(raw, options.overrides as Record<string, unknown>);
  const sources = applyEnv(raw, env);
  const config = parseConfig(raw, sources);
  const base = used ? dirname(used) : process.cwd();
  const dataDir = isAbsolute(config.data_dir) ? config.data_dir : resolve(base, config.data_dir);
  return { config, dataDir, file: used };
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** Where participants reach the server. */
export function publicUrl(config: Config, port?: number): string {
  if (config.public_url) return config.public_url.replace(/\/+$/, '');
  const host = config.listen.host === '0.0.0.0' || config.listen.host === '::' ? 'localhost' : config.listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port ?? config.listen.port}`;
}
