#!/usr/bin/env node
/**
 * After the workshop: shut down the GPU instances the config's provider runs,
 * so they stop costing GPU time. comfy-multi starts Verda instances when the
 * server starts but does not stop them when it stops: this is the instructor's
 * last step.
 */
import { parseArgs } from 'node:util';
import { createProvider } from '../lib/providers/create-provider.ts';
import { ConfigError, loadConfig } from '../server/config.ts';

const HELP = `usage: node scripts/stop-cloud-workers.ts [--config FILE] [--dry-run]

Shuts down every GPU instance that the provider in comfy-multi.yaml (or FILE) runs for
comfy-multi, after the workshop. With provider kind verda: every running instance whose
hostname starts with hostname_prefix (its disk stays; delete it in the Verda console when you
no longer need it). Local workers run outside comfy-multi, and RunPod and Modal endpoints
scale to zero on their own: for those it only says so.
Stop the comfy-multi server first, or it may start the instances again at its next start.

  --config FILE  the config file (default ./comfy-multi.yaml, or COMFY_MULTI_CONFIG)
  --dry-run      list what would be shut down, change nothing
`;

const NOTHING: Record<string, string> = {
  local: 'local workers run outside comfy-multi: stop them where they run (docker compose stop, or their own service)',
  runpod: 'a RunPod serverless endpoint scales to zero by itself when idle, unless it has active (always-on) workers: set those to 0 in the RunPod console',
  modal: 'a Modal web endpoint scales to zero by itself when idle (modal app stop, to undeploy it)',
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void process.stdout.write(HELP);
  const { config } = await loadConfig(values.config === undefined ? {} : { file: values.config });
  const note = NOTHING[config.provider.kind];
  if (note) return void process.stdout.write(`provider ${config.provider.kind}: nothing to shut down; ${note}\n`);
  const provider = createProvider(config.provider);
  const workers = await provider.listWorkers();
  if (workers.length === 0) return void process.stdout.write(`provider ${config.provider.kind}: no running instance of ours\n`);
  for (const worker of workers) {
    if (values['dry-run']) {
      process.stdout.write(`would shut down the instance of ${worker.id} (${worker.url})\n`);
      continue;
    }
    await provider.stopWorker(worker.id);
    process.stdout.write(`shut down the instance of ${worker.id} (${worker.url})\n`);
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    const message = error instanceof ConfigError ? `config error: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`stop-cloud-workers: ${message}\n`);
    process.exit(1);
  });
}
