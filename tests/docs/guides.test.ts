/**
 * Every shell command in the guides either runs here, as a reader would type it,
 * or is on an explicit list of commands this machine cannot run, with the reason.
 * A new command in a guide fails this test until it is one or the other.
 *
 * The commands run with `sh -c` in a throw-away "checkout" (the repository's
 * entries linked into a temp dir, so nothing is written into the repository),
 * with `comfy-multi` on PATH (as `npx comfy-multi` resolves it through
 * package.json "bin"), and against real servers on loopback ports:
 *  - https://gpu.example.org is a comfy-multi server started with
 *    `comfy-multi start` from comfy-multi.example.yaml in that checkout, its
 *    workers and UI ComfyUI being simulators, with one finished job for user01;
 *  - http://127.0.0.1:8080 is the server the same guide started last
 *    (`comfy-multi demo`, `npm start`, `comfy-multi start`), kept running until
 *    the guide's end like the reader's second terminal;
 *  - /opt/comfy-multi is the checkout;
 *  - `docker compose exec comfy-multi /app/docker/comfy-multi-entrypoint.sh …` runs
 *    that entry point here with docker/comfy-multi.docker.yaml, its Redis being a
 *    local redis-server and the compose service names replaced by the simulators.
 * Within one guide, `cd` and `export` carry over to the following commands; a
 * block that starts with a location comment ("# on your laptop, …") runs where
 * WHERE says. Files carry over between guides, as on one machine.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { parseConfig } from '../../server/config.ts';
import { type RedisServerHandle, startRedis } from '../helpers/redis-server.ts';
import { until } from '../helpers/wait.ts';
import { ADMIN_PASSWORD, call, loginAdmin, PROMPT } from '../server/harness.ts';
import { fencedBlocks, type GuideCommand, shellCommands } from './guide-commands.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** README.md, docs/*.md, and the READMEs that tell people what to type. */
const GUIDES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
  'docker/README.md',
  'extension/comfyui/README.md',
].filter((file) => existsSync(join(ROOT, file)));

const GUIDE_HOST = 'https://gpu.example.org';
const LOCAL_SERVER = 'http://127.0.0.1:8080';
const CHECKOUT_PATH = '/opt/comfy-multi';
const ENTRYPOINT = /^docker compose exec (?:-T )?comfy-multi \/app\/docker\/comfy-multi-entrypoint\.sh /;

/** Commands this machine cannot run (no Docker engine, no GPU, no network), each with the reason. */
const NOT_HERE: { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^docker compose (up|down|ps|logs|restart|stop|config|cp|version)\b/,
    reason: "needs Docker with Compose v2; tests/deploy/compose.test.ts validates the compose file with Compose's own config check",
  },
  { pattern: /^docker compose exec (-T )?redis redis-cli /, reason: 'the Redis container of the compose deployment' },
  { pattern: /^docker run --rm --gpus all /, reason: 'a GPU and the NVIDIA Container Toolkit' },
  { pattern: /^nvidia-smi$/, reason: 'a GPU' },
  { pattern: /^(ssh|scp|rsync) /, reason: 'the remote GPU instance' },
  { pattern: /^dig /, reason: 'public DNS' },
  { pattern: /^git clone /, reason: 'the network' },
  {
    pattern: /^openssl x509 -in \/etc\/comfy-multi\/tls\//,
    reason: 'the real certificate on the GPU instance; tests/deploy/nginx-tls.test.ts serves a test certificate through the real nginx',
  },
  { pattern: /^curl -sI http:\/\/gpu\.example\.org\/$/, reason: "nginx's HTTP-to-HTTPS redirect, checked with the real nginx by tests/deploy/nginx-tls.test.ts" },
  { pattern: /^df -h \/var\/lib\/docker$/, reason: "the GPU instance's Docker disk" },
  { pattern: /^tar -czf comfy-multi-backup\.tar\.gz comfy-multi-data redis-dump\.rdb$/, reason: 'packs what the docker compose cp commands before it copied out' },
  { pattern: /^npm ci$/, reason: 'reinstalls node_modules from the registry (.ci/run does it)' },
  { pattern: /^npm test$/, reason: 'the whole suite, this test included' },
  { pattern: /^(npm run bench|node bench\/run\.ts)\b/, reason: 'minutes of benchmarking; tests/bench-smoke.test.ts runs node bench/run.ts --quick --only store' },
  { pattern: /^npm run build(:admin|:extension)?$/, reason: 'rewrites the bundles that browser and deploy tests read while this test runs' },
  { pattern: /^cp -r extension\/comfyui \/path\/to\/ComfyUI\//, reason: 'a real ComfyUI installation' },
];

/** The location comments a block may start with, and the folder of the checkout its commands run in. */
const WHERE: Record<string, string> = {
  'on your laptop, in your comfy-multi checkout': '.',
  'on the instance, in /opt/comfy-multi/docker': 'docker',
  'on the comfy-multi server, in the folder with comfy-multi.yaml': '.',
};

type Env = Record<string, string>;

interface Rule {
  pattern: RegExp;
  kind: 'run' | 'background' | 'env' | 'cd';
  /** The environment this command gets, from the guide's current one. */
  env?: (env: Env) => Env;
  /** What the command's output must show (run), or the line that says the server is up (background). */
  expect?: RegExp;
  reject?: RegExp;
  rewrite?: (command: string) => string;
}

/** Commands that run here; the first rule whose pattern matches the command (without leading VAR=value) applies. */
function rules(fixture: Fixture): Rule[] {
  const withoutSimulatorWorkers = (env: Env): Env => {
    const { COMFY_MULTI_PROVIDER_WORKERS: _w, COMFY_MULTI_UI_UPSTREAM_URL: _u, ...rest } = env;
    return { ...rest, COMFY_MULTI_LISTEN_PORT: '0' };
  };
  return [
    { pattern: /^export [A-Za-z_][A-Za-z0-9_]*=\S*$/, kind: 'env' },
    { pattern: /^cd \S+$/, kind: 'cd' },
    // The demo brings its own simulated workers; port 0 instead of a fixed one.
    { pattern: /^(comfy-multi demo|npm start)\b/, kind: 'background', env: withoutSimulatorWorkers, expect: /Ctrl-C stops/ },
    // A second server from the same checkout: its own data folder, any free port.
    {
      pattern: /^comfy-multi start\b/,
      kind: 'background',
      env: (env) => ({ ...env, COMFY_MULTI_LISTEN_PORT: '0', COMFY_MULTI_DATA_DIR: fixture.freshDir('start-data') }),
      expect: /admin panel: /,
    },
    {
      pattern: /^docker compose exec (-T )?comfy-multi \/app\/docker\/comfy-multi-entrypoint\.sh (check|seats)\b/,
      kind: 'run',
      rewrite: (command) => command.replace(ENTRYPOINT, `sh ${join(fixture.checkout, 'docker', 'comfy-multi-entrypoint.sh')} `),
      env: (env) => ({ ...env, ...fixture.dockerEnv }),
      reject: /^FAIL/m,
    },
    { pattern: /^comfy-multi check$/, kind: 'run', expect: /^ok +store \(sqlite\)/m, reject: /^FAIL/m },
    { pattern: /^comfy-multi seats (list|urls|rotate)\b/, kind: 'run', expect: /user0[17]/ },
    { pattern: /^node scripts\/smoke-test\.ts .*--no-wait\b/, kind: 'run', expect: /^queued +user/m },
    { pattern: /^node scripts\/smoke-test\.ts /, kind: 'run', expect: /all \d+ job\(s\) succeeded/ },
    { pattern: /^node scripts\/export-outputs\.ts /, kind: 'run', expect: /user01 .*\.zip\n(.|\n)*seat\(s\) exported to/ },
    { pattern: /^node scripts\/print-seat-cards\.ts \S+ /, kind: 'run', expect: /<section class="card">/ },
    { pattern: /^node scripts\/stop-cloud-workers\.ts\b/, kind: 'run', expect: /provider local: nothing to shut down/ },
    { pattern: /^scripts\/backup-data\.sh /, kind: 'run', expect: /backup-data: wrote \S+\.tar\.gz \(queue\.db snapshot/ },
    { pattern: /^node examples\/embed-queue\.ts$/, kind: 'run', expect: /succeeded/ },
    { pattern: /^curl -fsS https:\/\/gpu\.example\.org\/healthz$/, kind: 'run', expect: /"ok":true/ },
    { pattern: /^curl -fsS https:\/\/gpu\.example\.org\/readyz$/, kind: 'run', expect: /"ready_workers":[1-9]/ },
    { pattern: /^cp (\.env\.example \.env|comfy-multi\.example\.yaml comfy-multi\.yaml)$/, kind: 'run' },
  ];
}

interface Background {
  child: ChildProcess;
  url: string;
  output(): string;
}

interface Fixture {
  tmp: string;
  checkout: string;
  env: Env;
  dockerEnv: Env;
  server: Background;
  freshDir(name: string): string;
}

interface Session {
  cwd: string;
  env: Env;
  /** The server this guide started last: what http://127.0.0.1:8080 means in it. */
  local: string | null;
  background: Background[];
}

interface Result {
  code: number | null;
  output: string;
}

/** `sh -c command` in its own process group, so a timeout or the end of a guide stops everything it started. */
function shell(command: string, cwd: string, env: Env): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
  const child = spawn('sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const done = new Promise<number | null>((resolvePromise) => child.once('close', (code) => resolvePromise(code)));
  return { child, output: () => output, done };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function run(command: string, cwd: string, env: Env, timeoutMs = 45_000): Promise<Result> {
  const { child, output, done } = shell(command, cwd, env);
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  const code = await done;
  clearTimeout(timer);
  return { code, output: output() };
}

/** Starts a long-running command and waits for its ready line; its URL is the first http:// address it prints. */
async function startBackground(command: string, cwd: string, env: Env, ready: RegExp): Promise<Background> {
  const { child, output } = shell(command, cwd, env);
  try {
    await until(() => ready.test(output()) || child.exitCode !== null, 30_000, `"${command}" to be ready`);
  } catch (error) {
    killGroup(child, 'SIGKILL');
    throw new Error(`${(error as Error).message}; it printed:\n${output()}`);
  }
  const url = /(?:listening on|admin panel)\s+(http:\/\/[^\s/]+)/.exec(output())?.[1];
  if (child.exitCode !== null || !url) throw new Error(`"${command}" did not start (exit ${child.exitCode}):\n${output()}`);
  return { child, url, output };
}

async function stopBackground(background: Background): Promise<void> {
  if (background.child.exitCode !== null || background.child.signalCode !== null) return;
  const closed = new Promise((resolvePromise) => background.child.once('close', resolvePromise));
  killGroup(background.child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(background.child, 'SIGKILL'), 10_000);
  await closed;
  clearTimeout(timer);
}

/** The command without leading VAR=value assignments: what the rules look at. */
const bare = (command: string): string => command.replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/, '');

/** A temp dir that looks like a checkout: every repository entry linked, docker/ a real folder (the guides write .env there). */
async function makeCheckout(dir: string): Promise<void> {
  await mkdir(join(dir, 'docker'), { recursive: true });
  for (const name of readdirSync(ROOT)) {
    if (['.git', 'docker', 'data', 'comfy-multi.yaml'].includes(name)) continue;
    await symlink(join(ROOT, name), join(dir, name));
  }
  for (const name of readdirSync(join(ROOT, 'docker'))) {
    if (name === '.env') continue;
    await symlink(join(ROOT, 'docker', name), join(dir, 'docker', name));
  }
  await writeFile(join(dir, 'comfy-multi.yaml'), await readFile(join(ROOT, 'comfy-multi.example.yaml')));
}

describe('the commands in the guides', () => {
  let fixture: Fixture;
  let simulators: SimulatorHandle[] = [];
  let redis: RedisServerHandle | null = null;
  const unused = new Set(NOT_HERE);

  before(async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'cm-guides-'));
    const checkout = join(tmp, 'checkout');
    await makeCheckout(checkout);
    const bin = join(tmp, 'bin');
    await mkdir(bin);
    // What `npx comfy-multi` runs: package.json "bin" points at server/cli.ts.
    await writeFile(join(bin, 'comfy-multi'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'server', 'cli.ts')}" "$@"\n`);
    await chmod(join(bin, 'comfy-multi'), 0o755);
    await mkdir(join(tmp, 'tmp'));
    simulators = await Promise.all([startSimulator({ port: 0 }), startSimulator({ port: 0 }), startSimulator({ port: 0, multiUser: true })]);
    redis = await startRedis();
    let dirs = 0;
    const env: Env = {
      PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      HOME: process.env['HOME'] ?? tmp,
      TMPDIR: join(tmp, 'tmp'),
      LANG: 'C.UTF-8',
      // The server's settings that the reader's machine would have, pointed at the simulators.
      COMFY_MULTI_ADMIN_PASSWORD: ADMIN_PASSWORD,
      COMFY_MULTI_PROVIDER_WORKERS: `gpu0=${simulators[0]!.url},gpu1=${simulators[1]!.url}`,
      COMFY_MULTI_UI_UPSTREAM_URL: simulators[2]!.url,
      // public_url is https://gpu.example.org, reached here over plain HTTP.
      COMFY_MULTI_SECURE_COOKIES: 'false',
      COMFY_MULTI_LOG_LEVEL: 'error',
    };
    // docker-compose.yml's environment for the comfy-multi service, with local stand-ins.
    const dockerEnv: Env = {
      COMFY_MULTI_CONFIG: join(checkout, 'docker', 'comfy-multi.docker.yaml'),
      COMFY_MULTI_PUBLIC_URL: GUIDE_HOST,
      COMFY_MULTI_STORE_REDIS_URL: redis.url,
      COMFY_MULTI_DATA_DIR: join(tmp, 'docker-data'),
    };
    const server = await startBackground('comfy-multi start', checkout, { ...env, COMFY_MULTI_LISTEN_PORT: '0' }, /admin panel: /);
    fixture = { tmp, checkout, env, dockerEnv, server, freshDir: (name) => join(tmp, `${name}-${++dirs}`) };

    // One finished job with an output, so exports and backups have something to carry.
    const admin = await loginAdmin(server.url);
    const submitted = await call(server.url, 'POST', '/api/v1/jobs', { auth: admin, body: { seat: 'user01', prompt: PROMPT } });
    assert.equal(submitted.status, 201, submitted.text);
    const id = (submitted.body as { id: string }).id;
    await until(
      async () => ((await call(server.url, 'GET', `/api/v1/jobs/${id}`, { auth: admin })).body as { state: string }).state === 'succeeded',
      20_000,
      "the fixture's job to succeed",
    );
  });

  after(async () => {
    if (fixture) await stopBackground(fixture.server);
    await Promise.all(simulators.map((simulator) => simulator.close()));
    await redis?.stop();
    if (fixture) await rm(fixture.tmp, { recursive: true, force: true });
  });

  /** The command with the guides' placeholders replaced by what stands for them here. */
  function substitute(text: string, session: Session): string {
    if (text.includes(LOCAL_SERVER) && !session.local) throw new Error(`${LOCAL_SERVER} is used before this guide started a server`);
    return text
      .replaceAll(GUIDE_HOST, fixture.server.url)
      .replaceAll(LOCAL_SERVER, session.local ?? LOCAL_SERVER)
      .replaceAll(CHECKOUT_PATH, fixture.checkout);
  }

  async function exercise(command: GuideCommand, session: Session, skip: (reason: string) => void): Promise<void> {
    const listed = NOT_HERE.find((entry) => entry.pattern.test(bare(command.text)));
    if (listed) {
      unused.delete(listed);
      return skip(listed.reason);
    }
    const rule = rules(fixture).find((candidate) => candidate.pattern.test(bare(command.text)));
    assert.ok(rule, `not exercised: "${command.text}". Run it here (a rule in tests/docs/guides.test.ts) or list it in NOT_HERE with the reason`);
    const text = substitute(rule.rewrite ? rule.rewrite(command.text) : command.text, session);
    const env = rule.env ? rule.env(session.env) : session.env;
    let cwd = session.cwd;
    if (command.where !== null) {
      const folder = WHERE[command.where];
      assert.ok(folder, `unknown location "# ${command.where}": use one of WHERE in tests/docs/guides.test.ts (${Object.keys(WHERE).join('; ')})`);
      cwd = join(fixture.checkout, folder);
    }

    if (rule.kind === 'env') {
      const [, name, value] = /^export ([^=]+)=(.*)$/.exec(text)!;
      session.env = { ...session.env, [name!]: value!.replace(/^(['"])(.*)\1$/, '$2') };
      return;
    }
    if (rule.kind === 'cd') {
      const target = resolve(session.cwd, text.slice(3));
      assert.ok(!relative(fixture.tmp, target).startsWith('..'), `cd leaves the test's folder: ${target}`);
      assert.ok((await stat(target)).isDirectory(), `${target} is not a folder`);
      session.cwd = target;
      return;
    }
    if (rule.kind === 'background') {
      const background = await startBackground(text, cwd, env, rule.expect!);
      session.background.push(background);
      session.local = background.url;
      return;
    }
    const result = await run(text, cwd, env);
    assert.equal(result.code, 0, `exit ${result.code}:\n${result.output}`);
    // A command that writes its output into a file: the checks look at that file.
    const redirect = /\s>\s*(\S+)$/.exec(text)?.[1];
    const output = redirect ? await readFile(resolve(cwd, redirect), 'utf8') : result.output;
    if (redirect) assert.ok(output.length > 0, `${redirect} is empty`);
    if (rule.expect) assert.match(output, rule.expect);
    if (rule.reject) assert.doesNotMatch(output, rule.reject);
  }

  for (const file of GUIDES) {
    const commands = shellCommands(readFileSync(join(ROOT, file), 'utf8'));
    if (commands.length === 0) continue;
    it(`${file}: every command runs here or is listed as one that cannot`, async (t) => {
      const session: Session = { cwd: fixture.checkout, env: { ...fixture.env }, local: null, background: [] };
      try {
        for (const command of commands) {
          await t.test(`${file}:${command.line} ${command.text}`, (sub) => exercise(command, session, (reason) => sub.skip(reason)));
        }
      } finally {
        for (const background of session.background.reverse()) await stopBackground(background);
      }
    });
  }

  it('the seat cards and the exports made by the guides hold what they should', async () => {
    const cards = await readFile(join(fixture.checkout, 'seat-cards.html'), 'utf8');
    assert.equal(cards.match(/class="card"/g)?.length, 20, 'one card per seat');
    assert.match(cards, /Seat user07/);
    const exported = readdirSync(join(fixture.checkout, 'exports'));
    assert.equal(exported.length, 1, 'one dated folder');
    assert.ok(readdirSync(join(fixture.checkout, 'exports', exported[0]!)).includes('user01.zip'));
  });

  it('every entry of the not-runnable list is still used by a guide', () => {
    assert.deepEqual(
      [...unused].map((entry) => String(entry.pattern)),
      [],
      'remove these from NOT_HERE in tests/docs/guides.test.ts: no guide has such a command any more',
    );
  });
});

describe('the links between the guides', () => {
  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
  const slug = (heading: string): string =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
  const anchors = (file: string): Set<string> =>
    new Set([...readFileSync(file, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!.replace(/`/g, ''))));

  for (const file of GUIDES) {
    it(`${file}: relative links reach an existing file and heading`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const resolved = path ? resolve(join(ROOT, file, '..'), path) : join(ROOT, file);
        assert.ok(existsSync(resolved), `${file}: link to ${target} leads nowhere`);
        if (anchor && resolved.endsWith('.md')) assert.ok(anchors(resolved).has(anchor), `${file}: no heading #${anchor} in ${path || file}`);
      }
    });
  }
});

describe('the configuration snippets in the guides', () => {
  const example = parseYaml(readFileSync(join(ROOT, 'comfy-multi.example.yaml'), 'utf8')) as Record<string, unknown>;
  const envExample = new Set([...readFileSync(join(ROOT, 'docker', '.env.example'), 'utf8').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

  /** Paths in `snippet` that validation dropped: keys the config does not know. */
  function unknownKeys(snippet: unknown, parsed: unknown, path: string[] = []): string[] {
    if (!snippet || typeof snippet !== 'object' || Array.isArray(snippet)) return [];
    return Object.entries(snippet).flatMap(([key, value]) => {
      const inParsed = (parsed as Record<string, unknown> | undefined)?.[key];
      if (inParsed === undefined) return [[...path, key].join('.')];
      return unknownKeys(value, inParsed, [...path, key]);
    });
  }

  for (const file of GUIDES) {
    const blocks = fencedBlocks(readFileSync(join(ROOT, file), 'utf8'));
    const configs = blocks.filter((block) => block.lang === 'yaml' && block.lines[0]?.trim() === '# comfy-multi.yaml');
    const envs = blocks.filter((block) => block.lang === 'ini');
    if (configs.length === 0 && envs.length === 0) continue;

    it(`${file}: comfy-multi.yaml snippets are valid settings, .env lines are variables docker/.env.example knows`, () => {
      for (const block of configs) {
        const snippet = parseYaml(block.lines.join('\n')) as Record<string, unknown>;
        const parsed = parseConfig({ ...example, ...snippet });
        assert.deepEqual(unknownKeys(snippet, parsed), [], `${file}:${block.line}: keys the config does not know`);
      }
      for (const block of envs) {
        const names = block.lines.map((line) => /^([A-Z_][A-Z0-9_]*)=/.exec(line)?.[1]).filter((name) => name !== undefined);
        assert.ok(names.length > 0, `${file}:${block.line}: an ini block without variables`);
        for (const name of names) assert.ok(envExample.has(name), `${file}:${block.line}: ${name} is not in docker/.env.example`);
      }
    });
  }
});
