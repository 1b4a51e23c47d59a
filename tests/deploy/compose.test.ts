/**
 * docker/docker-compose.yml without a Docker engine: Compose's own `config` check (the v2
 * plugin or Debian's docker-compose, which validate against the compose-spec schema), then
 * what the workshop deployment relies on: health checks and restart policies everywhere,
 * every variable documented, the certificate mounted read-only, NUM_WORKERS starting and
 * announcing the same workers, and the server config the containers get actually loading.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../server/config.ts';
import {
  activeServices,
  COMPOSE_FILE,
  type ComposeFile,
  composeCommand,
  DOCKER_DIR,
  ENV_EXAMPLE,
  exampleEnv,
  loadCompose,
  readComposeText,
  referencedVariables,
  type Service,
} from './compose-kit.ts';
import { TEMPLATE, TEMPLATE_VARIABLES } from './nginx.ts';

const COMFYUI_SERVICES = ['ui', 'worker0', 'worker1', 'worker2'];
/** Variables Compose itself reads from .env (not interpolated into the file). */
const COMPOSE_SETTINGS = new Set(['COMPOSE_PROJECT_NAME', 'COMPOSE_PROFILES']);

const env = Object.fromEntries(exampleEnv());
const compose: ComposeFile = loadCompose(env);
const service = (name: string): Service => {
  const found = compose.services[name];
  assert.ok(found, `service ${name} exists`);
  return found;
};
const longVolumes = (s: Service) => (s.volumes ?? []).filter((v) => typeof v === 'object');
const shortVolumes = (s: Service) => (s.volumes ?? []).filter((v): v is string => typeof v === 'string');

describe('docker-compose.yml', () => {
  const cli = composeCommand();
  // Skipped only on a developer machine without Compose; .ci/run installs it, so CI always checks.
  const skip = cli || process.env['CI'] ? false : 'neither `docker compose` nor `docker-compose` is installed (apt-get install --no-install-recommends docker-compose)';
  const composeCli = (): string[] => {
    assert.ok(cli, 'a Compose binary (.ci/run installs docker-compose)');
    return cli;
  };

  it('passes Compose’s own validation with .env.example', { skip }, () => {
    const [command, ...args] = composeCli();
    const result = spawnSync(command!, [...args, '--env-file', ENV_EXAMPLE, '-f', COMPOSE_FILE, 'config'], {
      cwd: DOCKER_DIR,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/', COMPOSE_PROFILES: 'workers3' },
    });
    assert.equal(result.status, 0, result.stderr);
    const resolved = parse(result.stdout) as ComposeFile;
    assert.deepEqual(Object.keys(resolved.services).sort(), ['comfy-multi', 'nginx', 'redis', 'ui', 'worker0', 'worker1', 'worker2']);
    assert.equal(resolved.services['nginx']!.environment!['SERVER_NAME'], env['SERVER_NAME']);
  });

  it('is rejected by the same check when a key is misspelt', { skip }, () => {
    const [command, ...args] = composeCli();
    const broken = readComposeText().replace('    start_period: 10m\n', '    start_period: 10m\n    start_intervall: 5s\n');
    assert.notEqual(broken, readComposeText());
    const result = spawnSync(command!, [...args, '--env-file', ENV_EXAMPLE, '--project-directory', DOCKER_DIR, '-f', '-', 'config'], {
      cwd: DOCKER_DIR,
      input: broken,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/' },
    });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /start_intervall/);
  });

  it('gives every service a health check and restarts it unless stopped', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.ok(s.healthcheck?.test && s.healthcheck.test.length > 1, `${name} has a healthcheck`);
      assert.equal(s.restart, 'unless-stopped', `${name} restart policy`);
    }
    assert.match(service('comfy-multi').healthcheck!.test!.join(' '), /\/healthz/);
    assert.match(service('nginx').healthcheck!.test!.join(' '), /\/nginx-health/);
  });

  it('documents every variable it uses in .env.example, and uses every one documented there', async () => {
    const used = referencedVariables(readComposeText());
    const documented = new Set(Object.keys(env));
    for (const name of used) assert.ok(documented.has(name), `${name} is documented in .env.example`);
    for (const name of documented) assert.ok(used.has(name) || COMPOSE_SETTINGS.has(name), `${name} in .env.example is used`);
    // Each variable, or a group of them on consecutive lines, has a comment above.
    const lines = (await readFile(ENV_EXAMPLE, 'utf8')).split('\n');
    for (const name of documented) {
      let above = lines.findIndex((line) => line.startsWith(`${name}=`)) - 1;
      while (above >= 0 && /^[A-Z_][A-Z0-9_]*=/.test(lines[above]!)) above--;
      assert.ok(lines[above]?.startsWith('#'), `${name} is explained by a comment`);
    }
  });

  it('mounts the certificate and key read-only into nginx only, where the template expects them', () => {
    const nginx = service('nginx');
    const tls = longVolumes(nginx);
    for (const [variable, target, setting] of [
      ['TLS_CERT_PATH', '/etc/nginx/tls/fullchain.pem', 'TLS_CERT'],
      ['TLS_KEY_PATH', '/etc/nginx/tls/privkey.pem', 'TLS_KEY'],
    ] as const) {
      const mount = tls.find((v) => v.target === target);
      assert.ok(mount, `${target} mounted`);
      assert.deepEqual([mount.type, mount.source, mount.read_only], ['bind', env[variable], true]);
      assert.equal(nginx.environment![setting], target);
    }
    for (const [name, s] of Object.entries(compose.services)) {
      if (name === 'nginx') continue;
      assert.ok(!JSON.stringify(s.volumes ?? []).includes('letsencrypt'), `${name} does not see the key`);
    }
  });

  it('publishes only nginx, on 80 and 443', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (name === 'nginx') assert.deepEqual(s.ports, ['80:80', '443:443']);
      else assert.equal(s.ports, undefined, `${name} is reached only inside the network`);
    }
  });

  it('renders the nginx template from exactly the variables the nginx service sets', async () => {
    const template = await readFile(TEMPLATE, 'utf8');
    assert.deepEqual([...referencedVariables(template)].sort(), [...TEMPLATE_VARIABLES].sort());
    const nginx = service('nginx');
    for (const name of TEMPLATE_VARIABLES) assert.ok(nginx.environment?.[name], `nginx sets ${name}`);
    assert.ok(shortVolumes(nginx).some((v) => v.endsWith(':/etc/nginx/templates/default.conf.template:ro')));
    assert.equal(nginx.environment!['UPSTREAM'], 'comfy-multi:8080');
    assert.deepEqual(nginx.depends_on, { 'comfy-multi': { condition: 'service_healthy' } });
  });

  it('starts worker0 … worker<N-1> for NUM_WORKERS=N through COMPOSE_PROFILES, all on one GPU', () => {
    assert.match(readFileSync(ENV_EXAMPLE, 'utf8'), /^COMPOSE_PROFILES=workers\$\{NUM_WORKERS\}$/m, 'the profile follows NUM_WORKERS');
    assert.equal(env['COMPOSE_PROFILES'], `workers${env['NUM_WORKERS']}`, '.env.example derives the profile from NUM_WORKERS');
    for (const n of [1, 2, 3]) {
      const workers = activeServices(compose, [`workers${n}`]).filter((name) => name.startsWith('worker'));
      assert.deepEqual(workers, Array.from({ length: n }, (_, i) => `worker${i}`), `NUM_WORKERS=${n}`);
      assert.ok(activeServices(compose, [`workers${n}`]).includes('comfy-multi'));
    }
    const devices = ['worker0', 'worker1', 'worker2'].map((name) => service(name).deploy?.resources?.reservations?.devices);
    for (const device of devices) {
      assert.deepEqual(device, [{ driver: 'nvidia', device_ids: [env['GPU_DEVICE']], capabilities: ['gpu'] }]);
    }
    assert.equal(service('comfy-multi').environment!['NUM_WORKERS'], env['NUM_WORKERS']);
  });

  it('gives every ComfyUI the same models and custom nodes, read-only', () => {
    for (const name of COMFYUI_SERVICES) {
      const volumes = shortVolumes(service(name));
      assert.ok(volumes.includes(`${env['MODELS_DIR']}:/models:ro`), `${name} models`);
      assert.ok(volumes.includes(`${env['CUSTOM_NODES_DIR']}:/custom_nodes:ro`), `${name} custom nodes`);
      assert.equal(service(name).build!.args!['COMFYUI_VERSION'], env['COMFYUI_VERSION'], `${name} ComfyUI version`);
    }
  });

  it('keeps the queue in Redis with AOF and waits for it', () => {
    const command = service('redis').command!;
    assert.equal(command[command.indexOf('--appendonly') + 1], 'yes');
    assert.ok(['always', 'everysec'].includes(command[command.indexOf('--appendfsync') + 1]!));
    assert.deepEqual(service('comfy-multi').depends_on!['redis'], { condition: 'service_healthy' });
    for (const [name, s] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(s.depends_on ?? {})) assert.ok(compose.services[dependency], `${name} depends on an existing ${dependency}`);
    }
    const named = (s: Service) => shortVolumes(s).map((v) => v.split(':')[0]!).filter((v) => !v.startsWith('/') && !v.startsWith('.'));
    for (const [name, s] of Object.entries(compose.services)) {
      for (const volume of named(s)) assert.ok(volume in (compose.volumes ?? {}), `${name}: volume ${volume} is declared`);
    }
  });
});

describe('the comfy-multi container’s configuration', () => {
  /** Runs the image's entry point with a stand-in `node` that prints what it would run with. */
  async function entrypoint(extraEnv: Record<string, string>): Promise<{ status: number | null; stderr: string; args: string[]; env: Record<string, string> }> {
    const dir = await mkdtemp(join(tmpdir(), 'cm-entry-'));
    try {
      const fake = join(dir, 'node');
      await writeFile(fake, `#!${process.execPath}\nprocess.stdout.write(JSON.stringify({ args: process.argv.slice(2), env: process.env }));\n`);
      await chmod(fake, 0o755);
      const result = spawnSync('sh', [join(DOCKER_DIR, 'comfy-multi-entrypoint.sh'), 'start'], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, ...extraEnv } });
      const printed = result.stdout ? (JSON.parse(result.stdout) as { args: string[]; env: Record<string, string> }) : { args: [], env: {} };
      return { status: result.status, stderr: result.stderr, ...printed };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('loads: the mounted config plus the environment compose sets, with NUM_WORKERS’ worker list', async () => {
    const container = service('comfy-multi');
    const mount = shortVolumes(container).find((v) => v.endsWith(':/config/comfy-multi.yaml:ro'));
    assert.equal(mount, './comfy-multi.docker.yaml:/config/comfy-multi.yaml:ro');
    for (const n of [1, 3]) {
      const run = await entrypoint({ ...container.environment!, NUM_WORKERS: String(n) });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(resolve(run.args[0]!), resolve(DOCKER_DIR, '../server/cli.ts'));
      assert.equal(run.args[1], 'start');
      const settings = Object.fromEntries(Object.entries(run.env).filter(([name]) => name.startsWith('COMFY_MULTI_')));
      const { config, dataDir } = await loadConfig({ file: join(DOCKER_DIR, 'comfy-multi.docker.yaml'), env: settings });
      assert.ok(config.provider.kind === 'local', 'the compose deployment uses the local provider');
      assert.deepEqual(
        config.provider.workers,
        Array.from({ length: n }, (_, i) => ({ id: `gpu${i}`, url: `http://worker${i}:8188` })),
      );
      for (const worker of config.provider.workers) {
        const host = new URL(worker.url);
        assert.ok(service(host.hostname).expose?.includes(host.port), `${host.hostname} exposes ${host.port}`);
      }
      const ui = new URL(config.ui_upstream!.url);
      assert.ok(service(ui.hostname).expose?.includes(ui.port), 'the UI upstream is the ui service');
      assert.equal(config.store.kind, 'redis');
      assert.equal(config.store.kind === 'redis' && new URL(config.store.url).hostname, 'redis');
      assert.equal(config.public_url, `https://${env['SERVER_NAME']}`);
      assert.equal(config.admin.password, env['ADMIN_PASSWORD']);
      assert.equal(config.listen.port, 8080);
      assert.ok(container.expose?.includes(String(config.listen.port)));
      assert.equal(config.listen.host, '0.0.0.0');
      assert.equal(dataDir, '/data');
      assert.equal(config.trust_proxy, true);
    }
  });

  it('refuses a NUM_WORKERS the compose file has no workers for', async () => {
    const run = await entrypoint({ NUM_WORKERS: '4' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /NUM_WORKERS must be 1, 2 or 3/);
  });

  it('keeps an explicit worker list', async () => {
    const run = await entrypoint({ NUM_WORKERS: '2', COMFY_MULTI_PROVIDER_WORKERS: 'a=http://gpu-box:8188' });
    assert.equal(run.env['COMFY_MULTI_PROVIDER_WORKERS'], 'a=http://gpu-box:8188');
  });
});
