/**
 * Reading docker/docker-compose.yml and docker/.env.example the way Docker Compose v2 does,
 * for the checks that do not need a Compose binary: the .env format (with interpolation of
 * earlier variables), `${VAR}`, `${VAR:-default}` and `${VAR:?error}` in the compose file,
 * YAML merge keys, and which services a profile starts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const DOCKER_DIR = fileURLToPath(new URL('../../docker/', import.meta.url));
export const COMPOSE_FILE = `${DOCKER_DIR}docker-compose.yml`;
export const ENV_EXAMPLE = `${DOCKER_DIR}.env.example`;

export interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  restart?: string;
  profiles?: string[];
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string>;
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  healthcheck?: { test?: string[]; interval?: string; start_period?: string };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  deploy?: { resources?: { reservations?: { devices?: { driver: string; device_ids?: string[]; capabilities: string[] }[] } } };
}
export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Every variable name the text refers to as ${NAME…} (escaped $${…} excluded). */
export function referencedVariables(text: string): Set<string> {
  return new Set([...text.replace(/\$\$/g, '').matchAll(VARIABLE)].map((m) => m[1]!));
}

/** Compose's interpolation of one string; a missing `:?` variable throws with its message. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (_whole, name: string, op: string | undefined, arg: string | undefined) => {
    const value = env[name];
    const empty = value === undefined || value === '';
    if (op === ':-') return empty ? (arg ?? '') : value;
    if (op === '-') return value ?? arg ?? '';
    if (op === ':?' && empty) throw new Error(`${name}: ${arg}`);
    if (op === '?' && value === undefined) throw new Error(`${name}: ${arg}`);
    return value ?? '';
  });
}

/** A .env file as Compose v2 reads it: comments, optional quotes, earlier variables interpolated. */
export function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not KEY=VALUE: ${raw}`);
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.startsWith("'") && value.endsWith("'")) {
      env.set(key, value.slice(1, -1));
      continue;
    }
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    env.set(key, interpolate(value, Object.fromEntries(env)));
  }
  return env;
}

export function readComposeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8');
}

/** The compose file with merge keys applied; its string values interpolated with `env` when given, like Compose does. */
export function loadCompose(env?: Record<string, string | undefined>): ComposeFile {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return env ? interpolate(value, env) : value;
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(parse(readComposeText(), { merge: true })) as ComposeFile;
}

export function exampleEnv(): Map<string, string> {
  return parseEnvFile(readFileSync(ENV_EXAMPLE, 'utf8'));
}

/** The services `docker compose up` starts with these profiles active. */
export function activeServices(compose: ComposeFile, profiles: string[]): string[] {
  return Object.entries(compose.services)
    .filter(([, service]) => !service.profiles || service.profiles.some((p) => profiles.includes(p)))
    .map(([name]) => name);
}

/** `docker compose` (v2 plugin) or Debian's `docker-compose`, whichever works here; null when neither. */
export function composeCommand(): string[] | null {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return command;
  }
  return null;
}
