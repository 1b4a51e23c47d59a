/**
 * The request and answer shapes of RunPod's ComfyUI worker image
 * (runpod-workers/worker-comfyui): `input.workflow` is the API-format prompt,
 * `input.images` the input files as `{name, image: base64}`; the answer lists
 * output files as `{filename, type: "base64" | "s3_url", data}` (5.x) or, from
 * older images, `message` holding one image or `{node_id, imageType, image}` items.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import type { Prompt } from '../job.ts';
import type { RemoteInput } from './provider.ts';

export interface WorkerInput {
  workflow: Prompt;
  images: { name: string; image: string }[];
}

/**
 * The worker uploads each image to ComfyUI under `name` with no sub-folder, so a staged
 * "comfy-multi/<seat>/photo.png" would not land where the prompt points. Each input gets a
 * flat name unique to the job, and the prompt is pointed at it.
 */
export function workerInput(prompt: Prompt, inputs: readonly RemoteInput[], jobId: string): WorkerInput {
  const renamed = new Map<string, string>();
  const images = inputs.map((input, index) => {
    const name = `cm-${jobId}-${index + 1}-${basename(input.name)}`;
    renamed.set(input.name, name);
    return { name, image: Buffer.from(input.data).toString('base64') };
  });
  if (renamed.size === 0) return { workflow: prompt, images };
  const workflow = structuredClone(prompt);
  for (const node of Object.values(workflow)) {
    for (const [key, value] of Object.entries(node.inputs)) {
      if (typeof value === 'string' && renamed.has(value)) node.inputs[key] = renamed.get(value)!;
    }
  }
  return { workflow, images };
}

/** One output file as the worker described it; `data` is base64 or a URL to fetch. */
export interface WorkerOutputItem {
  nodeId: string | null;
  kind: string;
  filename: string | null;
  subfolder: string;
  encoding: 'base64' | 'url';
  data: string;
}

const ItemSchema = z.object({
  filename: z.string().optional(),
  subfolder: z.string().optional(),
  node_id: z.union([z.string(), z.number()]).optional(),
  type: z.string().optional(),
  imageType: z.string().optional(),
  data: z.string().optional(),
  image: z.string().optional(),
});

function encodingOf(declared: string | undefined, data: string): 'base64' | 'url' {
  if (declared?.toLowerCase().includes('url')) return 'url';
  return /^https?:\/\//i.test(data) ? 'url' : 'base64';
}

/** The files a COMPLETED job's output lists, or the worker's error when it reported one instead. */
export function outputItems(output: unknown): { items: WorkerOutputItem[] } | { error: string } {
  if (typeof output === 'string') return { items: [{ nodeId: null, kind: 'images', filename: null, subfolder: '', encoding: encodingOf(undefined, output), data: output }] };
  if (!output || typeof output !== 'object') return { error: 'RunPod finished the job without an output' };
  const record = output as Record<string, unknown>;
  if (typeof record['error'] === 'string') return { error: record['error'] };
  if (record['status'] === 'error') return { error: typeof record['message'] === 'string' ? record['message'] : 'the ComfyUI worker reported an error' };
  const items: WorkerOutputItem[] = [];
  for (const [key, value] of Object.entries(record)) {
    const kind = key === 'message' ? 'images' : key;
    if (key === 'message' && typeof value === 'string') {
      items.push({ nodeId: null, kind, filename: null, subfolder: '', encoding: encodingOf(undefined, value), data: value });
      continue;
    }
    if (!Array.isArray(value)) continue;
    for (const entry of value) {
      const parsed = ItemSchema.safeParse(entry);
      const data = parsed.success ? (parsed.data.data ?? parsed.data.image) : undefined;
      // Entries without data (e.g. "local_file_unavailable") are not files we can store.
      if (!parsed.success || !data) continue;
      const item = parsed.data;
      items.push({
        nodeId: item.node_id === undefined ? null : String(item.node_id),
        kind,
        filename: item.filename ? basename(item.filename) : null,
        subfolder: item.subfolder ?? '',
        encoding: encodingOf(item.type ?? item.imageType, data),
        data,
      });
    }
  }
  const errors = record['errors'];
  if (items.length === 0 && Array.isArray(errors) && errors.length > 0) return { error: errors.map(String).join('; ') };
  return { items };
}

/** Bytes of a base64 payload, with or without a `data:<mime>;base64,` prefix. */
export function decodeBase64(data: string): Uint8Array {
  const comma = data.startsWith('data:') ? data.indexOf(',') : -1;
  return new Uint8Array(Buffer.from(comma >= 0 ? data.slice(comma + 1) : data, 'base64'));
}

/** The node a file most likely came from when the worker does not say: the prompt's only sink. */
export function soleOutputNode(prompt: Prompt): string | null {
  const consumed = new Set<string>();
  for (const node of Object.values(prompt)) {
    for (const value of Object.values(node.inputs)) {
      if (Array.isArray(value) && typeof value[0] === 'string') consumed.add(value[0]);
    }
  }
  const sinks = Object.keys(prompt).filter((id) => !consumed.has(id));
  return sinks.length === 1 ? sinks[0]! : null;
}
