/**
 * Which prompt a frame belongs to, and whether it is ours. Pure bookkeeping, no I/O.
 *
 * Ownership: prompts this client submitted or adopted, plus any prompt that
 * sends a *targeted* message (execution_*, executing, executed, type-4 preview),
 * since ComfyUI sends those only to the submitting client id. Broadcast-capable
 * frames (progress, progress_state, execution_interrupted, type-1/3 binaries) of
 * other clients' prompts are dropped.
 *
 * Attribution of frames without a prompt id — the reconnect replay
 * `executing {node}`, type-1 previews and type-3 text — uses the prompt this
 * client knows is running (from execution_start until its terminal message or
 * `executing null`), or else the only unfinished prompt it owns.
 */
import type { DecodedFrame } from './binary-frames.ts';
import {
  type KnownServerMessage,
  type NodeOutput,
  type PromptMessage,
  type PromptMessageType,
  isTerminalMessageType,
} from './messages.ts';
import type { TerminalResult } from './terminal.ts';

export type KnownPromptMessage = Extract<KnownServerMessage, { type: PromptMessageType }>;

export interface PreviewEvent {
  promptId: string;
  nodeId: string;
  displayNodeId: string;
  parentNodeId: string | null;
  realNodeId: string;
  imageType: string;
  image: Uint8Array;
  /** The frame exactly as received, for relaying it unchanged. */
  frame: Uint8Array;
  /** True for type-1 frames, whose node/prompt were inferred from the last `executing`. */
  synthesized: boolean;
}

export interface TextEvent {
  promptId: string;
  nodeId: string;
  text: string;
  frame: Uint8Array;
}

export interface PromptRecord {
  readonly promptId: string;
  messages: PromptMessage[];
  outputs: Record<string, NodeOutput>;
  result: TerminalResult | null;
  /** POST /prompt in flight: the worker may not know the id yet, so recovery must not call it lost. */
  submitting: boolean;
  /** Its events may go to another client id (409 resubmit): learn its end by polling. */
  poll: boolean;
  /** We removed it from the worker's queue, so vanishing from the worker means cancelled, not lost. */
  cancelled: boolean;
}

export interface AcceptedMessage {
  message: PromptMessage;
  /** Set when this message ended the prompt. */
  settled: TerminalResult | null;
  /** `executing null` arrived but no terminal message did: the caller should recover it. */
  endedUnsettled: boolean;
}

/** Sent only to the submitting client id, so receiving one proves the prompt is ours. */
const TARGETED = new Set<string>(['execution_start', 'execution_cached', 'executing', 'executed', 'execution_success', 'execution_error']);
/** High-volume messages relayed live but not kept in a record. */
const NOT_KEPT = new Set<string>(['progress', 'progress_state']);

export class PromptTracker {
  readonly #records = new Map<string, PromptRecord>();
  readonly #maxSettled: number;
  #current: string | null = null;
  #lastNode: { node: string; displayNode: string } | null = null;

  constructor(maxSettled = 256) {
    this.#maxSettled = maxSettled;
  }

  /** The prompt running on the worker as far as this client knows. */
  get current(): string | null {
    return this.#current;
  }

  get(promptId: string): PromptRecord | undefined {
    return this.#records.get(promptId);
  }

  own(promptId: string): PromptRecord {
    return this.#records.get(promptId) ?? this.begin(promptId);
  }

  /** A fresh record for a new run of `promptId` (a resubmit must not inherit an old result). */
  begin(promptId: string): PromptRecord {
    const record: PromptRecord = { promptId, messages: [], outputs: {}, result: null, submitting: false, poll: false, cancelled: false };
    this.#records.delete(promptId);
    this.#records.set(promptId, record);
    return record;
  }

  forget(promptId: string): void {
    this.#records.delete(promptId);
    if (this.#current === promptId) this.#clearCurrent();
  }

  unsettled(): PromptRecord[] {
    return [...this.#records.values()].filter((record) => record.result === null);
  }

  /** Records a result learned elsewhere (recovery). Returns false when the prompt had already settled. */
  settle(result: TerminalResult): boolean {
    const record = this.#records.get(result.promptId);
    if (!record || record.result) return false;
    record.result = result;
    if (this.#current === result.promptId) this.#clearCurrent();
    this.#evict();
    return true;
  }

  acceptMessage(incoming: KnownPromptMessage): AcceptedMessage | null {
    let data: Record<string, unknown> = incoming.data;
    let promptId = typeof data['prompt_id'] === 'string' ? data['prompt_id'] : null;
    if (promptId === null) {
      // The reconnect replay `executing {node}` carries no prompt_id.
      promptId = this.#current ?? this.#soleUnsettled();
      if (promptId === null) return null;
      data = { ...data, prompt_id: promptId };
    }
    const isEnd = incoming.type === 'executing' && data['node'] === null;
    let record = this.#records.get(promptId);
    if (!record) {
      if (!TARGETED.has(incoming.type) || isEnd) return null;
      record = this.own(promptId);
    }
    const message = { type: incoming.type, promptId, data } as PromptMessage;
    // Cores before 0.24 run a resubmitted id again: a new run of the same prompt.
    if (message.type === 'execution_start' && record.result) record = this.begin(promptId);
    if (!NOT_KEPT.has(message.type)) record.messages.push(message);
    this.#track(message, record);

    let settled: TerminalResult | null = null;
    if (isTerminalMessageType(message.type) && !record.result) {
      const error = message.type === 'execution_success' ? null : (message.data as TerminalResult['error']);
      const status = message.type === 'execution_success' ? 'success' : message.type === 'execution_error' ? 'error' : 'interrupted';
      settled = { promptId, status, messages: [...record.messages], outputs: { ...record.outputs }, error, source: 'live' };
      record.result = settled;
      this.#evict();
    }
    return { message, settled, endedUnsettled: isEnd && !record.result };
  }

  /** A message type outside the catalogue that names one of our prompts. */
  acceptUnknown(type: string, data: unknown): { type: string; promptId: string; data: Record<string, unknown> } | null {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
    const promptId = (data as Record<string, unknown>)['prompt_id'];
    if (typeof promptId !== 'string' || !this.#records.has(promptId)) return null;
    return { type, promptId, data: data as Record<string, unknown> };
  }

  acceptPreview(decoded: Extract<DecodedFrame, { kind: 'preview' }>, frame: Uint8Array): PreviewEvent | null {
    const { image, imageType } = decoded;
    if (decoded.eventType === 4) {
      const meta = decoded.metadata;
      // Type 4 goes only to the submitting socket, like other targeted frames.
      this.own(meta.prompt_id);
      return {
        promptId: meta.prompt_id,
        nodeId: meta.node_id,
        displayNodeId: meta.display_node_id ?? meta.node_id,
        parentNodeId: meta.parent_node_id ?? null,
        realNodeId: meta.real_node_id ?? meta.node_id,
        imageType,
        image,
        frame,
        synthesized: false,
      };
    }
    const promptId = this.#current;
    const last = this.#lastNode;
    if (promptId === null || last === null) return null;
    return {
      promptId,
      nodeId: last.node,
      displayNodeId: last.displayNode,
      parentNodeId: null,
      realNodeId: last.node,
      imageType,
      image,
      frame,
      synthesized: true,
    };
  }

  acceptText(decoded: Extract<DecodedFrame, { kind: 'text' }>, frame: Uint8Array): TextEvent | null {
    const promptId = this.#current;
    if (promptId === null) return null;
    return { promptId, nodeId: decoded.nodeId, text: decoded.text, frame };
  }

  #track(message: PromptMessage, record: PromptRecord): void {
    const { promptId } = message;
    switch (message.type) {
      case 'execution_start':
        this.#current = promptId;
        this.#lastNode = null;
        break;
      case 'executing': {
        const { node, display_node } = message.data;
        if (node === null) {
          if (this.#current === promptId) this.#clearCurrent();
        } else {
          this.#current = promptId;
          this.#lastNode = { node, displayNode: display_node ?? node };
        }
        break;
      }
      case 'progress': {
        const { node } = message.data;
        if (node && this.#current === promptId && this.#lastNode?.node !== node) {
          this.#lastNode = { node, displayNode: node };
        }
        break;
      }
      case 'executed':
        if (message.data.output) record.outputs[message.data.node] = message.data.output;
        break;
      case 'execution_success':
      case 'execution_error':
      case 'execution_interrupted':
        if (this.#current === promptId) this.#clearCurrent();
        break;
      default:
        break;
    }
  }

  #clearCurrent(): void {
    this.#current = null;
    this.#lastNode = null;
  }

  #soleUnsettled(): string | null {
    const open = this.unsettled();
    return open.length === 1 && open[0] ? open[0].promptId : null;
  }

  /** Keeps the newest `maxSettled` settled records; unsettled ones are never dropped. */
  #evict(): void {
    let excess = [...this.#records.values()].filter((record) => record.result).length - this.#maxSettled;
    for (const [id, record] of this.#records) {
      if (excess <= 0) break;
      if (record.result) {
        this.#records.delete(id);
        excess -= 1;
      }
    }
  }
}
