/**
 * Where workers come from. A provider lists (and, for cloud providers, starts
 * and stops) the machines that run ComfyUI. Switching provider is one line of config.
 *
 * Two transports cover every provider we know:
 *  - `comfyui`: a ComfyUI reachable over its own HTTP + WebSocket protocol
 *    (local GPUs, a Verda instance, a Modal web endpoint). The pool drives it directly.
 *  - `job-api`: a service that runs a whole prompt per request and answers when it is
 *    done (RunPod serverless). The provider's `executeJob` does the work; jobs still
 *    go through our queue, fairness and output store.
 */
import type { Job, Prompt } from '../job.ts';

export interface WorkerEndpoint {
  /** Stable id, used in job records, leases and output paths (e.g. "gpu0"). */
  id: string;
  /** Base URL of the ComfyUI (transport comfyui) or of the provider's endpoint. */
  url: string;
  transport: 'comfyui' | 'job-api';
  /** Extra request headers, e.g. a provider's Authorization. */
  headers?: Record<string, string>;
}

export interface ProviderCapacity {
  /** Workers running now. */
  running: number;
  /** The most this provider may run (its config or account limit). */
  max: number;
}

/** One staged input file for a job-api run (transport job-api has no upload endpoint). */
export interface RemoteInput {
  name: string;
  data: Uint8Array;
}

export interface RemoteJobRequest {
  job: Job;
  /** The prompt after input staging. */
  prompt: Prompt;
  inputs: RemoteInput[];
  signal: AbortSignal;
}

export interface RemoteJobHooks {
  /** Coarse progress a job-api provider can report (0..1), relayed as ComfyUI `progress`. */
  progress(fraction: number): void;
}

export interface RemoteOutputFile {
  nodeId: string;
  kind: string;
  filename: string;
  subfolder: string;
  type: string;
  data: Uint8Array;
}

export type RemoteJobResult =
  | { status: 'success'; files: RemoteOutputFile[] }
  | { status: 'error'; message: string; details?: unknown }
  | { status: 'cancelled' };

export interface InferenceProvider {
  readonly name: string;
  /** The workers that exist now. Called at start and every `refreshMs` of the pool. */
  listWorkers(): Promise<WorkerEndpoint[]>;
  /** Brings up to `count` workers into existence (cloud providers); answers what exists afterwards. */
  startWorkers(count: number): Promise<WorkerEndpoint[]>;
  stopWorker(id: string): Promise<void>;
  capacity(): Promise<ProviderCapacity>;
  /** Required for transport `job-api`: runs one prompt to completion on the provider. */
  executeJob?(request: RemoteJobRequest, hooks: RemoteJobHooks): Promise<RemoteJobResult>;
}
