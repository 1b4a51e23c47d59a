// What the native ComfyUI does with each api event (COMFYUI_PROTOCOL.md B.4), imitated in
// plain DOM so tests can observe it: node highlight and bars from progress_state, the
// current-node bar from progress, previews from b_preview_with_metadata, outputs from
// executed drawn as <img src=api.apiURL('/view?…')>, run state, error dialog, queue panel.

const $ = (selector) => document.querySelector(selector);

export class NativeUi {
  #tabs = [];
  #openTab = null;
  #disposeTab = null;

  constructor(api) {
    this.api = api;
    /** executionStore.activeJobId */
    this.activeJobId = null;
    /** Every run state change as "state:jobId", for tests that must not miss a short one. */
    this.runLog = [];
  }

  renderGraph(prompt) {
    const graph = $('#graph');
    graph.replaceChildren();
    for (const [id, node] of Object.entries(prompt)) {
      const box = document.createElement('div');
      box.className = 'node';
      box.dataset.nodeId = id;
      box.dataset.execState = 'idle';
      box.innerHTML = '<b class="node-title"></b><div class="node-bar"></div><img class="node-preview" hidden alt="preview"><div class="node-outputs"></div><div class="node-error"></div>';
      box.querySelector('.node-title').textContent = `#${id} ${node._meta?.title ?? node.class_type}`;
      graph.append(box);
    }
  }

  /** nodeLocationProgressStates: a display id resolves against the shown graph, subgraph ids by their first segment. */
  node(id) {
    if (id === null || id === undefined) return null;
    return document.querySelector(`.node[data-node-id="${CSS.escape(String(id))}"]`) ?? document.querySelector(`.node[data-node-id="${CSS.escape(String(id).split(':')[0])}"]`);
  }

  #setRunState(state, jobId) {
    const el = $('#run-state');
    el.dataset.state = state;
    el.textContent = state;
    $('#active-job').textContent = jobId ?? '';
    this.runLog.push(`${state}:${jobId ?? ''}`);
  }

  listen() {
    const api = this.api;
    api.addEventListener('status', (event) => {
      $('#queue-remaining').textContent = event.detail ? String(event.detail.exec_info.queue_remaining) : '';
      // GraphView.vue: status → queueStore.update()
      this.updateQueue();
    });
    api.addEventListener('execution_start', (event) => {
      this.activeJobId = event.detail.prompt_id;
      for (const node of document.querySelectorAll('.node')) {
        node.dataset.execState = 'pending';
        node.querySelector('.node-bar').style.width = '0';
      }
      this.#setRunState('running', this.activeJobId);
    });
    api.addEventListener('executing', (event) => {
      // Newer frontends gate `executing` on the raw message: a stale one for another job is dropped.
      const raw = api.lastExecutingMessage;
      if (raw?.prompt_id && this.activeJobId && raw.prompt_id !== this.activeJobId) return;
      $('#executing-node').textContent = event.detail ?? '';
      if (event.detail === null) {
        this.activeJobId = null;
        if ($('#run-state').dataset.state === 'running') this.#setRunState('idle', null);
      }
    });
    api.addEventListener('progress', (event) => {
      $('#current-node-progress').textContent = `${event.detail.value}/${event.detail.max}`;
    });
    api.addEventListener('progress_state', (event) => {
      for (const state of Object.values(event.detail.nodes)) {
        const node = this.node(state.display_node_id ?? state.node_id);
        if (!node) continue;
        node.dataset.execState = state.state;
        node.querySelector('.node-bar').style.width = `${Math.round((100 * state.value) / Math.max(1, state.max))}%`;
      }
    });
    api.addEventListener('b_preview_with_metadata', (event) => {
      const node = this.node(event.detail.displayNodeId);
      if (!node) return;
      const img = node.querySelector('.node-preview');
      img.src = URL.createObjectURL(event.detail.blob);
      img.hidden = false;
      img.dataset.jobId = event.detail.jobId ?? '';
    });
    api.addEventListener('executed', (event) => {
      const node = this.node(event.detail.display_node ?? event.detail.node);
      if (!node) return;
      const outputs = node.querySelector('.node-outputs');
      outputs.replaceChildren();
      for (const image of event.detail.output?.images ?? []) {
        const img = document.createElement('img');
        img.className = 'node-output';
        img.alt = image.filename;
        img.src = api.apiURL(`/view?${new URLSearchParams(image)}&rand=${Math.random()}`);
        outputs.append(img);
      }
    });
    api.addEventListener('execution_success', (event) => {
      this.#finish('success', event.detail.prompt_id);
      this.updateQueue();
    });
    api.addEventListener('execution_interrupted', (event) => this.#finish('interrupted', event.detail.prompt_id));
    api.addEventListener('execution_error', (event) => {
      this.#finish('error', event.detail.prompt_id);
      const node = this.node(event.detail.node_id);
      if (node) node.dataset.error = 'true';
      this.showDialog(`Error: ${event.detail.exception_type}`, event.detail.exception_message);
    });
    api.addEventListener('reconnected', () => this.updateQueue());
    $('#error-dialog .close').addEventListener('click', () => {
      $('#error-dialog').hidden = true;
    });
  }

  #finish(state, jobId) {
    this.#setRunState(state, jobId);
    if (this.activeJobId === jobId) this.activeJobId = null;
  }

  /** queueStore.update(): getQueue + getHistory, shown as plain lists. */
  async updateQueue() {
    const [queue, history] = await Promise.all([this.api.getQueue(), this.api.getHistory(20)]);
    const item = (entry) => {
      const li = document.createElement('li');
      const jobsApi = typeof entry.id === 'string';
      li.dataset.id = jobsApi ? entry.id : entry.prompt[1];
      li.dataset.status = jobsApi ? entry.status : entry.taskType;
      li.textContent = `${li.dataset.id} ${li.dataset.status}`;
      return li;
    };
    $('#queue-running').replaceChildren(...queue.Running.map(item));
    $('#queue-pending').replaceChildren(...queue.Pending.map(item));
    $('#queue-history').replaceChildren(...(Array.isArray(history) ? history : history.History).map(item));
  }

  clearErrors() {
    for (const node of document.querySelectorAll('.node')) {
      delete node.dataset.error;
      node.querySelector('.node-error').textContent = '';
    }
    $('#error-dialog').hidden = true;
  }

  showNodeErrors(nodeErrors) {
    for (const [id, entry] of Object.entries(nodeErrors)) {
      const node = this.node(id);
      if (!node) continue;
      node.dataset.error = 'true';
      node.querySelector('.node-error').textContent = entry.errors.map((error) => `${error.message}: ${error.details}`).join('\n');
    }
  }

  showDialog(title, message) {
    const dialog = $('#error-dialog');
    dialog.querySelector('.title').textContent = title;
    dialog.querySelector('.message').textContent = message;
    dialog.hidden = false;
  }

  toast(message) {
    const el = document.createElement('div');
    el.className = 'toast';
    el.dataset.severity = message.severity ?? 'info';
    el.textContent = `${message.summary ?? ''}: ${message.detail ?? ''}`;
    $('#toasts').append(el);
  }

  clearToasts() {
    $('#toasts').replaceChildren();
  }

  /** workspaceStore.registerSidebarTab: a button; the panel renders the tab (type 'custom') when opened. */
  addSidebarTab(tab) {
    if (this.#tabs.some((known) => known.id === tab.id)) throw new Error(`Sidebar tab ${tab.id} already registered`);
    this.#tabs.push(tab);
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.tabId = tab.id;
    button.title = tab.tooltip ?? tab.title;
    button.textContent = tab.title;
    button.addEventListener('click', () => this.toggleTab(tab.id));
    $('#sidebar-tabs').append(button);
  }

  sidebarTabs() {
    return [...this.#tabs];
  }

  /** Like the real sidebar: the panel element is created on open and destroyed on close. */
  toggleTab(id) {
    const panel = $('#sidebar-panel');
    this.#disposeTab?.();
    this.#disposeTab = null;
    panel.replaceChildren();
    if (this.#openTab === id) {
      this.#openTab = null;
      panel.hidden = true;
      return;
    }
    const tab = this.#tabs.find((known) => known.id === id);
    this.#openTab = id;
    panel.hidden = false;
    const container = document.createElement('div');
    container.className = 'sidebar-content';
    container.dataset.tabId = id;
    panel.append(container);
    tab.render(container);
    this.#disposeTab = () => tab.destroy?.();
  }
}
