/**
 * Inputs a prompt references (LoadImage and other upload widgets) live in the
 * seat's input folder, <data>/inputs/<seat>/…, not on the GPU workers. Before
 * dispatch each referenced file is uploaded to the worker under a seat-namespaced
 * sub-folder and the prompt is rewritten to point there, so two seats' "photo.png"
 * never meet. A missing file is an error before anything is dispatched.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QueueError } from '../errors.ts';
import type { Prompt } from '../job.ts';
import { safeSegments } from '../outputs/output-store.ts';
import { inputSpec, isUploadInput, type NodeInfoMap, splitAnnotation } from './object-info.ts';

/** Upload widgets of the stock nodes, used while no worker's object_info is known yet. */
const KNOWN_UPLOAD_INPUTS: Record<string, string[]> = {
  LoadImage: ['image'],
  LoadImageMask: ['image'],
  LoadVideo: ['file'],
  LoadAudio: ['audio'],
  Load3D: ['model_file'],
};

export interface InputRef {
  nodeId: string;
  input: string;
  /** Path inside the seat's input folder, e.g. "photo.png" or "sub/photo.png". */
  path: string;
}

/** Uploads bytes to a worker; answers where the worker stored them (ComfyUI's /upload/image answer). */
export type UploadFn = (data: Uint8Array, name: string, subfolder: string) => Promise<{ name: string; subfolder: string }>;

export const WORKER_INPUT_ROOT = 'comfy-multi';

export class InputStager {
  readonly root: string;

  constructor(options: { root: string }) {
    this.root = options.root;
  }

  /**
   * Absolute path of a file in a seat's input folder; refuses paths that leave it.
   * The seat gateway uploads into a `<seat>/` sub-folder of the shared UI ComfyUI (so seats
   * never see each other's files in LoadImage's list), which makes widget values read
   * `<seat>/photo.png`: that leading segment names the folder itself, not a sub-folder.
   */
  resolve(seat: string, path: string): string {
    return join(this.root, ...safeSegments(seat, 'seat'), ...this.#relative(seat, path));
  }

  #relative(seat: string, path: string): string[] {
    const parts = safeSegments(path, 'image');
    if (parts.length > 1 && parts[0] === seat) parts.shift();
    return parts;
  }

  /** Every reference to a seat input in the prompt. Values annotated [output]/[temp] are not inputs. */
  references(prompt: Prompt, info: NodeInfoMap | null): InputRef[] {
    const refs: InputRef[] = [];
    for (const [nodeId, node] of Object.entries(prompt)) {
      for (const [input, value] of Object.entries(node.inputs)) {
        if (typeof value !== 'string' || value === '') continue;
        const upload = info?.[node.class_type] ? isUploadInput(inputSpec(info, node.class_type, input)) : KNOWN_UPLOAD_INPUTS[node.class_type]?.includes(input);
        if (!upload) continue;
        const { name, folder } = splitAnnotation(value);
        if (folder === 'input') refs.push({ nodeId, input, path: name });
      }
    }
    return refs;
  }

  /** Throws `input_missing` (naming the node input) for the first referenced file the seat does not have. */
  async check(prompt: Prompt, seat: string, info: NodeInfoMap | null): Promise<InputRef[]> {
    const refs = this.references(prompt, info);
    for (const ref of refs) {
      const field = `prompt.${ref.nodeId}.inputs.${ref.input}`;
      let path: string;
      try {
        path = this.resolve(seat, ref.path);
      } catch {
        throw new QueueError('invalid_prompt', `${field}: "${ref.path}" is not a valid input file name`, { field });
      }
      const found = await stat(path).then((s) => s.isFile(), () => false);
      if (!found) {
        throw new QueueError('input_missing', `${field}: the input file "${ref.path}" was not uploaded for seat ${seat}; upload it again`, { field });
      }
    }
    return refs;
  }

  /** Uploads every referenced input and returns the prompt rewritten to the worker's copies. */
  async stage(prompt: Prompt, seat: string, info: NodeInfoMap | null, upload: UploadFn): Promise<Prompt> {
    const refs = await this.check(prompt, seat, info);
    if (refs.length === 0) return prompt;
    const staged = structuredClone(prompt);
    const uploaded = new Map<string, string>();
    for (const ref of refs) {
      let target = uploaded.get(ref.path);
      if (target === undefined) {
        const parts = this.#relative(seat, ref.path);
        const name = parts.pop()!;
        const subfolder = [WORKER_INPUT_ROOT, seat, ...parts].join('/');
        const answer = await upload(new Uint8Array(await readFile(this.resolve(seat, ref.path))), name, subfolder);
        target = answer.subfolder ? `${answer.subfolder}/${answer.name}` : answer.name;
        uploaded.set(ref.path, target);
      }
      staged[ref.nodeId]!.inputs[ref.input] = target;
    }
    return staged;
  }
}
