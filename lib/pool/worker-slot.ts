/** What the pool needs from every kind of worker, and what every worker gets from the pool. */
import type { Job } from '../job.ts';
import type { OutputStore } from '../outputs/output-store.ts';
import type { Queue } from '../queue.ts';
import type { TypedEmitter } from '../typed-emitter.ts';
import type { InputStager } from './input-stager.ts';
import type { PoolEvents, WorkerState, WorkerView } from './types.ts';

export interface WorkerPoolDeps {
  queue: Queue;
  outputs: OutputStore;
  inputs: InputStager;
  events: TypedEmitter<PoolEvents>;
  /** This process's name (lease holder). */
  owner: string;
}

export interface WorkerSlot {
  readonly id: string;
  readonly state: WorkerState;
  view(): WorkerView;
  start(): void;
  stop(): Promise<void>;
  /** Finish the current job, take no new one. */
  drain(): void;
  enable(): void;
  /** A job may be waiting: claim it if this worker is free. */
  wake(): void;
  /** Stop a job this worker has (interrupt it, or take it back from the worker's own queue). */
  cancel(job: Job): Promise<void>;
  /** The queue order changed; a job pre-submitted to the worker may need to come back. */
  reconsiderPreSubmitted(firstQueuedIsPinned: boolean): Promise<void>;
}
