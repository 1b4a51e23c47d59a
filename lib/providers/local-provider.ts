/**
 * The `local` provider: ComfyUI workers at fixed URLs (the ones on this GPU box),
 * started and stopped outside comfy-multi (docker compose, systemd, by hand).
 */
import { QueueError } from '../errors.ts';
import type { InferenceProvider, ProviderCapacity, WorkerEndpoint } from './provider.ts';

export interface LocalWorkerConfig {
  id: string;
  url: string;
  headers?: Record<string, string>;
}

export class LocalProvider implements InferenceProvider {
  readonly name = 'local';
  readonly #workers: WorkerEndpoint[];

  constructor(options: { workers: readonly LocalWorkerConfig[] }) {
    const ids = new Set<string>();
    this.#workers = options.workers.map((worker, index) => {
      if (ids.has(worker.id)) {
        throw new QueueError('invalid_request', `worker id "${worker.id}" is used twice`, { field: `provider.workers.${index}.id` });
      }
      ids.add(worker.id);
      let url: URL;
      try {
        url = new URL(worker.url);
      } catch {
        throw new QueueError('invalid_request', `worker url "${worker.url}" is not a URL`, { field: `provider.workers.${index}.url` });
      }
      return { id: worker.id, url: url.origin + url.pathname.replace(/\/$/, ''), transport: 'comfyui', ...(worker.headers ? { headers: worker.headers } : {}) };
    });
  }

  async listWorkers(): Promise<WorkerEndpoint[]> {
    return this.#workers.map((worker) => ({ ...worker }));
  }

  async startWorkers(): Promise<WorkerEndpoint[]> {
    return this.listWorkers();
  }

  async stopWorker(id: string): Promise<void> {
    throw new QueueError('invalid_request', `local worker "${id}" runs outside comfy-multi; stop it there, or drain it here`);
  }

  async capacity(): Promise<ProviderCapacity> {
    return { running: this.#workers.length, max: this.#workers.length };
  }
}
