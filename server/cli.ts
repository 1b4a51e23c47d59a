#!/usr/bin/env node
/**
 * The comfy-multi command: start | demo | seats | simulate | check.
 * Arguments are parsed with node:util's parseArgs; every command has --help.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createProvider } from '../lib/providers/create-provider.ts';
import type { WorkerEndpoint } from '../lib/providers/provider.ts';
import { ConfigError, ENV_PREFIX, type LoadedConfig, loadConfig, publicUrl } from './config.ts';
import { seatUrl } from './views.ts';

// The server, stores and simulator load only for the commands that need them, so --help is instant.

const USAGE = `comfy-multi: share one GPU between many ComfyUI users

usage: comfy-multi <command> [options]

commands:
  start [--config FILE]          run the server from comfy-multi.yaml
  demo [--port N] [--data DIR]   everything on this machine, simulated GPUs: try it out
  seats list|rotate <seat>|urls  show seats, issue a new code, print the URL table
  simulate [options]             run one simulated ComfyUI (see simulate --help)
  check [--config FILE]          validate the config and reach every worker and the UI upstream

Every setting can also come from the environment: ${ENV_PREFIX}<PATH> with the key path in
upper case and "_" between levels (${ENV_PREFIX}LISTEN_PORT=9000, ${ENV_PREFIX}ADMIN_PASSWORD=…,
${ENV_PREFIX}STORE_REDIS_URL=redis://… selects the redis store). "comfy-multi <command> --help" for more.
`;

const HELP: Record<string, string> = {
  start: `usage: comfy-multi start [--config FILE]

Runs the server. The config file defaults to ./comfy-multi.yaml (or ${ENV_PREFIX}CONFIG);
see comfy-multi.example.yaml. Seats that have no access code yet get one, printed once.
SIGTERM/SIGINT stop it gracefully; queued and running jobs are kept.
`,
  demo: `usage: comfy-multi demo [--port N] [--data DIR] [--host HOST]

Starts 3 simulated GPU workers, a simulated UI upstream (ComfyUI with --multi-user) and the
server with 20 seats, then prints the admin URL and password and every seat's URL with its code.
  --port N     server port (default 8080)
  --data DIR   keep the queue, codes and outputs here (default: a fresh temp dir);
               starting again with the same DIR resumes the same queue and codes
  --host HOST  listen address (default 127.0.0.1)
The admin password is ${ENV_PREFIX}ADMIN_PASSWORD when set, otherwise generated and kept in DIR.
`,
  seats: `usage: comfy-multi seats list [--config FILE]
       comfy-multi seats rotate <seat> [--config FILE]
       comfy-multi seats urls [--rotate] [--config FILE]

list     every seat with its name and state
rotate   issue a new access code for one seat (its old code and sessions stop working)
urls     the table of seat URLs; codes are stored hashed, so they are shown only when known
         (a demo data dir keeps them) or with --rotate, which issues new codes for every seat
`,
  check: `usage: comfy-multi check [--config FILE]

Validates the config, then reaches the store, every worker's /system_stats and the UI upstream.
Exits 1 when anything fails.
`,
};

function fail(message: string): never {
  process.stderr.write(`comfy-multi: ${message}\n`);
  process.exit(1);
}

async function load(file: string | undefined): Promise<LoadedConfig> {
  try {
    return await loadConfig(file === undefined ? {} : { file });
  } catch (error) {
    if (error instanceof ConfigError) fail(`config error: ${error.message}`);
    throw error;
  }
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return void process.stdout.write(HELP['start']!);
  const loaded = await load(values.config);
  const { closeOnSignals, startServer } = await import('./runtime.ts');
  const { createPool } = await import('./pool-factory.ts');
  const server = await startServer(loaded, { createPool });
  process.stdout.write(`comfy-multi listening on ${server.url} (public ${server.publicUrl})\nadmin panel: ${server.publicUrl}/admin/\n`);
  if (server.issuedCodes.size > 0) {
    process.stdout.write('\nNew access codes (shown only now):\n');
    for (const [seat, code] of server.issuedCodes) process.stdout.write(`  ${seat}  ${seatUrl(server.publicUrl, seat, code)}\n`);
  }
  closeOnSignals(server);
}

async function seats(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: 'string' }, rotate: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  const [action, seat] = positionals;
  if (values.help || !action) return void process.stdout.write(HELP['seats']!);
  const { config, dataDir } = await load(values.config);
  const { openSeats } = await import('./stores.ts');
  const { readDemoSecrets } = await import('./demo.ts');
  const { directory, issued } = await openSeats(config, dataDir);
  const base = publicUrl(config);
  const known = new Map([...Object.entries((await readDemoSecrets(dataDir))?.codes ?? {}), ...issued]);
  if (action === 'list') {
    for (const info of directory.list()) {
      const state = info.disabled ? 'disabled' : 'active';
      process.stdout.write(`${info.id.padEnd(10)} ${state.padEnd(9)} ${info.name}${issued.has(info.id) ? `  new code: ${issued.get(info.id)}` : ''}\n`);
    }
  } else if (action === 'rotate') {
    if (!seat) fail('seats rotate needs a seat, e.g. comfy-multi seats rotate user03');
    if (!directory.has(seat)) fail(`seat "${seat}" does not exist (seats: ${directory.ids()[0]}…${directory.ids().at(-1)})`);
    const code = await directory.rotate(seat);
    process.stdout.write(`${seat}  ${code}  ${seatUrl(base, seat, code)}\n`);
  } else if (action === 'urls') {
    if (values.rotate) for (const id of directory.ids()) known.set(id, await directory.rotate(id));
    let missing = 0;
    for (const info of directory.list()) {
      const code = known.get(info.id);
      if (code === undefined) missing++;
      process.stdout.write(`${info.id.padEnd(10)} ${seatUrl(base, info.id, code)}\n`);
    }
    if (missing > 0) process.stdout.write(`\n${missing} code(s) are stored hashed and cannot be shown; "seats urls --rotate" issues new ones.\n`);
  } else {
    fail(`unknown seats action "${action}"; use list, rotate or urls`);
  }
}

async function probe(url: string, path: string, headers?: Record<string, string>): Promise<{ ok: boolean; text: string }> {
  try {
    const response = await fetch(new URL(path, url), { signal: AbortSignal.timeout(5000), ...(headers ? { headers } : {}) });
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (!response.ok) return { ok: false, text: `HTTP ${response.status}` };
    return { ok: true, text: JSON.stringify(body).slice(0, 120) };
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, text: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

async function checkStore(config: LoadedConfig['config'], dataDir: string): Promise<{ ok: boolean; text: string }> {
  if (config.store.kind === 'sqlite' && !existsSync(dataDir)) return { ok: true, text: `${dataDir} does not exist yet; start creates it` };
  const { openStore } = await import('./stores.ts');
  const store = openStore(config, dataDir);
  try {
    await store.init();
    const counts = await store.counts();
    return { ok: true, text: `${counts.byState.queued} queued, ${counts.byState.running} running` };
  } catch (error) {
    return { ok: false, text: error instanceof Error ? error.message : String(error) };
  } finally {
    await store.close().catch(() => undefined);
  }
}

async function check(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return void process.stdout.write(HELP['check']!);
  const { config, dataDir, file } = await load(values.config);
  process.stdout.write(`config ok (${file ?? 'defaults and environment'}); data in ${dataDir}\n`);
  let failures = 0;
  const report = (what: string, ok: boolean, text: string): void => {
    if (!ok) failures++;
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${text}\n`);
  };
  const store = await checkStore(config, dataDir);
  report(`store (${config.store.kind})`, store.ok, store.text);
  let workers: WorkerEndpoint[] = [];
  try {
    workers = await createProvider(config.provider).listWorkers();
    if (workers.length === 0) report(`workers (${config.provider.kind})`, false, 'the provider lists no workers');
  } catch (error) {
    report(`provider ${config.provider.kind}`, false, error instanceof Error ? error.message : String(error));
  }
  for (const worker of workers) {
    // job-api workers (RunPod) have no /system_stats: listing them already reached the provider.
    if (worker.transport === 'job-api') report(`worker ${worker.id}`, true, `${config.provider.kind} endpoint`);
    else {
      const result = await probe(worker.url, '/system_stats', worker.headers);
      report(`worker ${worker.id} ${worker.url}`, result.ok, result.text);
    }
  }
  if (!config.ui_upstream) report('ui_upstream', false, 'not configured: the seat gateway will answer 503');
  else {
    const stats = await probe(config.ui_upstream.url, '/system_stats');
    report(`ui_upstream ${config.ui_upstream.url}`, stats.ok, stats.text);
    const users = await probe(config.ui_upstream.url, '/users');
    report('ui_upstream --multi-user', users.ok && users.text.includes('"users"'), users.ok ? users.text : 'GET /users failed');
  }
  if (failures > 0) process.exit(1);
}

async function simulate(args: string[]): Promise<void> {
  const { runSimulatorCli } = await import('../lib/simulator/index.ts');
  await runSimulatorCli(args);
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  start,
  demo: async (args) => (await import('./demo.ts')).runDemo(args, HELP['demo']!),
  seats,
  simulate,
  check,
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') return void process.stdout.write(USAGE);
  const run = COMMANDS[command];
  if (!run) fail(`unknown command "${command}"\n\n${USAGE}`);
  try {
    await run(rest);
  } catch (error) {
    if (error instanceof ConfigError) fail(`config error: ${error.message}`);
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      fail(`${(error as Error).message}\n(comfy-multi ${command} --help)`);
    }
    fail(error instanceof Error ? error.message : String(error));
  }
}

if (import.meta.main) {
  // `comfy-multi seats urls | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  await main(process.argv.slice(2));
}
