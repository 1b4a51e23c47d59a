// The harness's `app`: extension registration and hooks (B.1), the queue loop of
// app.queuePrompt → graphToPrompt → api.queuePrompt with native error handling (B.2),
// app.extensionManager (toasts, sidebar tabs, workflow) and app.menu.settingsGroup (B.7).
import { PromptExecutionError } from './api.js';

export class ComfyApp {
  #queueItems = [];
  #processingQueue = false;

  constructor(api, ui, graph, { legacy }) {
    this.api = api;
    this.ui = ui;
    this.legacy = legacy;
    this.graph = graph;
    this.extensions = [];
    /** storeJob(): what the execution store learns from a successful queuePrompt. */
    this.queuedJobs = new Map();
    this.lastNodeErrors = null;
    this.menu = { settingsGroup: { element: document.getElementById('settings-group') } };
    this.extensionManager = {
      toast: {
        add: (message) => ui.toast(message),
        remove: () => undefined,
        removeAll: () => ui.clearToasts(),
      },
      registerSidebarTab: (tab) => ui.addSidebarTab(tab),
      unregisterSidebarTab: () => undefined,
      getSidebarTabs: () => ui.sidebarTabs(),
      workflow: { activeWorkflow: { filename: graph.filename, path: `workflows/${graph.filename}` } },
      setting: { get: () => undefined, set: () => undefined },
    };
  }

  registerExtension(extension) {
    if (!extension.name) throw new Error("Extensions must have a 'name' property.");
    if (this.extensions.some((known) => known.name === extension.name)) throw new Error(`Extension named '${extension.name}' already registered.`);
    this.extensions.push(extension);
  }

  async invokeExtensionsAsync(method) {
    for (const extension of this.extensions) {
      if (typeof extension[method] !== 'function') continue;
      try {
        await extension[method](this);
      } catch (error) {
        console.error(`Error calling extension '${extension.name}' method '${method}'`, error);
      }
    }
  }

  /** B.1: list extensions, import every non-core URL relative to api_base, then the hooks. */
  async loadExtensions() {
    const urls = await this.api.getExtensions();
    await Promise.all(
      urls
        .filter((url) => !url.includes('extensions/core'))
        .map(async (url) => {
          try {
            await import(this.api.fileURL(url));
          } catch (error) {
            console.error('Error loading extension', url, error);
          }
        }),
    );
  }

  async graphToPrompt() {
    return { workflow: structuredClone(this.graph.workflow), output: structuredClone(this.graph.prompt) };
  }

  /** Like widget.beforeQueued with "randomize": every queued prompt differs, so workers never serve it from cache. */
  #beforeQueued() {
    const image = this.graph.prompt['1'];
    if (image) image.inputs.color = Math.floor(Math.random() * 0xffffff);
  }

  async queuePrompt(number, batchCount = 1, queueNodeIds) {
    this.#queueItems.push({ number, batchCount, queueNodeIds });
    this.api.dispatchCustomEvent('promptQueueing', { batchCount });
    if (this.#processingQueue) return false;
    this.#processingQueue = true;
    this.lastNodeErrors = null;
    this.ui.clearErrors();
    let queuedCount = 0;
    try {
      while (this.#queueItems.length > 0) {
        const item = this.#queueItems.pop();
        for (let i = 0; i < item.batchCount; i++) {
          this.#beforeQueued();
          const p = await this.graphToPrompt();
          try {
            const res = await this.api.queuePrompt(item.number, p, { partialExecutionTargets: item.queueNodeIds, previewMethod: 'auto' });
            this.lastNodeErrors = res.node_errors ?? null;
            if (this.lastNodeErrors && Object.keys(this.lastNodeErrors).length > 0) this.ui.showNodeErrors(this.lastNodeErrors);
            if (res.prompt_id) this.queuedJobs.set(res.prompt_id, { nodes: Object.keys(p.output), workflow: p.workflow });
            queuedCount += 1;
          } catch (error) {
            this.#promptFailed(error);
            break;
          }
        }
      }
    } finally {
      this.#processingQueue = false;
    }
    this.api.dispatchCustomEvent('promptQueued', { number, batchCount: queuedCount });
    return !this.lastNodeErrors || Object.keys(this.lastNodeErrors).length === 0;
  }

  /** B.2 step 5: newer frontends need a PromptExecutionError; older ones read `error.response` of anything. */
  #promptFailed(error) {
    const response = this.legacy ? error?.response : error instanceof PromptExecutionError ? error.response : undefined;
    if (!response) {
      this.ui.showDialog('Prompt execution failed', String(error?.message ?? error));
      return;
    }
    if (response.error?.type === 'missing_node_type') {
      this.ui.showDialog('Missing node types', response.error.message);
      return;
    }
    this.lastNodeErrors = response.node_errors ?? null;
    if (this.lastNodeErrors && Object.keys(this.lastNodeErrors).length > 0) this.ui.showNodeErrors(this.lastNodeErrors);
    const message = typeof response.error === 'object' ? `${response.error.message}\n${response.error.details ?? ''}` : String(response.error);
    this.ui.showDialog(error?.status ? `Prompt rejected (${error.status})` : 'Prompt rejected', message.trim());
  }
}
