/**
 * Which nodes run and in what order: ComfyUI's cache keys (CacheKeySetInputSignature: class,
 * IS_CHANGED and inputs, links replaced by the upstream signature) and its ExecutionList
 * (only uncached dependencies are scheduled; ready output nodes and their feeders go first).
 */
import { createHash } from 'node:crypto';
import type { NodeCatalog } from './object-info.ts';
import { PyFloat, isPlainObject, orderedKeys } from './py-json.ts';

export type Prompt = Record<string, Record<string, unknown>>;

export function inputsOf(prompt: Prompt, id: string): Record<string, unknown> {
  const inputs = prompt[id]?.['inputs'];
  return isPlainObject(inputs) ? inputs : {};
}

/** ComfyUI's is_link: [string node id, number slot]. */
export function isLink(v: unknown): v is [string, number] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'number';
}

function canonical(v: unknown): string {
  // 1 and 1.0 are the same key in Python (equal and same hash), so PyFloat collapses to its number.
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof PyFloat ? x.value : x));
}

/** Cache keys per node id: equal keys mean "the same computation" even across node ids. */
export function cacheKeys(prompt: Prompt, catalog: NodeCatalog, changed: (id: string) => string | false): Map<string, string> {
  const keys = new Map<string, string>();
  const visiting = new Set<string>();
  const keyOf = (id: string): string => {
    const known = keys.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id) || !prompt[id]) return `missing:${id}`;
    visiting.add(id);
    const classType = String(prompt[id]['class_type']);
    const inputs = inputsOf(prompt, id);
    const parts: unknown[] = [classType, changed(id)];
    if (catalog.has(classType) && Object.values(catalog.def(classType).hidden).includes('UNIQUE_ID')) parts.push(id);
    for (const name of Object.keys(inputs).sort()) {
      const v = inputs[name];
      parts.push(isLink(v) ? [name, 'link', keyOf(v[0]), v[1]] : [name, v]);
    }
    visiting.delete(id);
    const key = createHash('sha1').update(canonical(parts)).digest('hex');
    keys.set(id, key);
    return key;
  };
  for (const id of orderedKeys(prompt)) keyOf(id);
  return keys;
}

/** ComfyUI's ExecutionList (TopologicalSort + ux_friendly_pick_node). */
export class ExecutionList {
  private readonly pending = new Map<string, true>();
  private readonly blockCount = new Map<string, number>();
  private readonly blocking = new Map<string, Set<string>>();
  private readonly prompt: Prompt;
  private readonly isCached: (id: string) => boolean;
  private readonly isOutput: (id: string) => boolean;

  constructor(prompt: Prompt, isCached: (id: string) => boolean, isOutput: (id: string) => boolean) {
    this.prompt = prompt;
    this.isCached = isCached;
    this.isOutput = isOutput;
  }

  addNode(start: string): void {
    const stack = [start];
    const links: [string, string][] = [];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (this.pending.has(id)) continue;
      this.pending.set(id, true);
      this.blockCount.set(id, 0);
      this.blocking.set(id, new Set());
      const inputs = inputsOf(this.prompt, id);
      for (const name of orderedKeys(inputs)) {
        const v = inputs[name];
        if (!isLink(v) || !this.prompt[v[0]]) continue;
        if (!this.isCached(v[0])) stack.push(v[0]);
        links.push([v[0], id]);
      }
    }
    for (const [from, to] of links) this.addStrongLink(from, to);
  }

  private addStrongLink(from: string, to: string): void {
    if (this.isCached(from)) return;
    this.addNode(from);
    const blocked = this.blocking.get(from) as Set<string>;
    if (!blocked.has(to)) {
      blocked.add(to);
      this.blockCount.set(to, (this.blockCount.get(to) ?? 0) + 1);
    }
  }

  isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** The next node to run, or null when the remaining nodes only wait on each other (a cycle). */
  next(): string | null {
    const ready = [...this.pending.keys()].filter((id) => this.blockCount.get(id) === 0);
    if (ready.length === 0) return null;
    const blocks = (id: string) => [...(this.blocking.get(id) ?? [])];
    return (
      ready.find((id) => this.isOutput(id)) ??
      ready.find((id) => blocks(id).some((b) => this.isOutput(b))) ??
      ready.find((id) => blocks(id).some((b) => blocks(b).some((c) => this.isOutput(c)))) ??
      (ready[0] as string)
    );
  }

  complete(id: string): void {
    this.pending.delete(id);
    for (const blocked of this.blocking.get(id) ?? []) this.blockCount.set(blocked, (this.blockCount.get(blocked) ?? 1) - 1);
    this.blocking.delete(id);
  }
}
