/**
 * The /api/jobs views (comfy_execution/jobs.py): queue and history items normalised to job
 * dicts, filtered, sorted and paged exactly like ComfyUI.
 */
import type { HistoryEntry, QueueItem } from './prompt-queue.ts';
import { isPlainObject, orderedEntries, orderedObject } from './py-json.ts';
import type { ProtocolVersion } from './validation.ts';

export function jobStatuses(version: ProtocolVersion): string[] {
  const base = ['pending', 'in_progress', 'completed', 'failed'];
  return version === '0.8.0' ? base : [...base, 'cancelled'];
}

type Job = Record<string, unknown>;

function prune(entries: [string, unknown][]): Job {
  return orderedObject(entries.filter(([, v]) => v !== null && v !== undefined));
}

function workflowId(extraData: Record<string, unknown>): unknown {
  const png = extraData['extra_pnginfo'];
  const wf = isPlainObject(png) ? png['workflow'] : undefined;
  return isPlainObject(wf) ? wf['id'] : undefined;
}

function queueJob(item: QueueItem, status: string, detail: boolean, version: ProtocolVersion): Job {
  const job = prune([
    ['id', item.promptId],
    ['status', status],
    ['priority', item.number],
    ['create_time', item.extraData['create_time']],
    ['outputs_count', 0],
    ['workflow_id', workflowId(item.extraData)],
  ]);
  if (detail && version !== '0.8.0') job['workflow'] = { prompt: item.prompt, extra_data: item.extraData };
  return job;
}

const PREVIEWABLE = new Set(['images', 'video', 'audio', '3d']);

function outputsSummary(outputs: Map<string, unknown>): [number, Job | null] {
  let count = 0;
  let preview: Job | null = null;
  let fallback: Job | null = null;
  for (const [nodeId, nodeOutputs] of outputs) {
    if (!isPlainObject(nodeOutputs)) continue;
    for (const [mediaType, items] of orderedEntries(nodeOutputs)) {
      if (mediaType === 'animated' || !Array.isArray(items)) continue;
      for (const item of items) {
        if (!isPlainObject(item)) continue;
        count++;
        if (preview !== null) continue;
        const format = typeof item['format'] === 'string' ? item['format'] : '';
        if (!PREVIEWABLE.has(mediaType) && !format.startsWith('video/') && !format.startsWith('audio/')) continue;
        const enriched = orderedObject([...orderedEntries(item), ['nodeId', nodeId]]);
        if (!Object.hasOwn(item, 'mediaType')) enriched['mediaType'] = mediaType;
        if (item['type'] === 'output') preview = enriched;
        else fallback ??= enriched;
      }
    }
  }
  return [count, preview ?? fallback];
}

function historyJob(id: string, entry: HistoryEntry, detail: boolean, version: ProtocolVersion): Job {
  const [priority, , prompt, extraData] = entry.prompt as [unknown, string, unknown, Record<string, unknown>];
  let start: unknown;
  let end: unknown;
  let error: unknown;
  let interrupted = false;
  for (const [event, data] of entry.status.messages) {
    if (event === 'execution_start') start = data['timestamp'];
    else if (event === 'execution_success' || event === 'execution_error' || event === 'execution_interrupted') {
      end = data['timestamp'];
      if (event === 'execution_error') error = data;
      if (event === 'execution_interrupted') interrupted = true;
    }
  }
  let status = 'completed';
  if (entry.status.status_str === 'error') status = interrupted && version !== '0.8.0' ? 'cancelled' : 'failed';
  const [count, preview] = outputsSummary(entry.outputs);
  const job = prune([
    ['id', id],
    ['status', status],
    ['priority', priority],
    ['create_time', extraData['create_time']],
    ['execution_start_time', start],
    ['execution_end_time', end],
    ['execution_error', error],
    ['outputs_count', count],
    ['preview_output', preview],
    ['workflow_id', workflowId(extraData)],
  ]);
  if (detail) {
    job['outputs'] = entry.outputs;
    job['execution_status'] = entry.status;
    job['workflow'] = { prompt, extra_data: extraData };
  }
  return job;
}

export interface JobSources {
  running: QueueItem[];
  pending: QueueItem[];
  history: Map<string, HistoryEntry>;
  version: ProtocolVersion;
}

export function getJob(id: string, src: JobSources): Job | null {
  const entry = src.history.get(id);
  if (entry) return historyJob(id, entry, true, src.version);
  const running = src.running.find((i) => i.promptId === id);
  if (running) return queueJob(running, 'in_progress', true, src.version);
  const pending = src.pending.find((i) => i.promptId === id);
  if (pending) return queueJob(pending, 'pending', true, src.version);
  return null;
}

export type JobsQuery = { ok: true; body: Job } | { ok: false; error: string };

/** GET /api/jobs: parameter checks, filters, sort and paging, with ComfyUI's 400 texts. */
export function listJobs(query: URLSearchParams, src: JobSources): JobsQuery {
  const all = jobStatuses(src.version);
  const statusParam = query.get('status');
  const workflow = query.get('workflow_id');
  const sortBy = (query.get('sort_by') ?? 'created_at').toLowerCase();
  const sortOrder = (query.get('sort_order') ?? 'desc').toLowerCase();
  let filter = all;
  if (statusParam) {
    filter = statusParam
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s.length > 0);
    const invalid = filter.filter((s) => !all.includes(s));
    if (invalid.length > 0) return { ok: false, error: `Invalid status value(s): ${invalid.join(', ')}. Valid values: ${all.join(', ')}` };
  }
  if (sortBy !== 'created_at' && sortBy !== 'execution_duration') {
    return { ok: false, error: "sort_by must be 'created_at' or 'execution_duration'" };
  }
  if (sortOrder !== 'asc' && sortOrder !== 'desc') return { ok: false, error: "sort_order must be 'asc' or 'desc'" };
  let limit: number | null = null;
  if (query.has('limit')) {
    const n = parsePyInt(query.get('limit') ?? '');
    if (n === null) return { ok: false, error: 'limit must be an integer' };
    if (n <= 0) return { ok: false, error: 'limit must be a positive integer' };
    limit = n;
  }
  let offset = 0;
  if (query.has('offset')) {
    const n = parsePyInt(query.get('offset') ?? '');
    if (n === null) return { ok: false, error: 'offset must be an integer' };
    offset = Math.max(0, n);
  }
  let jobs: Job[] = [];
  if (filter.includes('in_progress')) for (const i of src.running) jobs.push(queueJob(i, 'in_progress', false, src.version));
  if (filter.includes('pending')) for (const i of src.pending) jobs.push(queueJob(i, 'pending', false, src.version));
  if (filter.some((s) => s === 'completed' || s === 'failed' || s === 'cancelled')) {
    for (const [id, entry] of src.history) {
      const job = historyJob(id, entry, false, src.version);
      if (filter.includes(job['status'] as string)) jobs.push(job);
    }
  }
  if (workflow) jobs = jobs.filter((j) => j['workflow_id'] === workflow);
  const key = (j: Job): number => {
    if (sortBy === 'created_at') return Number(j['create_time'] ?? 0);
    const s = Number(j['execution_start_time'] ?? 0);
    const e = Number(j['execution_end_time'] ?? 0);
    return s && e ? e - s : 0;
  };
  // Array.sort is stable like Python's sorted(); reverse=True keeps ties in their original order too.
  jobs.sort((a, b) => (sortOrder === 'desc' ? key(b) - key(a) : key(a) - key(b)));
  const total = jobs.length;
  let page = offset > 0 ? jobs.slice(offset) : jobs;
  if (limit !== null) page = page.slice(0, limit);
  return {
    ok: true,
    body: {
      jobs: page,
      pagination: { offset, limit, total, has_more: offset + page.length < total },
    },
  };
}

/** Python int() of a query string value, or null. */
export function parsePyInt(text: string): number | null {
  const t = text.trim();
  return /^[+-]?\d+(?:_\d+)*$/.test(t) ? Number(t.replaceAll('_', '')) : null;
}

