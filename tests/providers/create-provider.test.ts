import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { type ProviderConfig, ProviderConfigSchema } from '../../lib/providers/config.ts';
import { createProvider } from '../../lib/providers/create-provider.ts';
import { LocalProvider } from '../../lib/providers/local-provider.ts';
import { ModalProvider } from '../../lib/providers/modal-provider.ts';
import { RunpodProvider } from '../../lib/providers/runpod-provider.ts';
import { VerdaProvider } from '../../lib/providers/verda-provider.ts';

/** The provider blocks as the docs and comfy-multi.example.yaml show them. */
const BLOCKS = {
  local: `
provider:
  kind: local
  workers:
    - id: gpu0
      url: http://127.0.0.1:8188
`,
  verda: `
provider:
  kind: verda
  client_id_env: VERDA_CLIENT_ID          # names of the variables holding the credentials
  client_secret_env: VERDA_CLIENT_SECRET
  instance_type: 1H100.80S.22V
  image: ubuntu-24.04-cuda-12.8-open-docker   # or the id of an OS volume that already has ComfyUI + models
  location: FIN-01
  ssh_key_ids: [your-ssh-key-id]
  startup_script_id: your-startup-script-id   # starts ComfyUI on the comfy_ports
  hostname_prefix: comfy-multi
  comfy_ports: [8188, 8189, 8190]
  max_instances: 1
  start_timeout_s: 900
`,
  runpod: `
provider:
  kind: runpod
  endpoint_id: abc123xyz
  api_key_env: RUNPOD_API_KEY
  max_concurrent: 2
`,
  modal: `
provider:
  kind: modal
  url: https://your-workspace--comfyui-ui.modal.run
  token_id_env: MODAL_PROXY_TOKEN_ID
  token_secret_env: MODAL_PROXY_TOKEN_SECRET
  slots: 1
  warm_timeout_s: 300
`,
};

const ENV = {
  VERDA_CLIENT_ID: 'id',
  VERDA_CLIENT_SECRET: 'secret',
  RUNPOD_API_KEY: 'key',
  MODAL_PROXY_TOKEN_ID: 'wk-1',
  MODAL_PROXY_TOKEN_SECRET: 'ws-1',
};

function block(yaml: string): ProviderConfig {
  return ProviderConfigSchema.parse((parseYaml(yaml) as { provider: unknown }).provider);
}

describe('createProvider: one config line picks the provider', () => {
  it('builds each kind from its documented YAML block', async () => {
    const made = Object.values(BLOCKS).map((yaml) => createProvider(block(yaml), ENV));
    assert.deepEqual(
      made.map((provider) => provider.name),
      ['local', 'verda', 'runpod', 'modal'],
    );
    assert.ok(made[0] instanceof LocalProvider);
    assert.ok(made[1] instanceof VerdaProvider);
    assert.ok(made[2] instanceof RunpodProvider);
    assert.ok(made[3] instanceof ModalProvider);
    assert.deepEqual(await made[0]!.listWorkers(), [{ id: 'gpu0', url: 'http://127.0.0.1:8188', transport: 'comfyui' }]);
    assert.deepEqual(await made[2]!.listWorkers(), [
      { id: 'runpod-1', url: 'https://api.runpod.ai/v2/abc123xyz', transport: 'job-api' },
      { id: 'runpod-2', url: 'https://api.runpod.ai/v2/abc123xyz', transport: 'job-api' },
    ]);
  });

  it('fills the defaults: public API URLs, credential variable names, one worker', () => {
    const verda = block('provider: {kind: verda, instance_type: 1H100.80S.22V, image: ubuntu-24.04-cuda-12.8-open-docker}');
    assert.ok(verda.kind === 'verda');
    assert.equal(verda.api_url, 'https://api.verda.com/v1');
    assert.equal(verda.client_id_env, 'VERDA_CLIENT_ID');
    assert.deepEqual(verda.comfy_ports, [8188]);
    const runpod = block('provider: {kind: runpod, endpoint_id: abc}');
    assert.ok(runpod.kind === 'runpod');
    assert.deepEqual([runpod.api_url, runpod.api_key_env, runpod.max_concurrent], ['https://api.runpod.ai/v2', 'RUNPOD_API_KEY', 2]);
  });

  it('refuses a credential value where a variable name belongs, and a missing variable at creation', () => {
    assert.throws(() => block('provider: {kind: runpod, endpoint_id: abc, api_key_env: "rpa_LIVE KEY"}'), /must be the name of an environment variable, not its value/);
    assert.throws(() => block('provider: {kind: verda, image: x}'), /instance_type/);
    assert.throws(() => createProvider(block(BLOCKS.verda), { VERDA_CLIENT_ID: 'id' }), /^QueueError: VERDA_CLIENT_SECRET is not set/);
  });
});
