/**
 * comfy-multi jobs in the shapes ComfyUI's queue and history panels read:
 * `/api/jobs` items (frontends ≥ 1.38.3, B.5) or the older `/api/queue` and
 * `/api/history` task items. Pure functions.
 */
import type { Job, JobDetail, JobState, OutputFile } from './contract.ts';

export type JobsApiStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

export function jobsApiStatus(state: JobState): JobsApiStatus {
  switch (state) {
    case 'queued':
      return 'pending';
    case 'dispatching':
    case 'running':
      return 'in_progress';
    case 'succeeded':
      return 'completed';
    default:
      return state;
  }
}

const ms = (iso: string | null): number | null => {
  if (iso === null) return null;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? null : value;
};

type ImageRef = { filename: string; subfolder: string; type: 'output' | 'temp' };
export type OutputsMap = Record<string, Record<string, ImageRef[]>>;

/** Output files → ComfyUI's `outputs` map: node id → kind → file refs (what `executed` carried). */
export function outputsMap(outputs: readonly OutputFile[]): OutputsMap {
  const map: OutputsMap = {};
  for (const file of outputs) {
    const node = map[file.node_id] ?? {};
    map[file.node_id] = node;
    node[file.kind] = [...(node[file.kind] ?? []), { filename: file.filename, subfolder: file.subfolder, type: file.type }];
  }
  return map;
}

function executionError(job: Job): Record<string, unknown> | null {
  if (job.state !== 'failed' || !job.error) return null;
  const details = job.error.details as Record<string, unknown> | undefined;
  if (details && typeof details['exception_message'] === 'string' && typeof details['node_id'] === 'string') return details;
  return {
    prompt_id: job.id,
    node_id: '',
    node_type: '',
    exception_message: job.error.message,
    exception_type: job.error.code,
    traceback: [],
    current_inputs: {},
    current_outputs: {},
  };
}

/** One `/api/jobs` list item (`zRawJobListItem` + the `priority` the store requires). */
export function toJobListItem(job: Job): Record<string, unknown> {
  const created = ms(job.queued_at) ?? 0;
  const preview = job.outputs.find((file) => file.kind === 'images') ?? job.outputs[0];
  return {
    id: job.id,
    status: jobsApiStatus(job.state),
    // Submission time orders the panel like ComfyUI's queue number would.
    priority: created,
    create_time: created,
    execution_start_time: ms(job.started_at),
    execution_end_time: ms(job.finished_at),
    outputs_count: job.outputs.length,
    preview_output: preview
      ? { filename: preview.filename, subfolder: preview.subfolder, type: preview.type, nodeId: preview.node_id, mediaType: preview.kind }
      : null,
    execution_error: executionError(job),
  };
}

/** `/api/jobs/<id>`: the list item plus outputs and the workflow in ComfyUI's `{prompt, extra_data}` form. */
export function toJobDetail(job: JobDetail): Record<string, unknown> {
  return {
    ...toJobListItem(job),
    outputs: outputsMap(job.outputs),
    workflow: { prompt: job.prompt ?? {}, extra_data: extraData(job, job.workflow) },
  };
}

function extraData(job: Job, workflow: unknown): Record<string, unknown> {
  return {
    client_id: '',
    create_time: ms(job.queued_at) ?? 0,
    ...(workflow ? { extra_pnginfo: { workflow } } : {}),
  };
}

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, the pre-1.38 task tuple. */
function legacyPrompt(job: JobDetail): unknown[] {
  const outputNodes = [...new Set(job.outputs.map((file) => file.node_id))];
  return [ms(job.queued_at) ?? 0, job.id, job.prompt ?? {}, extraData(job, job.workflow), outputNodes];
}

export interface LegacyQueue {
  Running: Record<string, unknown>[];
  Pending: Record<string, unknown>[];
}

/** `getQueue()` of frontends before 1.38.3; `cancel` backs the legacy list's Cancel button. */
export function toLegacyQueue(jobs: readonly Job[], cancel: (id: string) => void): LegacyQueue {
  return {
    Running: jobs
      .filter((job) => jobsApiStatus(job.state) === 'in_progress')
      .map((job) => ({ taskType: 'Running', prompt: legacyPrompt(job), remove: { name: 'Cancel', cb: () => cancel(job.id) } })),
    Pending: jobs.filter((job) => job.state === 'queued').map((job) => ({ taskType: 'Pending', prompt: legacyPrompt(job) })),
  };
}

const TERMINAL_MESSAGE: Partial<Record<JobState, string>> = {
  succeeded: 'execution_success',
  failed: 'execution_error',
  cancelled: 'execution_interrupted',
};

/** `getHistory()` of frontends before 1.38.3: `{History: [...]}` with status messages for the run time. */
export function toLegacyHistory(jobs: readonly Job[]): { History: Record<string, unknown>[] } {
  return {
    History: jobs.map((job) => {
      const messages: unknown[] = [];
      const started = ms(job.started_at);
      const finished = ms(job.finished_at);
      if (started !== null) messages.push(['execution_start', { prompt_id: job.id, timestamp: started }]);
      const end = TERMINAL_MESSAGE[job.state];
      if (end && finished !== null) messages.push([end, { prompt_id: job.id, timestamp: finished }]);
      return {
        taskType: 'History',
        prompt: legacyPrompt(job),
        status: { status_str: job.state === 'succeeded' ? 'success' : 'error', completed: job.state === 'succeeded', messages },
        outputs: outputsMap(job.outputs),
        meta: {},
      };
    }),
  };
}
