/**
 * The provider a config block names. Credentials are read from `env` here, so a
 * missing variable stops start-up with a message naming it, before any request.
 */
import type { ProviderConfig } from './config.ts';
import { LocalProvider } from './local-provider.ts';
import { ModalProvider } from './modal-provider.ts';
import type { InferenceProvider } from './provider.ts';
import { RunpodProvider } from './runpod-provider.ts';
import { VerdaProvider } from './verda-provider.ts';

export function createProvider(config: ProviderConfig, env: NodeJS.ProcessEnv = process.env): InferenceProvider {
  switch (config.kind) {
    case 'local':
      return new LocalProvider({ workers: config.workers });
    case 'verda':
      return new VerdaProvider(config, { env });
    case 'runpod':
      return new RunpodProvider(config, { env });
    case 'modal':
      return new ModalProvider(config, { env });
  }
}
