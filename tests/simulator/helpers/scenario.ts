/**
 * Replays a recorded ComfyUI 0.8.0 scenario against a simulator: the same sockets (client ids,
 * feature flags), the same HTTP requests in the same order, each sent once the clients have
 * received as many frames as they had in the recording when it was sent. Returns every
 * difference between what the real server did and what the simulator does.
 */
import { readFileSync } from 'node:fs';
import { parseJson, dumps, isPlainObject } from '../../../lib/simulator/py-json.ts';
import type { SimulatorHandle } from '../../../lib/simulator/index.ts';
import { IdMap, type NormalizeContext, normalize } from './normalize.ts';
import { type Frame, RecordingClient, sniffMime } from './ws-recorder.ts';

const FIXTURES = new URL('../../fixtures/comfyui-0.8.0/scenarios/', import.meta.url);

type Entry = Record<string, unknown> & { t_ms: number; event: string; client?: string };

export interface Scenario {
  name: string;
  timeline: Entry[];
}

export function loadScenario(name: string): Scenario {
  const data = parseJson(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Record<string, unknown>;
  return { name, timeline: data['timeline'] as Entry[] };
}

export interface ReplayOptions {
  timeScale: number;
  /** Steps may be cut short or added by timing (interrupt, reconnect): compare runs of identical step frames as one. */
  timingSensitive?: boolean;
}

/** Responses whose values depend on the host: compare their types only. */
const SHAPE_ONLY_PATHS: Record<string, Set<string> | 'all'> = {
  '/system_stats': new Set(['ram_total', 'ram_free', 'vram_total', 'vram_free', 'torch_vram_total', 'torch_vram_free', 'python_version', 'pytorch_version', 'argv']),
  '/extensions': 'all',
  '/internal/folder_paths': 'all',
};

function buildBody(request: Record<string, unknown>, ids: IdMap): string | Buffer | undefined {
  const body = request['body'];
  if (body === undefined) return undefined;
  if (isPlainObject(body) && typeof body['raw_text'] === 'string') return body['raw_text'];
  if (isPlainObject(body) && Array.isArray(body['multipart'])) {
    const headers = request['headers'] as Record<string, string>;
    const boundary = /boundary=(.+)$/.exec(headers['Content-Type'] ?? '')?.[1] ?? 'x';
    const parts: Buffer[] = [];
    for (const part of body['multipart'] as Record<string, unknown>[]) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part['name']}"`;
      if (typeof part['filename'] === 'string') head += `; filename="${part['filename']}"\r\nContent-Type: ${part['content_type']}`;
      parts.push(Buffer.from(`${head}\r\n\r\n`));
      parts.push(typeof part['base64'] === 'string' ? Buffer.from(part['base64'], 'base64') : Buffer.from(String(part['value'])));
      parts.push(Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return Buffer.concat(parts);
  }
  return dumps(ids.rewriteValue(body));
}

function toBodyInit(body: string | Buffer | undefined): string | Uint8Array<ArrayBuffer> | undefined {
  return Buffer.isBuffer(body) ? new Uint8Array(body) : body;
}

interface HttpResult {
  status: number;
  contentType: string | null;
  disposition: string | null;
  body: Buffer;
}

async function send(sim: SimulatorHandle, request: Record<string, unknown>, ids: IdMap): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request['headers'] as Record<string, string>)) {
    if (k !== 'Host' && k !== 'Content-Length') headers[k] = ids.rewrite(String(v));
  }
  const res = await fetch(`${sim.url}${ids.rewrite(String(request['path']))}`, {
    method: String(request['method']),
    headers,
    body: toBodyInit(buildBody(request, ids)),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    disposition: res.headers.get('content-disposition'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

function compareHttp(entry: Entry, actual: HttpResult, ids: IdMap, root: string): string[] {
  const request = entry['request'] as Record<string, unknown>;
  const response = entry['response'] as Record<string, unknown>;
  const recHeaders = response['headers'] as Record<string, string>;
  const where = `${request['method']} ${request['path']}${entry['label'] ? ` (${entry['label']})` : ''}`;
  const problems: string[] = [];
  if (actual.status !== response['status']) problems.push(`${where}: status ${actual.status}, recorded ${response['status']}`);
  const recType = recHeaders['Content-Type'] ?? null;
  if (actual.contentType !== recType) problems.push(`${where}: content-type ${actual.contentType}, recorded ${recType}`);
  if ((recHeaders['Content-Disposition'] ?? null) !== actual.disposition) {
    problems.push(`${where}: content-disposition ${actual.disposition}, recorded ${recHeaders['Content-Disposition']}`);
  }
  const body = response['body'];
  if (body === undefined) {
    if (actual.body.length !== 0) problems.push(`${where}: body of ${actual.body.length} bytes, recorded empty`);
    return problems;
  }
  if (isPlainObject(body) && typeof body['text'] === 'string' && Object.keys(body).length === 1) {
    const text = actual.body.toString('utf8').replaceAll(root, '<comfyui>');
    if (text !== body['text']) problems.push(`${where}: text ${JSON.stringify(text)}, recorded ${JSON.stringify(body['text'])}`);
    return problems;
  }
  if (isPlainObject(body) && 'byte_length' in body && isPlainObject(body['image'])) {
    const mime = sniffMime(actual.body);
    if (mime !== body['image']['mime']) problems.push(`${where}: image ${mime}, recorded ${body['image']['mime']}`);
    return problems;
  }
  const raw = actual.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = parseJson(raw);
  } catch {
    return [...problems, `${where}: body is not JSON: ${raw.slice(0, 200)}`];
  }
  if (dumps(parsed) !== raw) problems.push(`${where}: body not in Python json.dumps format: ${raw.slice(0, 200)}`);
  const path = String(request['path']).split('?')[0] as string;
  const shape = SHAPE_ONLY_PATHS[path.replace(/^\/api/, '')];
  const ctx = (side: 'recorded' | 'actual'): NormalizeContext => ({
    ids,
    side,
    root,
    shapeOnly: shape === 'all',
    shapeOnlyKeys: shape instanceof Set ? shape : undefined,
  });
  const expected = normalize(body, ctx('recorded'));
  const got = normalize(parsed, ctx('actual'));
  if (expected !== got) problems.push(`${where}: body differs\n  recorded: ${expected}\n  simulator: ${got}`);
  return problems;
}

/** A comparable text per frame; status frames go to their own stream (their position jitters, see README). */
function frameText(frame: Frame, ctx: NormalizeContext, timing: boolean): { status: boolean; text: string } {
  if (frame.kind === 'binary') {
    const header = frame.eventType === 4 ? { metadata: frame.header['metadata'] } : { image_format: frame.header['image_format'] };
    return { status: false, text: `BINARY ${frame.eventType} ${normalize(header, ctx)} ${frame.mime}` };
  }
  const value = timing ? stepless(frame.value) : frame.value;
  return { status: value['type'] === 'status', text: normalize(value, ctx) };
}

/** Hides step numbers so runs of step frames can be collapsed. */
function stepless(value: Record<string, unknown>): Record<string, unknown> {
  const data = value['data'];
  if (!isPlainObject(data)) return value;
  if (value['type'] === 'progress') return { ...value, data: { ...data, value: '<step>' } };
  if (value['type'] === 'progress_state' && isPlainObject(data['nodes'])) {
    const nodes: Record<string, unknown> = {};
    for (const [id, n] of Object.entries(data['nodes'])) {
      nodes[id] = isPlainObject(n) && n['state'] === 'running' && Number(n['max']) > 1 ? { ...n, value: '<step>' } : n;
    }
    return { ...value, data: { ...data, nodes } };
  }
  return value;
}

/** Removes a block that repeats the block right before it (periods 3, 2, 1). */
export function collapseRepeats(list: string[]): string[] {
  const out = [...list];
  for (const k of [3, 2, 1]) {
    let i = k;
    while (i + k <= out.length) {
      if (out.slice(i, i + k).every((v, j) => v === out[i - k + j])) out.splice(i, k);
      else i++;
    }
  }
  return out;
}

function recordedFrame(entry: Entry): Frame {
  const f = entry['frame'] as Record<string, unknown>;
  if (f['binary'] === true) {
    const image = f['payload_image'] as Record<string, unknown>;
    return { kind: 'binary', eventType: Number(f['event_type']), header: f['header'] as Record<string, unknown>, mime: String(image['mime']), payload: Buffer.alloc(0) };
  }
  return { kind: 'json', value: f, raw: '' };
}

function compareFrames(role: string, recorded: Frame[], actual: Frame[], ids: IdMap, root: string, timing: boolean): string[] {
  const streams = (frames: Frame[], side: 'recorded' | 'actual') => {
    const ctx: NormalizeContext = { ids, side, root };
    const status: string[] = [];
    const other: string[] = [];
    for (const f of frames) {
      const { status: isStatus, text } = frameText(f, ctx, timing);
      (isStatus ? status : other).push(text);
    }
    return { status, other: timing ? collapseRepeats(other) : other };
  };
  const a = streams(recorded, 'recorded');
  const b = streams(actual, 'actual');
  const problems: string[] = [];
  const diff = (label: string, x: string[], y: string[]) => {
    const n = Math.max(x.length, y.length);
    for (let i = 0; i < n; i++) {
      if (x[i] !== y[i]) {
        problems.push(`${role} ${label} frame ${i} (of ${x.length} recorded, ${y.length} simulated)\n  recorded: ${x[i]}\n  simulator: ${y[i]}`);
        return;
      }
    }
  };
  diff('status', a.status, b.status);
  diff('message', a.other, b.other);
  for (const f of actual) {
    if (f.kind === 'binary' && f.rawMetadata !== undefined) {
      if (dumps(f.header['metadata']) !== f.rawMetadata) problems.push(`${role}: preview metadata not in json.dumps format: ${f.rawMetadata}`);
      if (Buffer.byteLength(f.rawMetadata) !== f.header['metadata_length']) problems.push(`${role}: preview metadata length field is wrong`);
    }
  }
  return problems;
}

/** Frames the worker thread produces (the ones a stalled simulator holds back). */
function isWorkerFrame(entry: Entry): boolean {
  const frame = entry['frame'] as Record<string, unknown>;
  if (frame['binary'] === true) return true;
  const data = frame['data'];
  if (frame['type'] === 'status' || frame['type'] === 'feature_flags') return false;
  // The reconnect replay `executing {node}` comes from the socket handler, not the worker.
  return !(frame['type'] === 'executing' && isPlainObject(data) && !Object.hasOwn(data, 'prompt_id'));
}

/**
 * What the recording shows between an action and the next one: per client, how many server
 * replies (status, feature_flags, replay) came before the first worker frame, and whether the
 * worker spoke at all.
 */
function afterAction(timeline: Entry[], index: number): { replies: Map<string, number>; workerSpeaks: boolean } {
  const replies = new Map<string, number>();
  for (let j = index + 1; j < timeline.length; j++) {
    const e = timeline[j] as Entry;
    if (['ws_connect', 'send', 'http', 'ws_close'].includes(e.event)) return { replies, workerSpeaks: false };
    if (e.event !== 'recv' || !e.client) continue;
    if (isWorkerFrame(e)) return { replies, workerSpeaks: true };
    replies.set(e.client, (replies.get(e.client) ?? 0) + 1);
  }
  return { replies, workerSpeaks: true };
}

/** Replays one scenario; returns the differences (empty when the simulator matches the recording). */
export async function replayScenario(sim: SimulatorHandle, scenario: Scenario, ids: IdMap, options: ReplayOptions): Promise<string[]> {
  const { timeline } = scenario;
  const clients = new Map<string, RecordingClient>();
  const recorded = new Map<string, Frame[]>();
  const problems: string[] = [];
  const wsBase = sim.url.replace(/^http/, 'ws');
  for (let index = 0; index < timeline.length; index++) {
    const entry = timeline[index] as Entry;
    const role = entry.client;
    if (entry.event === 'recv' && role) {
      recorded.set(role, [...(recorded.get(role) ?? []), recordedFrame(entry)]);
      continue;
    }
    if (!['ws_connect', 'send', 'http', 'ws_close'].includes(entry.event)) continue;
    // Wait until every client has what it had when the recorder acted, then keep the recorded pause.
    for (const [r, frames] of recorded) {
      const client = clients.get(r);
      if (client) await client.waitForCount(frames.length, 600, 10_000);
    }
    const previous = index > 0 ? (timeline[index - 1] as Entry).t_ms : entry.t_ms;
    const pause = Math.min(250, Math.max(0, (entry.t_ms - previous) * options.timeScale));
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));

    // The recorder's actions took a few ms, the simulator's steps are scaled down: holding the
    // worker's frames (not its timers) from an action until the server's own replies to it are in
    // keeps "this happened between two steps" true.
    if (entry.event !== 'ws_close') sim.faults.stall = true;
    let actual: HttpResult | null = null;
    if (entry.event === 'ws_connect' && role) {
      const client = clients.get(role) ?? new RecordingClient();
      clients.set(role, client);
      await client.connect(`${wsBase}${entry['url']}`);
    } else if (entry.event === 'send' && role) {
      clients.get(role)?.send(entry['frame']);
    } else if (entry.event === 'ws_close' && role) {
      await clients.get(role)?.close();
    } else if (entry.event === 'http') {
      actual = await send(sim, entry['request'] as Record<string, unknown>, ids);
    }
    const { replies, workerSpeaks } = afterAction(timeline, index);
    if (workerSpeaks) {
      for (const [r, count] of replies) await clients.get(r)?.waitForCount((recorded.get(r)?.length ?? 0) + count, 600, 10_000);
      sim.faults.stall = false;
    }
    if (actual) {
      const response = entry['response'] as Record<string, unknown>;
      const request = entry['request'] as Record<string, unknown>;
      const pairs = request['path'] === '/prompt' || request['path'] === '/users';
      if (pairs && actual.status === 200 && response['status'] === 200 && request['method'] === 'POST') {
        const recBody = response['body'];
        const got = parseJson(actual.body.toString('utf8'));
        if (request['path'] === '/prompt' && isPlainObject(recBody) && isPlainObject(got)) {
          ids.pair(String(recBody['prompt_id']), String(got['prompt_id']), 'prompt');
        }
        if (request['path'] === '/users' && typeof recBody === 'string' && typeof got === 'string') ids.pair(recBody, got, 'user');
      }
      problems.push(...compareHttp(entry, actual, ids, sim.dataDir));
    }
  }
  sim.faults.stall = false;
  for (const [role, client] of clients) {
    problems.push(...compareFrames(role, recorded.get(role) ?? [], client.frames, ids, sim.dataDir, options.timingSensitive ?? false));
    problems.push(...client.formatErrors.map((raw) => `${role}: frame not in Python json.dumps format: ${raw.slice(0, 200)}`));
    await client.close();
  }
  return problems;
}

export { IdMap };
