/**
 * ComfyUI's PromptQueue: a heap on (number, prompt_id) with the exact sift order of Python's
 * heapq (GET /queue shows the raw heap array), the running set and the insertion-ordered history.
 */
import type { PyFloat } from './py-json.ts';
import { toNumber } from './py-json.ts';

export interface QueueItem {
  number: number | PyFloat;
  promptId: string;
  prompt: Record<string, unknown>;
  extraData: Record<string, unknown>;
  outputs: string[];
  /** Sensitive extra_data keys (API tokens): given to the executor, never shown. */
  sensitive: Record<string, unknown>;
}

export interface HistoryEntry {
  prompt: unknown[];
  outputs: Map<string, unknown>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
  meta: Map<string, unknown>;
}

export const MAXIMUM_HISTORY_SIZE = 10000;

/** The 5-element tuple ComfyUI shows in /queue and history: [number, prompt_id, prompt, extra_data, outputs]. */
export function publicTuple(item: QueueItem): unknown[] {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

function less(a: QueueItem, b: QueueItem): boolean {
  const x = toNumber(a.number);
  const y = toNumber(b.number);
  if (x !== y) return x < y;
  return a.promptId < b.promptId;
}

function siftDown(heap: QueueItem[], start: number, pos: number): void {
  const item = heap[pos] as QueueItem;
  while (pos > start) {
    const parentPos = (pos - 1) >> 1;
    const parent = heap[parentPos] as QueueItem;
    if (!less(item, parent)) break;
    heap[pos] = parent;
    pos = parentPos;
  }
  heap[pos] = item;
}

function siftUp(heap: QueueItem[], pos: number): void {
  const end = heap.length;
  const start = pos;
  const item = heap[pos] as QueueItem;
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !less(heap[child] as QueueItem, heap[right] as QueueItem)) child = right;
    heap[pos] = heap[child] as QueueItem;
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = item;
  siftDown(heap, start, pos);
}

export class PromptQueue {
  private heap: QueueItem[] = [];
  private readonly running = new Map<number, QueueItem>();
  readonly history = new Map<string, HistoryEntry>();
  private taskCounter = 0;
  private waiter: (() => void) | null = null;
  private readonly changed: () => void;

  /** @param changed called on every change of the queue (ComfyUI's queue_updated -> status broadcast) */
  constructor(changed: () => void) {
    this.changed = changed;
  }

  put(item: QueueItem): void {
    this.heap.push(item);
    siftDown(this.heap, 0, this.heap.length - 1);
    this.changed();
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Pops the next item into the running set, or null when the queue is empty. */
  takeNow(): { item: QueueItem; taskId: number } | null {
    if (this.heap.length === 0) return null;
    const last = this.heap.pop() as QueueItem;
    let item = last;
    if (this.heap.length > 0) {
      item = this.heap[0] as QueueItem;
      this.heap[0] = last;
      siftUp(this.heap, 0);
    }
    const taskId = this.taskCounter++;
    this.running.set(taskId, item);
    this.changed();
    return { item, taskId };
  }

  /** Resolves when an item may be available (the worker's blocking queue.get()). */
  waitForItem(): Promise<void> {
    if (this.heap.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  done(taskId: number, entry: Omit<HistoryEntry, 'prompt'>): void {
    const item = this.running.get(taskId);
    this.running.delete(taskId);
    if (!item) return;
    if (this.history.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.history.keys().next().value;
      if (oldest !== undefined) this.history.delete(oldest);
    }
    this.history.set(item.promptId, { prompt: publicTuple(item), outputs: entry.outputs, status: entry.status, meta: entry.meta });
    this.changed();
  }

  remaining(): number {
    return this.heap.length + this.running.size;
  }

  runningItems(): QueueItem[] {
    return [...this.running.values()];
  }

  /** Pending items in heap-array order, as ComfyUI returns them. */
  pendingItems(): QueueItem[] {
    return [...this.heap];
  }

  isRunning(promptId: string): boolean {
    for (const item of this.running.values()) if (item.promptId === promptId) return true;
    return false;
  }

  has(promptId: string): boolean {
    return this.history.has(promptId) || this.isRunning(promptId) || this.heap.some((i) => i.promptId === promptId);
  }

  wipe(): void {
    this.heap = [];
    this.changed();
  }

  /** Removes the first pending item matching; like ComfyUI, deleting the last one wipes (two status updates). */
  deleteWhere(match: (item: QueueItem) => boolean): boolean {
    const index = this.heap.findIndex(match);
    if (index < 0) return false;
    if (this.heap.length === 1) this.wipe();
    else {
      this.heap.splice(index, 1);
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) siftUp(this.heap, i);
    }
    this.changed();
    return true;
  }

  /** get_history with ComfyUI's max_items/offset semantics (offset -1 = "the last max_items"). */
  historySlice(maxItems: number | null, offset: number): Map<string, HistoryEntry> {
    const out = new Map<string, HistoryEntry>();
    let start = offset;
    if (start < 0 && maxItems !== null) start = this.history.size - maxItems;
    let i = 0;
    for (const [id, entry] of this.history) {
      if (i >= start) {
        out.set(id, entry);
        if (maxItems !== null && out.size >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  deleteHistory(promptId: string): void {
    this.history.delete(promptId);
  }

  wipeHistory(): void {
    this.history.clear();
  }
}
