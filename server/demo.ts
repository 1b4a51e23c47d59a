/**
 * `comfy-multi demo`: the whole system on one machine with simulated GPUs.
 * Three simulated ComfyUI workers, one simulated UI upstream (--multi-user),
 * SQLite in the data dir, 20 seats. The data dir keeps the queue, and (as a
 * demo convenience only) the admin password and the seats' codes in clear in
 * demo-secrets.json, so a restart with the same --data prints the same URLs.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { generateCode } from '../lib/seats/secrets.ts';
import { loadConfig } from './config.ts';
import { createPool } from './pool-factory.ts';
import { seatUrl } from './views.ts';
import { closeOnSignals, startServer } from './runtime.ts';

const DemoSecretsSchema = z.object({
  admin_password: z.string().optional(),
  codes: z.record(z.string(), z.string()).default({}),
});
export type DemoSecrets = z.infer<typeof DemoSecretsSchema>;

const SECRETS_FILE = 'demo-secrets.json';
const WORKERS = 3;
const SEATS = 20;

export async function readDemoSecrets(dataDir: string): Promise<DemoSecrets | null> {
  try {
    const parsed = DemoSecretsSchema.safeParse(JSON.parse(await readFile(join(dataDir, SECRETS_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function runDemo(args: string[], help: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, data: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void process.stdout.write(help);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not "${values.port}"`);
  const dataDir = values.data ? resolve(values.data) : await mkdtemp(join(tmpdir(), 'comfy-multi-demo-'));
  const secrets: DemoSecrets = (await readDemoSecrets(dataDir)) ?? { codes: {} };
  const envPassword = process.env['COMFY_MULTI_ADMIN_PASSWORD'];
  const password = envPassword ?? secrets.admin_password ?? generateCode(4, 4);

  const { startSimulator } = await import('../lib/simulator/index.ts');
  // Their folders live in the data dir, so saved workflows and uploads survive a restart too.
  const simDir = async (name: string): Promise<string> => {
    const dir = join(dataDir, 'simulators', name);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const simulators = await Promise.all([
    ...Array.from({ length: WORKERS }, async (_, i) => startSimulator({ port: 0, dataDir: await simDir(`gpu${i}`) })),
    startSimulator({ port: 0, multiUser: true, dataDir: await simDir('ui') }),
  ]);
  const stopAll = async (): Promise<void> => {
    await Promise.all(simulators.map((sim) => sim.close().catch(() => undefined)));
  };
  // The participants' page: a stand-in for ComfyUI's frontend with the extension loaded, in
  // front of the simulated UI ComfyUI (`npm start` builds the extension first).
  const { EXTENSION_WEB_DIR, startUiUpstream } = await import('./demo-ui-upstream.ts');
  if (!existsSync(join(EXTENSION_WEB_DIR, 'comfy-multi.js'))) {
    process.stderr.write('comfy-multi demo: the extension is not built, so Run in the seat pages will be refused; run `npm run build` first.\n');
  }
  const frontend = await startUiUpstream({ comfyUrl: simulators[WORKERS]!.url });
  const stopSimulators = async (): Promise<void> => {
    await frontend.close().catch(() => undefined);
    await stopAll();
  };
  try {
    const loaded = await loadConfig({
      file: null,
      overrides: {
        listen: { host: values.host ?? '127.0.0.1', port },
        data_dir: dataDir,
        store: { kind: 'sqlite', path: 'queue.db' },
        seats: { count: SEATS, prefix: 'user' },
        admin: { password },
        provider: { kind: 'local', workers: simulators.slice(0, WORKERS).map((sim, i) => ({ id: `gpu${i}`, url: sim.url })) },
        ui_upstream: { url: frontend.url },
        log_level: 'warn',
      },
    });
    const server = await startServer(loaded, { createPool });
    for (const [seat, code] of server.issuedCodes) secrets.codes[seat] = code;
    if (envPassword === undefined) secrets.admin_password = password;
    await writeFile(join(dataDir, SECRETS_FILE), `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });

    const out: string[] = [
      '',
      `comfy-multi demo: ${WORKERS} simulated GPU workers, ${SEATS} seats, data in ${dataDir}`,
      '',
      `  admin panel   ${server.publicUrl}/admin/`,
      `  password      ${envPassword === undefined ? password : '(from COMFY_MULTI_ADMIN_PASSWORD)'}`,
      `  API docs      ${server.publicUrl}/api/v1/docs`,
      '',
      '  seats:',
    ];
    for (const info of server.seats.list()) out.push(`    ${info.id}  ${seatUrl(server.publicUrl, info.id, secrets.codes[info.id])}`);
    out.push('', `Restart with --data ${dataDir} to resume this queue with the same codes. Ctrl-C stops.`, '');
    process.stdout.write(out.join('\n'));
    closeOnSignals(server, stopSimulators);
  } catch (error) {
    await stopSimulators();
    throw error;
  }
}
