/**
 * The single worker thread of a ComfyUI server: takes one prompt at a time from the queue and
 * runs it with ComfyUI's message sequence (execution_start, execution_cached, per node
 * progress_state -> executing -> progress/previews -> executed -> progress_state, then
 * execution_success / _error / _interrupted, status, executing null), caching like the CLASSIC cache.
 */
import type { DataDirs } from './data-dirs.ts';
import { ExecutionList, type Prompt, cacheKeys, inputsOf, isLink } from './execution-plan.ts';
import { encodeJpeg } from './jpeg.ts';
import { formatValue } from './node-values.ts';
import { NodeFailure, type NodeEnv, type Preview, isChanged, isSamplerLike, runNode } from './nodes.ts';
import type { NodeCatalog } from './object-info.ts';
import { encodePng } from './png.ts';
import type { PromptQueue, QueueItem } from './prompt-queue.ts';
import { dumps, orderedKeys, PyFloat } from './py-json.ts';
import type { WsHub } from './ws-hub.ts';

export type PreviewMethod = 'none' | 'auto' | 'latent2rgb' | 'taesd';

export interface ExecutorConfig {
  nodeMs: (classType: string, nodeId: string) => number;
  samplerSteps: number;
  timeScale: number;
  previewMethod: PreviewMethod;
}

/** Fault switches the executor obeys (see SimulatorHandle.faults). */
export interface FaultSwitches {
  readonly stall: boolean;
  failNextPrompts: number;
  /** Resolves once `stall` is off. */
  whenRunnable(): Promise<void>;
}

export interface ExecutorDeps {
  hub: WsHub;
  queue: PromptQueue;
  catalog: NodeCatalog;
  dirs: DataDirs;
  config: ExecutorConfig;
  faults: FaultSwitches;
  /** Called with every finished prompt and every interrupt signal. */
  counted(event: 'prompt' | 'interrupt'): void;
}

class Interrupted extends Error {}
class Aborted extends Error {}

interface CacheEntry {
  ui: { meta: Record<string, unknown>; output: Record<string, unknown> } | null;
  outputs: unknown[];
}

// The frames of execution.py above a failing node's own code, as ComfyUI 0.8.0 reports them.
const EXECUTION_FRAMES = (root: string): string[] => [
  `  File "${root}/execution.py", line 518, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n${' '.repeat(62)}${'^'.repeat(151)}\n`,
  `  File "${root}/execution.py", line 329, in get_output_data\n    return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n${' '.repeat(20)}${'^'.repeat(197)}\n`,
  `  File "${root}/execution.py", line 303, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n`,
  `  File "${root}/execution.py", line 291, in process_inputs\n    result = f(**inputs)\n`,
];

const FAULT_FRAME = (root: string) =>
  `  File "${root}/comfy_simulator/faults.py", line 1, in run\n    raise RuntimeError("Simulated failure (faults.failNextPrompts)")\n`;

export class Executor {
  /** client_id of the running prompt (ComfyUI's server.client_id). */
  clientId: string | null = null;
  /** Display id of the node that last sent `executing` (replayed to a reconnecting client). */
  lastNodeId: string | null = null;
  private readonly deps: ExecutorDeps;
  private readonly cache = new Map<string, CacheEntry>();
  private interrupted = false;
  private dead = false;
  private readonly wakeOnInterrupt = new Set<() => void>();
  private readonly wakeOnAbort = new Set<() => void>();

  constructor(deps: ExecutorDeps) {
    this.deps = deps;
  }

  /** nodes.interrupt_processing(): the running prompt stops at its next check. */
  interrupt(): void {
    this.interrupted = true;
    this.deps.counted('interrupt');
    for (const wake of [...this.wakeOnInterrupt]) wake();
  }

  /** Stops the worker for good (crash/close): nothing more is sent. */
  abort(): void {
    this.dead = true;
    for (const wake of [...this.wakeOnAbort]) wake();
  }

  async run(): Promise<void> {
    const { queue } = this.deps;
    while (!this.dead) {
      const next = queue.takeNow();
      if (!next) {
        await this.until(queue.waitForItem());
        continue;
      }
      try {
        const result = await this.execute(next.item);
        queue.done(next.taskId, result);
        this.deps.counted('prompt');
        if (this.clientId !== null) this.deps.hub.sendJson('executing', { node: null, prompt_id: next.item.promptId }, this.clientId);
      } catch (err) {
        if (err instanceof Aborted) return;
        throw err;
      }
    }
  }

  /** Awaits a promise unless the worker is aborted first. */
  private until<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const wake = () => reject(new Aborted());
      this.wakeOnAbort.add(wake);
      p.then(resolve, reject).finally(() => this.wakeOnAbort.delete(wake));
    });
  }

  private wait(ms: number, interruptible: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakeOnInterrupt.delete(finish);
        this.wakeOnAbort.delete(finish);
        if (this.dead) reject(new Aborted());
        else if (interruptible && this.interrupted) reject(new Interrupted());
        else resolve();
      };
      const timer = setTimeout(finish, Math.max(0, ms));
      this.wakeOnAbort.add(finish);
      if (interruptible) this.wakeOnInterrupt.add(finish);
    });
  }

  /** Every message of a running prompt passes here: a stalled worker sends nothing. */
  private async emit(type: string, data: unknown, sid: string | null): Promise<void> {
    if (this.deps.faults.stall) await this.until(this.deps.faults.whenRunnable());
    if (this.dead) throw new Aborted();
    this.deps.hub.sendJson(type, data, sid);
  }

  private async emitBinary(frame: Buffer, sid: string | null): Promise<void> {
    if (this.deps.faults.stall) await this.until(this.deps.faults.whenRunnable());
    if (this.dead) throw new Aborted();
    this.deps.hub.sendBinary(frame, sid);
  }

  private async execute(item: QueueItem): Promise<{
    outputs: Map<string, unknown>;
    meta: Map<string, unknown>;
    status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
  }> {
    const { catalog, dirs, config, faults } = this.deps;
    const { promptId, extraData } = item;
    const prompt = item.prompt as Prompt;
    const method = extraData['preview_method'];
    const previews = (['none', 'auto', 'latent2rgb', 'taesd'].includes(method as string) ? method : config.previewMethod) !== 'none';
    this.interrupted = false;
    const rawClient = extraData['client_id'];
    // A JSON null client_id is Python's None: the prompt has no client, so progress is broadcast.
    const clientId = rawClient === undefined || rawClient === null ? null : String(rawClient);
    this.clientId = clientId;
    const messages: [string, Record<string, unknown>][] = [];
    const message = async (event: string, data: Record<string, unknown>, broadcast: boolean) => {
      const stamped = { ...data, timestamp: Date.now() };
      messages.push([event, stamped]);
      if (clientId !== null || broadcast) await this.emit(event, stamped, clientId);
    };
    await message('execution_start', { prompt_id: promptId }, false);

    const failing = faults.failNextPrompts > 0;
    if (failing) faults.failNextPrompts--;
    const keys = cacheKeys(prompt, catalog, (id) => isChanged(String(prompt[id]?.['class_type']), inputsOf(prompt, id), dirs));
    const live = new Set(keys.values());
    for (const key of this.cache.keys()) if (!live.has(key)) this.cache.delete(key);
    const cached = (id: string): CacheEntry | undefined => (failing ? undefined : this.cache.get(keys.get(id) ?? ''));
    const nodeIds = orderedKeys(prompt);
    await message('execution_cached', { nodes: nodeIds.filter((id) => cached(id) !== undefined), prompt_id: promptId }, false);

    const progress = new ProgressState(promptId, (data) => this.emit('progress_state', data, clientId));
    const isOutput = (id: string) => catalog.def(String(prompt[id]?.['class_type'])).outputNode;
    const list = new ExecutionList(prompt, (id) => cached(id) !== undefined, isOutput);
    for (const o of item.outputs) list.addNode(o);
    const hasSampler = nodeIds.some((id) => isSamplerLike(String(prompt[id]?.['class_type'])));
    const results = new Map<string, unknown[]>();
    const uiOutputs = new Map<string, { meta: Record<string, unknown>; output: Record<string, unknown> }>();
    const executed: string[] = [];
    let success = true;

    while (!list.isEmpty()) {
      const id = list.next();
      if (id === null) break;
      const node = prompt[id] as Record<string, unknown>;
      const classType = String(node['class_type']);
      const hit = cached(id);
      if (hit) {
        if (clientId !== null) {
          await this.emit('executed', { node: id, display_node: id, output: hit.ui?.output ?? null, prompt_id: promptId }, clientId);
        }
        if (hit.ui) uiOutputs.set(id, hit.ui);
        results.set(id, hit.outputs);
        await progress.finish(id);
        list.complete(id);
        continue;
      }
      await progress.start(id);
      const def = catalog.def(classType);
      const inputs: Record<string, unknown> = {};
      const nodeInputs = inputsOf(prompt, id);
      const declared = new Set(def.inputs.map((i) => i.name));
      for (const name of orderedKeys(nodeInputs)) {
        const v = nodeInputs[name];
        // Like get_input_data: links always, widget values only for declared inputs.
        if (isLink(v)) inputs[name] = (results.get(v[0]) ?? cached(v[0])?.outputs)?.[v[1]];
        else if (declared.has(name)) inputs[name] = v;
      }
      if (clientId !== null) {
        this.lastNodeId = id;
        await this.emit('executing', { node: id, display_node: id, prompt_id: promptId }, clientId);
      }
      const env: NodeEnv = {
        nodeId: id,
        def,
        dirs,
        root: dirs.root,
        nodeMs: config.nodeMs(classType, id) * config.timeScale,
        samplerSteps: config.samplerSteps,
        timeScale: config.timeScale,
        previews,
        prompt,
        extraPngInfo: extraData['extra_pnginfo'] ?? null,
        wait: (ms, interruptible) => this.wait(ms, interruptible),
        progress: (value, max, preview) => this.progress(promptId, id, value, max, previews ? preview : null, progress),
      };
      try {
        if (this.interrupted) throw new Interrupted();
        const failHere = failing && (isSamplerLike(classType) || (!hasSampler && isOutput(id)));
        if (failHere) throw new NodeFailure('Simulated failure (faults.failNextPrompts)', [FAULT_FRAME(dirs.root)]);
        const out = await runNode(classType, inputs, env);
        results.set(id, out.outputs);
        let ui: CacheEntry['ui'] = uiOutputs.get(id) ?? null;
        if (out.ui && Object.keys(out.ui).length > 0) {
          ui = { meta: { node_id: id, display_node: id, parent_node: null, real_node_id: id }, output: out.ui };
          uiOutputs.set(id, ui);
          if (clientId !== null) await this.emit('executed', { node: id, display_node: id, output: out.ui, prompt_id: promptId }, clientId);
        }
        if (!failing) this.cache.set(keys.get(id) as string, { ui, outputs: out.outputs });
      } catch (err) {
        if (err instanceof Aborted) throw err;
        success = false;
        if (err instanceof Interrupted) {
          await message('execution_interrupted', { prompt_id: promptId, node_id: id, node_type: classType, executed: [...executed] }, true);
          break;
        }
        const failure = err instanceof NodeFailure ? err : new NodeFailure(String((err as Error)?.message ?? err), []);
        const currentInputs: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(inputs)) currentInputs[name] = [formatValue(value)];
        for (const [name, kind] of Object.entries(def.hidden)) {
          if (kind === 'PROMPT') currentInputs[name] = [formatValue(prompt)];
          else if (kind === 'EXTRA_PNGINFO') currentInputs[name] = [formatValue(extraData['extra_pnginfo'] ?? null)];
          else if (kind === 'UNIQUE_ID') currentInputs[name] = [id];
        }
        await message(
          'execution_error',
          {
            prompt_id: promptId,
            node_id: id,
            node_type: classType,
            executed: [...executed],
            exception_message: `${failure.message}\n`,
            exception_type: failure.exceptionType,
            traceback: [...EXECUTION_FRAMES(dirs.root), ...failure.frames],
            current_inputs: currentInputs,
            current_outputs: nodeIds,
          },
          false,
        );
        break;
      }
      await progress.finish(id);
      executed.push(id);
      list.complete(id);
    }
    if (success) await message('execution_success', { prompt_id: promptId }, false);
    this.lastNodeId = null;
    const outputs = new Map<string, unknown>();
    const meta = new Map<string, unknown>();
    for (const [id, ui] of uiOutputs) {
      outputs.set(id, ui.output);
      meta.set(id, ui.meta);
    }
    return { outputs, meta, status: { status_str: success ? 'success' : 'error', completed: success, messages } };
  }

  /** The ProgressBar hook (main.py hijack_progress + WebUIProgressHandler). */
  private async progress(
    promptId: string,
    nodeId: string,
    value: number,
    max: number,
    preview: Preview | null,
    state: ProgressState,
  ): Promise<void> {
    if (this.interrupted) throw new Interrupted();
    const { hub } = this.deps;
    const sid = this.clientId;
    await state.update(nodeId, value, max);
    const withMetadata = hub.supports(sid, 'supports_preview_metadata');
    const image = preview ? (preview.format === 'PNG' ? encodePng(preview.image, { compressLevel: 1 }) : encodeJpeg(preview.image, 95)) : null;
    if (image && withMetadata) {
      const metadata = Buffer.from(
        dumps({
          node_id: nodeId,
          prompt_id: promptId,
          display_node_id: nodeId,
          parent_node_id: null,
          real_node_id: nodeId,
          image_type: preview?.format === 'PNG' ? 'image/png' : 'image/jpeg',
        }),
      );
      const head = Buffer.alloc(8);
      head.writeUInt32BE(4, 0);
      head.writeUInt32BE(metadata.length, 4);
      await this.emitBinary(Buffer.concat([head, metadata, image]), sid);
    }
    await this.emit('progress', { value, max, prompt_id: promptId, node: nodeId }, sid);
    if (image && !withMetadata) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(1, 0);
      head.writeUInt32BE(preview?.format === 'PNG' ? 2 : 1, 4);
      await this.emitBinary(Buffer.concat([head, image]), sid);
    }
  }
}

/** comfy_execution.progress: per node state, sent whole (non-pending nodes) on every change. */
class ProgressState {
  private readonly nodes = new Map<string, { state: 'pending' | 'running' | 'finished'; value: unknown; max: unknown }>();
  private readonly promptId: string;
  private readonly send: (data: Record<string, unknown>) => Promise<void>;

  constructor(promptId: string, send: (data: Record<string, unknown>) => Promise<void>) {
    this.promptId = promptId;
    this.send = send;
  }

  private entry(id: string) {
    let e = this.nodes.get(id);
    if (!e) {
      // Entries created implicitly hold ints (a cached node finishes as 1/1), started ones floats.
      e = { state: 'pending', value: 0, max: 1 };
      this.nodes.set(id, e);
    }
    return e;
  }

  start(id: string): Promise<void> {
    Object.assign(this.entry(id), { state: 'running', value: new PyFloat(0), max: new PyFloat(1) });
    return this.flush();
  }

  update(id: string, value: number, max: number): Promise<void> {
    Object.assign(this.entry(id), { state: 'running', value, max });
    return this.flush();
  }

  finish(id: string): Promise<void> {
    const e = this.entry(id);
    e.state = 'finished';
    e.value = e.max;
    return this.flush();
  }

  private flush(): Promise<void> {
    const nodes = new Map<string, unknown>();
    for (const [id, e] of this.nodes) {
      if (e.state === 'pending') continue;
      nodes.set(id, {
        value: e.value,
        max: e.max,
        state: e.state,
        node_id: id,
        prompt_id: this.promptId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      });
    }
    return this.send({ prompt_id: this.promptId, nodes });
  }
}
