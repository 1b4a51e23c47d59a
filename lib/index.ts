/**
 * comfy-multi's embeddable core: a fair shared queue for ComfyUI jobs, the
 * worker pool that runs them, and the pieces both are made of. No HTTP framework.
 */
export { ERROR_STATUS, type ErrorBody, type ErrorCode, isQueueError, QueueError, statusForCode } from './errors.ts';
export {
  type Job,
  type JobError,
  JobSchema,
  type JobState,
  JOB_STATES,
  type OutputFile,
  PRIORITY_CLASSES,
  type PriorityClass,
  type Prompt,
  type PromptLimits,
  promptShape,
  type SubmitRequest,
  SubmitRequestSchema,
  validatePrompt,
} from './job.ts';
export { type Actor, createQueue, type PromptValidator, Queue, type QueueEvents, type QueueOptions, type SeatStatus, type SubmitResult } from './queue.ts';
export { fifoPolicy, priorityPolicy, roundRobinPolicy, type SchedulingPolicy } from './scheduling/policy.ts';
export { DEFAULT_SETTINGS, type SchedulerSettings } from './scheduling/settings.ts';
export type { QueuedPosition, QueueSnapshot } from './scheduling/snapshot.ts';
export type { ClaimCandidates, LaneHead, QueueStore, SeatService, StoreSignal } from './store/queue-store.ts';
export { SqliteQueueStore } from './store/sqlite-store.ts';
export { RedisQueueStore } from './store/redis-store.ts';
export { RedisLeases } from './store/redis-leases.ts';
export { createWorkerPool, WorkerPool, type WorkerPoolOptions } from './pool/worker-pool.ts';
export { LocalLeases, type WorkerLeases } from './pool/leases.ts';
export { InputStager } from './pool/input-stager.ts';
export type { PoolEvents, WorkerState, WorkerView } from './pool/types.ts';
export { OutputStore } from './outputs/output-store.ts';
export type { InferenceProvider, ProviderCapacity, RemoteJobHooks, RemoteJobRequest, RemoteJobResult, RemoteOutputFile, WorkerEndpoint } from './providers/provider.ts';
export { LocalProvider } from './providers/local-provider.ts';
export {
  type ModalProviderConfig,
  type ProviderConfig,
  type ProviderConfigInput,
  ProviderConfigSchema,
  type RunpodProviderConfig,
  type VerdaProviderConfig,
} from './providers/config.ts';
export { createProvider } from './providers/create-provider.ts';
export { VerdaProvider } from './providers/verda-provider.ts';
export { RunpodProvider } from './providers/runpod-provider.ts';
export { ModalProvider } from './providers/modal-provider.ts';
export { ComfyWorkerClient, type ComfyWorkerClientOptions } from './comfy/comfy-worker-client.ts';
export { TypedEmitter } from './typed-emitter.ts';
