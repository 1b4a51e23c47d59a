/**
 * Small client helpers for focused simulator tests: sockets, submissions, waiting for a prompt's end.
 */
import type { SimulatorHandle } from '../../../lib/simulator/index.ts';
import { isPlainObject, parseJson } from '../../../lib/simulator/py-json.ts';
import { type Frame, RecordingClient, jsonFrame } from './ws-recorder.ts';

export async function connect(sim: SimulatorHandle, clientId: string, previewMetadata = true): Promise<RecordingClient> {
  const client = new RecordingClient();
  await client.connect(`${sim.url.replace(/^http/, 'ws')}/ws?clientId=${clientId}`);
  if (previewMetadata) {
    client.send({ type: 'feature_flags', data: { supports_preview_metadata: true } });
    await client.waitFor((f) => jsonFrame(f, 'feature_flags') !== null);
  } else {
    await client.waitFor((f) => jsonFrame(f, 'status') !== null);
  }
  return client;
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

export async function request(sim: SimulatorHandle, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : parseJson(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, text, body: isPlainObject(parsed) ? parsed : { value: parsed } };
}

export async function submit(sim: SimulatorHandle, prompt: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await request(sim, 'POST', '/prompt', { prompt, ...extra });
  if (reply.status !== 200) throw new Error(`submit failed: ${reply.status} ${reply.text}`);
  return String(reply.body['prompt_id']);
}

/** Resolves with the frames of one prompt once its final `executing {node: null}` arrived. */
export async function untilDone(client: RecordingClient, promptId: string, maxMs = 5000): Promise<Frame[]> {
  await client.waitFor((f) => {
    const d = jsonFrame(f, 'executing');
    return d !== null && d['node'] === null && d['prompt_id'] === promptId;
  }, maxMs);
  const ofPrompt = (f: Frame) => f.kind === 'json' && jsonFrame(f, 'status') === null && (f.value['data'] as Record<string, unknown>)?.['prompt_id'] === promptId;
  const first = client.frames.findIndex(ofPrompt);
  return client.frames.slice(first).filter((f) => f.kind === 'binary' || ofPrompt(f));
}

export function types(frames: Frame[]): string[] {
  return frames.map((f) => (f.kind === 'binary' ? `binary${f.eventType}` : String(f.value['type'])));
}

/** EmptyImage -> ImageInvert -> SaveImage, the recordings' basic prompt. */
export function basicPrompt(color: number, prefix: string): Record<string, unknown> {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 8, batch_size: 1, color } },
    '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}

/** EmptyImage -> RigSlowProgress -> SaveImage. */
export function slowPrompt(color: number, prefix: string, steps: number, stepMs: number, failAt = -1): Record<string, unknown> {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
    '2': { class_type: 'RigSlowProgress', inputs: { image: ['1', 0], steps, step_ms: stepMs, fail_at: failAt } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}
