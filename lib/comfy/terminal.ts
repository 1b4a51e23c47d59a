/**
 * A prompt's final state, however it was learned: live from the socket, or
 * recovered over HTTP from /history/{id} or /api/jobs/{id} after messages were
 * dropped (ComfyUI drops events for a disconnected client id; it never buffers).
 */
import {
  type ExecutionErrorData,
  type ExecutionInterruptedData,
  type HistoryItem,
  type HistoryStatus,
  type JobDetail,
  type NodeOutput,
  PROMPT_MESSAGE_SCHEMAS,
  type PromptMessage,
  type PromptMessageType,
} from './messages.ts';

/** `lost`: the worker knows nothing about the prompt any more (e.g. it restarted mid-run). */
export type TerminalStatus = 'success' | 'error' | 'interrupted' | 'lost';

export interface TerminalResult {
  promptId: string;
  status: TerminalStatus;
  /** Lifecycle messages (execution_*, executing, executed); progress and progress_state are not kept. */
  messages: PromptMessage[];
  /** Node id → the node's UI output, e.g. `{images: [{filename, subfolder, type}]}`. */
  outputs: Record<string, NodeOutput>;
  /** The execution_error / execution_interrupted payload, when the worker gave one. */
  error: ExecutionErrorData | ExecutionInterruptedData | null;
  source: 'live' | 'history' | 'job' | 'missing';
}

function historyMessages(promptId: string, status: HistoryStatus): PromptMessage[] {
  const messages: PromptMessage[] = [];
  for (const [type, data] of status.messages) {
    if (!Object.hasOwn(PROMPT_MESSAGE_SCHEMAS, type)) continue;
    const parsed = PROMPT_MESSAGE_SCHEMAS[type as PromptMessageType].safeParse(data);
    if (parsed.success) messages.push({ type, promptId, data: parsed.data } as PromptMessage);
  }
  return messages;
}

function fromStatus(
  promptId: string,
  status: HistoryStatus,
  outputs: Record<string, NodeOutput>,
  source: TerminalResult['source'],
): TerminalResult {
  const messages = historyMessages(promptId, status);
  const interrupted = messages.find((m) => m.type === 'execution_interrupted');
  const failed = messages.find((m) => m.type === 'execution_error');
  if (interrupted) return { promptId, status: 'interrupted', messages, outputs, error: interrupted.data as ExecutionInterruptedData, source };
  if (failed) return { promptId, status: 'error', messages, outputs, error: failed.data as ExecutionErrorData, source };
  return { promptId, status: status.status_str === 'success' ? 'success' : 'error', messages, outputs, error: null, source };
}

/** A history entry exists only once a prompt has finished, so this always yields a result. */
export function terminalFromHistory(promptId: string, item: HistoryItem): TerminalResult {
  // Entries without `status` come from cores that predate it, which recorded only successful runs.
  const status = item.status ?? { status_str: 'success', completed: true, messages: [] };
  return fromStatus(promptId, status, item.outputs, 'history');
}

/** Null while the job is still pending or running. */
export function terminalFromJob(promptId: string, job: JobDetail): TerminalResult | null {
  if (job.status === 'pending' || job.status === 'in_progress') return null;
  const outputs = job.outputs ?? {};
  if (job.status === 'cancelled') {
    const base = job.execution_status ? fromStatus(promptId, job.execution_status, outputs, 'job') : null;
    return { promptId, status: 'interrupted', messages: base?.messages ?? [], outputs, error: base?.error ?? null, source: 'job' };
  }
  if (job.execution_status) return fromStatus(promptId, job.execution_status, outputs, 'job');
  const error = job.status === 'completed' ? null : ((job.execution_error as ExecutionErrorData | undefined) ?? null);
  return { promptId, status: job.status === 'completed' ? 'success' : 'error', messages: [], outputs, error, source: 'job' };
}

/** The worker knows nothing of the prompt: lost, or — when we removed it from the queue — interrupted. */
export function missingResult(promptId: string, cancelled: boolean): TerminalResult {
  return { promptId, status: cancelled ? 'interrupted' : 'lost', messages: [], outputs: {}, error: null, source: 'missing' };
}
