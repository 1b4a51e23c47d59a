/**
 * The replacement for `api.queuePrompt`, the call every Run/Queue path of the frontend
 * ends in (B.2): the prompt goes to the shared queue instead of the UI host, and the
 * answer or the rejection comes back in the shapes the frontend's queue loop expects.
 */
import { type ApiClient, CmApiError, type SubmitBody } from './api-client.ts';
import type { ApiOverrides, ComfyHost } from './comfy-adapter.ts';
import type { SeatState } from './seat-state.ts';

/** A v4 UUID; crypto.randomUUID only exists in secure contexts (plain-http LAN setups lack it). */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type QueuePromptArgs = Parameters<ApiOverrides['queuePrompt']>;

export function submitBody(args: QueuePromptArgs, title: string | undefined, requestId: string): SubmitBody {
  const [number, data, options] = args;
  const targets = options?.partialExecutionTargets;
  const preview = options?.previewMethod;
  return {
    prompt: data.output,
    ...(data.workflow ? { workflow: data.workflow } : {}),
    ...(targets && targets.length > 0 ? { partial_execution_targets: [...targets] } : {}),
    // 'default' means "the worker's own setting", which ComfyUI expresses by sending nothing.
    ...(preview && preview !== 'default' ? { preview_method: preview } : {}),
    front: number === -1,
    client_request_id: requestId,
    ...(title ? { title: title.slice(0, 200) } : {}),
  };
}

const isComfyBody = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && ('node_errors' in value || typeof (value as { error?: unknown }).error === 'object');

/** A ComfyUI `/prompt` error body for a refusal that is ours (cap, pause, session…), so the native dialog shows it. */
export function comfyErrorBody(error: CmApiError): { error: Record<string, unknown>; node_errors: Record<string, never> } {
  return {
    error: { type: error.code, message: error.message, details: '', extra_info: {} },
    node_errors: {},
  };
}

export function createQueuePrompt(host: ComfyHost, client: ApiClient, state: SeatState): ApiOverrides['queuePrompt'] {
  return async (...args) => {
    // Comfy.org credentials (api.authToken / api.apiKey) are deliberately not read or
    // forwarded: shared workers must not receive a participant's account token.
    const body = submitBody(args, host.activeWorkflowName(), newRequestId());
    try {
      const job = await client.submitJob(body);
      state.noteJob(job);
      return { prompt_id: job.id, number: args[0], node_errors: {} };
    } catch (error) {
      if (!(error instanceof CmApiError)) throw error;
      const status = error.status === 0 ? undefined : error.status;
      // A validation refusal carries ComfyUI's own body: node errors light up natively.
      if (status !== undefined && status < 500 && isComfyBody(error.details)) throw host.promptError(error.details, status);
      throw host.promptError(comfyErrorBody(error), status);
    }
  };
}
