// The harness's `api`: ComfyUI frontend's ComfyApi surface (COMFYUI_PROTOCOL.md B.3, B.5, B.8)
// with the real method names, URLs and event shapes. Two generations: the jobs-API one
// (≥ 1.38.3: /api/jobs, getJobDetail, cancelJob(s), lastExecutingMessage) and a legacy one
// (/api/queue + /api/history, no PromptExecutionError) selected with ?frontend=legacy.

export class PromptExecutionError extends Error {
  constructor(response, status) {
    super('Prompt execution failed');
    this.response = response;
    this.status = status;
  }

  toString() {
    const error = this.response?.error;
    return typeof error === 'object' ? `${error.type}: ${error.message}` : String(error);
  }
}

export class UnauthorizedError extends Error {}

export class ComfyApi extends EventTarget {
  constructor() {
    super();
    this.api_host = location.host;
    // B.8: the page path minus its last segment, so /user/user01/ → /user/user01.
    this.api_base = location.pathname.split('/').slice(0, -1).join('/');
    this.initialClientId = sessionStorage.getItem('clientId');
    this.clientId = undefined;
    this.user = localStorage.getItem('Comfy.userId') ?? '';
    this.socket = null;
    this.serverFeatureFlags = {};
    this.reportedUnknownMessageTypes = new Set();
  }

  internalURL(route) {
    return `${this.api_base}/internal${route}`;
  }

  apiURL(route) {
    return route.startsWith('/api') ? this.api_base + route : `${this.api_base}/api${route}`;
  }

  fileURL(route) {
    return this.api_base + route;
  }

  fetchApi(route, options = {}) {
    const headers = new Headers(options.headers ?? {});
    if (this.user) headers.set('Comfy-User', this.user);
    return fetch(this.apiURL(route), { cache: 'no-cache', ...options, headers });
  }

  dispatchCustomEvent(type, detail) {
    const event = detail === undefined ? new CustomEvent(type) : new CustomEvent(type, { detail });
    return super.dispatchEvent(event);
  }

  async getExtensions() {
    return (await this.fetchApi('/extensions', { cache: 'no-store' })).json();
  }

  /** B.2: the request the frontend sends to the UI host (what the extension replaces). */
  async queuePrompt(number, { output, workflow }, options) {
    const body = {
      client_id: this.clientId ?? '',
      prompt: output,
      ...(options?.partialExecutionTargets ? { partial_execution_targets: options.partialExecutionTargets } : {}),
      extra_data: {
        auth_token_comfy_org: this.authToken,
        api_key_comfy_org: this.apiKey,
        comfy_usage_source: 'comfyui-frontend',
        extra_pnginfo: { workflow },
        ...(options?.previewMethod && options.previewMethod !== 'default' ? { preview_method: options.previewMethod } : {}),
      },
    };
    if (number === -1) body.front = true;
    else if (number !== 0) body.number = number;
    const res = await this.fetchApi('/prompt', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 200) {
      let response;
      try {
        response = await res.json();
      } catch {
        response = { error: { type: 'error', message: res.statusText, details: '', extra_info: {} }, node_errors: {} };
      }
      throw this.promptError(response, res.status);
    }
    return res.json();
  }

  promptError(response, status) {
    return new PromptExecutionError(response, status);
  }

  async interrupt(runningJobId) {
    await this.#post('/interrupt', runningJobId ? { prompt_id: runningJobId } : undefined);
  }

  async deleteItem(type, id) {
    await this.#post(`/${type}`, { delete: [id] });
  }

  async clearItems(type) {
    await this.#post(`/${type}`, { clear: true });
  }

  async #post(route, body) {
    await this.fetchApi(route, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  init() {
    this.createSocket(false);
  }

  createSocket(isReconnect) {
    if (this.socket) return;
    let opened = false;
    const clientId = window.name || this.initialClientId;
    const protocol = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${protocol}://${this.api_host}${this.api_base}/ws${clientId ? `?clientId=${clientId}` : ''}`);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('open', () => {
      opened = true;
      socket.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      if (isReconnect) this.dispatchCustomEvent('reconnected');
    });
    socket.addEventListener('close', () => {
      setTimeout(() => {
        this.socket = null;
        this.createSocket(true);
      }, 300);
      if (opened) {
        this.dispatchCustomEvent('status', null);
        this.dispatchCustomEvent('reconnecting');
      }
    });
    socket.addEventListener('message', (event) => this.#onMessage(event.data));
  }

  #onMessage(data) {
    if (data instanceof ArrayBuffer) {
      const view = new DataView(data);
      const type = view.getUint32(0);
      if (type === 1) {
        const blob = new Blob([data.slice(8)], { type: view.getUint32(4) === 2 ? 'image/png' : 'image/jpeg' });
        this.dispatchCustomEvent('b_preview', blob);
      } else if (type === 4) {
        const length = view.getUint32(4);
        const meta = JSON.parse(new TextDecoder().decode(data.slice(8, 8 + length)));
        const blob = new Blob([data.slice(8 + length)], { type: meta.image_type });
        this.dispatchCustomEvent('b_preview_with_metadata', {
          blob,
          nodeId: meta.node_id,
          displayNodeId: meta.display_node_id,
          parentNodeId: meta.parent_node_id,
          realNodeId: meta.real_node_id,
          jobId: meta.prompt_id,
        });
        this.dispatchCustomEvent('b_preview', blob);
      }
      return;
    }
    const message = JSON.parse(data);
    switch (message.type) {
      case 'status':
        if (message.data.sid) {
          this.clientId = message.data.sid;
          window.name = message.data.sid;
          sessionStorage.setItem('clientId', message.data.sid);
        }
        this.dispatchCustomEvent('status', message.data.status ?? null);
        break;
      case 'executing':
        this.recordExecuting(message.data);
        this.dispatchCustomEvent('executing', message.data.display_node || message.data.node);
        break;
      case 'feature_flags':
        this.serverFeatureFlags = message.data;
        this.dispatchCustomEvent('feature_flags', message.data);
        break;
      default:
        this.dispatchCustomEvent(message.type, message.data);
    }
  }

  recordExecuting(_message) {}
}

/** A frontend ≥ 1.38.3: queue and history from /api/jobs, job details, job cancel endpoints. */
export class JobsComfyApi extends ComfyApi {
  constructor() {
    super();
    this.lastExecutingMessage = null;
  }

  recordExecuting(message) {
    this.lastExecutingMessage = message;
  }

  async #jobs(query) {
    const res = await this.fetchApi(`/jobs?${query}`);
    if (!res.ok) throw new Error(`GET /api/jobs answered ${res.status}`);
    return (await res.json()).jobs;
  }

  async getQueue(options) {
    try {
      const jobs = await this.#jobs('status=in_progress,pending&limit=200&offset=0');
      return { Running: jobs.filter((job) => job.status === 'in_progress'), Pending: jobs.filter((job) => job.status === 'pending') };
    } catch (error) {
      if (options?.throwOnError) throw error;
      return { Running: [], Pending: [] };
    }
  }

  async getHistory(maxItems = 200, options) {
    try {
      return await this.#jobs(`status=completed,failed,cancelled&limit=${maxItems}&offset=${options?.offset ?? 0}`);
    } catch {
      return [];
    }
  }

  async getJobDetail(id) {
    const res = await this.fetchApi(`/jobs/${encodeURIComponent(id)}`);
    return res.ok ? res.json() : undefined;
  }

  async cancelJob(id) {
    await this.fetchApi(`/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  }

  async cancelJobs(ids) {
    await this.fetchApi('/jobs/cancel', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ job_ids: ids }) });
  }
}

/** A frontend before 1.38.3 (and before 1.15.4's PromptExecutionError): task-item queue and history. */
export class LegacyComfyApi extends ComfyApi {
  promptError(response, status) {
    const error = new Error(response?.error?.message ?? 'Prompt execution failed');
    error.response = response;
    error.status = status;
    return error;
  }

  async getQueue() {
    const data = await (await this.fetchApi('/queue')).json();
    return {
      Running: data.queue_running.map((prompt) => ({ taskType: 'Running', prompt, remove: { name: 'Cancel', cb: () => this.interrupt() } })),
      Pending: data.queue_pending.map((prompt) => ({ taskType: 'Pending', prompt })),
    };
  }

  async getHistory(maxItems = 200) {
    const data = await (await this.fetchApi(`/history?max_items=${maxItems}`)).json();
    return { History: Object.values(data).map((item) => ({ ...item, taskType: 'History' })) };
  }
}
