/**
 * What to dispatch into ComfyUI's `api` for each thing the event stream delivers,
 * with the detail shapes the frontend's own socket handler produces
 * (COMFYUI_PROTOCOL.md B.3, gotcha 5). Pure: the adapter does the dispatching.
 */
import type { ComfyEnvelope, Job, PreviewFrame } from './contract.ts';

export interface ApiEvent {
  type: string;
  detail: unknown;
  /** For `executing`: the raw message newer frontends expect in `api.lastExecutingMessage` first. */
  executingMessage?: Record<string, unknown>;
}

/** ComfyUI events whose detail is the wire `data` unchanged. `status` is never relayed: it belongs to the UI host. */
const PASS_THROUGH = new Set([
  'execution_start',
  'execution_cached',
  'progress',
  'progress_state',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
]);

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

export function comfyToApiEvents(envelope: ComfyEnvelope): ApiEvent[] {
  // Every payload names the job: the server stamps prompt_id = job id, but make sure (gotcha 1).
  const data: Record<string, unknown> = { ...envelope.data, prompt_id: envelope.data['prompt_id'] ?? envelope.job_id };
  if (envelope.event === 'executing') {
    const node = typeof data['node'] === 'string' ? data['node'] : null;
    const display = typeof data['display_node'] === 'string' ? data['display_node'] : node;
    return [{ type: 'executing', detail: display, executingMessage: data }];
  }
  if (PASS_THROUGH.has(envelope.event)) return [{ type: envelope.event, detail: data }];
  return [];
}

/** A preview becomes the metadata event the UI draws (type-4 frames) plus the legacy blob event. */
export function previewToApiEvents(frame: PreviewFrame): ApiEvent[] {
  const blob = new Blob([frame.bytes as Uint8Array<ArrayBuffer>], { type: frame.mime });
  return [
    {
      type: 'b_preview_with_metadata',
      detail: {
        blob,
        nodeId: frame.nodeId,
        displayNodeId: frame.displayNodeId,
        parentNodeId: frame.parentNodeId,
        realNodeId: frame.realNodeId,
        jobId: frame.jobId,
        // Frontends before the prompt → job rename (1.40.8) read promptId.
        promptId: frame.jobId,
      },
    },
    { type: 'b_preview', detail: blob },
  ];
}

/**
 * When a job the UI saw start ends without ComfyUI's own terminal event (its worker
 * died, it was cancelled before the worker ran it, the queue gave up on it), this is
 * the event that releases the native Run/Stop state and shows the outcome.
 */
export function terminalEventFor(job: Job, now: number = Date.now()): ApiEvent | null {
  const base = { prompt_id: job.id, timestamp: now };
  switch (job.state) {
    case 'succeeded':
      return { type: 'execution_success', detail: base };
    case 'cancelled':
      return { type: 'execution_interrupted', detail: { ...base, node_id: '', node_type: '', executed: [] } };
    case 'failed':
      return {
        type: 'execution_error',
        detail: {
          ...base,
          node_id: '',
          node_type: '',
          executed: [],
          exception_type: job.error?.code ?? 'comfy_multi_error',
          exception_message: job.error?.message ?? 'The job failed.',
          traceback: [],
          current_inputs: {},
          current_outputs: {},
        },
      };
    default:
      return null;
  }
}
