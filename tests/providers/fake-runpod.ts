/**
 * A local stand-in for a RunPod serverless endpoint running runpod-workers/worker-comfyui,
 * written from RunPod's queue-endpoint docs and the worker's README/handler:
 * POST /v2/<endpoint>/run {input} → {id, status: IN_QUEUE}; GET /status/<id> →
 * {id, status, delayTime, executionTime, output | error}; POST /cancel/<id>; GET /health;
 * `Authorization: Bearer <key>`. Behind it, like the real worker, a ComfyUI (the simulator):
 * input images are uploaded under their `name`, the workflow is queued, the outputs come
 * back as `{images: [{filename, type: "base64" | "s3_url", data}]}`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen, readJson, sendJson, sendText } from './fake-http.ts';
import type { RecordedRequest } from './fake-verda.ts';

export interface FakeRunpodOptions {
  apiKey: string;
  endpointId: string;
  /** The ComfyUI the "worker" drives. */
  comfyUrl: string;
  /** base64 (default) or s3_url: outputs uploaded to a bucket (served by this fake) and returned as URLs. */
  outputStyle?: 'base64' | 's3_url';
}

export interface FakeJob {
  id: string;
  input: Record<string, unknown>;
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';
  output?: unknown;
  error?: string;
  promptId?: string;
}

export interface FakeRunpod {
  /** The API base, like https://api.runpod.ai/v2 */
  url: string;
  requests: RecordedRequest[];
  jobs: Map<string, FakeJob>;
  /** Every status answered, in order. */
  statuses: string[];
  /** The next N status polls answer 503, as during a RunPod API hiccup. */
  failStatusPolls: number;
  close(): Promise<void>;
}

export async function startFakeRunpod(options: FakeRunpodOptions): Promise<FakeRunpod> {
  const jobs = new Map<string, FakeJob>();
  const bucket = new Map<string, Buffer>();
  const requests: RecordedRequest[] = [];
  const statuses: string[] = [];
  const comfy = options.comfyUrl;
  let origin = '';

  /** What worker-comfyui's handler does for one job, against the ComfyUI behind it. */
  const handle = async (job: FakeJob): Promise<void> => {
    const fail = (error: string): void => {
      if (job.status !== 'IN_PROGRESS') return;
      job.status = 'FAILED';
      job.error = error;
    };
    const workflow = job.input['workflow'];
    if (!workflow || typeof workflow !== 'object') return fail("Missing 'workflow' parameter");
    const images = Array.isArray(job.input['images']) ? (job.input['images'] as { name: string; image: string }[]) : [];
    for (const image of images) {
      const data = image.image.includes(',') ? image.image.slice(image.image.indexOf(',') + 1) : image.image;
      const form = new FormData();
      form.append('image', new Blob([Buffer.from(data, 'base64')], { type: 'image/png' }), image.name);
      form.append('overwrite', 'true');
      const upload = await fetch(`${comfy}/upload/image`, { method: 'POST', body: form });
      if (!upload.ok) return fail(`Failed to upload one or more input images: Error uploading ${image.name}: ${upload.status}`);
    }
    const queued = await fetch(`${comfy}/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt: workflow, client_id: randomUUID() }) });
    if (!queued.ok) return fail(`Workflow validation failed: ${await queued.text()}`);
    job.promptId = ((await queued.json()) as { prompt_id: string }).prompt_id;
    type Entry = { status?: { status_str: string; completed: boolean; messages: [string, Record<string, unknown>][] }; outputs?: Record<string, { images?: { filename: string; subfolder: string; type: string }[] }> };
    let entry: Entry | undefined;
    while (job.status === 'IN_PROGRESS') {
      const history = (await (await fetch(`${comfy}/history/${job.promptId}`)).json()) as Record<string, Entry>;
      entry = history[job.promptId];
      if (entry?.status && (entry.status.completed || entry.status.status_str === 'error')) break;
      await sleep(10);
    }
    if (job.status !== 'IN_PROGRESS' || !entry?.status) return;
    if (entry.status.status_str === 'error') {
      const error = entry.status.messages.find(([type]) => type === 'execution_error')?.[1] ?? {};
      return fail(`Workflow execution error: Node Type: ${error['node_type']}, Node ID: ${error['node_id']}, Message: ${error['exception_message']}`);
    }
    const files: { filename: string; type: string; data: string }[] = [];
    for (const output of Object.values(entry.outputs ?? {})) {
      for (const image of output.images ?? []) {
        if (image.type === 'temp') continue;
        const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
        const bytes = Buffer.from(await (await fetch(`${comfy}/view?${query}`)).arrayBuffer());
        if (options.outputStyle === 's3_url') {
          const key = `${job.id}/${image.filename}`;
          bucket.set(key, bytes);
          files.push({ filename: image.filename, type: 's3_url', data: `${origin}/bucket/${key}?X-Amz-Signature=fake` });
        } else {
          files.push({ filename: image.filename, type: 'base64', data: bytes.toString('base64') });
        }
      }
    }
    if (job.status !== 'IN_PROGRESS') return;
    job.status = 'COMPLETED';
    job.output = files.length > 0 ? { images: files } : { status: 'success_no_images', images: [] };
  };

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    requests.push({ method: req.method ?? '', path: url.pathname, body });

    const object = /^\/bucket\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && object) {
      const bytes = bucket.get(decodeURIComponent(object[1]!));
      if (!bytes) return sendText(res, 404, 'NoSuchKey');
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': bytes.length });
      res.end(bytes);
      return;
    }
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) return sendText(res, 401, 'Unauthorized');
    const route = /^\/v2\/([^/]+)\/(run|status|cancel|health)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    const [, endpoint, operation, id] = route;
    if (endpoint !== options.endpointId) return sendJson(res, 404, { error: `endpoint ${endpoint} not found` });

    if (req.method === 'POST' && operation === 'run' && !id) {
      const input = (body as { input?: unknown } | undefined)?.input;
      if (!input || typeof input !== 'object') return sendJson(res, 400, { error: 'input is required' });
      const job: FakeJob = { id: `${randomUUID()}-e1`, input: input as Record<string, unknown>, status: 'IN_QUEUE' };
      jobs.set(job.id, job);
      return sendJson(res, 200, { id: job.id, status: job.status });
    }
    if (req.method === 'GET' && operation === 'health' && !id) {
      const running = [...jobs.values()].filter((job) => job.status === 'IN_PROGRESS').length;
      return sendJson(res, 200, { jobs: { completed: 0, failed: 0, inProgress: running, inQueue: 0, retried: 0 }, workers: { idle: 1, running } });
    }
    const job = id ? jobs.get(id) : undefined;
    if (!job) return sendJson(res, 404, { error: `job ${id} not found` });
    if (req.method === 'GET' && operation === 'status') {
      if (fake.failStatusPolls > 0) {
        fake.failStatusPolls -= 1;
        return sendJson(res, 503, { error: 'upstream connect error' });
      }
      statuses.push(job.status);
      const answer = { id: job.id, status: job.status, delayTime: 120, workerId: 'worker-1', ...(job.output === undefined ? {} : { output: job.output, executionTime: 900 }), ...(job.error ? { error: job.error } : {}) };
      sendJson(res, 200, answer);
      // A worker picks the job up after the first look, as RunPod's queue does.
      if (job.status === 'IN_QUEUE') {
        job.status = 'IN_PROGRESS';
        void handle(job).catch((error: unknown) => {
          job.status = 'FAILED';
          job.error = `An unexpected error occurred: ${String(error)}`;
        });
      }
      return;
    }
    if (req.method === 'POST' && operation === 'cancel') {
      if (job.status === 'IN_QUEUE' || job.status === 'IN_PROGRESS') {
        job.status = 'CANCELLED';
        if (job.promptId) await fetch(`${comfy}/interrupt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt_id: job.promptId }) });
      }
      return sendJson(res, 200, { id: job.id, status: job.status });
    }
    return sendJson(res, 405, { error: `${req.method} not allowed on ${operation}` });
  });
  origin = server.origin;
  const fake: FakeRunpod = { url: `${server.origin}/v2`, requests, jobs, statuses, failStatusPolls: 0, close: server.close };
  return fake;
}
