/**
 * The node catalog: ComfyUI 0.8.0's recorded /object_info (plus the RigSlowProgress test node),
 * with the combo lists that a real server computes from disk (input files, model folders).
 */
import { readFileSync } from 'node:fs';
import { dumps, isPlainObject, orderedEntries, parseJson } from './py-json.ts';

const ASSETS = new URL('./assets/', import.meta.url);

/** Model folder keys of ComfyUI 0.8.0 (`GET /models`), in its order. */
export const MODEL_FOLDERS = [
  'checkpoints',
  'configs',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'latent_upscale_models',
  'custom_nodes',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
] as const;

/** Which loader inputs list the files of which model folder. */
const MODEL_INPUTS: Record<string, [string, string][]> = {
  checkpoints: [
    ['CheckpointLoaderSimple', 'ckpt_name'],
    ['CheckpointLoader', 'ckpt_name'],
    ['unCLIPCheckpointLoader', 'ckpt_name'],
    ['ImageOnlyCheckpointLoader', 'ckpt_name'],
    ['LTXVAudioVAELoader', 'ckpt_name'],
    ['LTXAVTextEncoderLoader', 'ckpt_name'],
    ['CreateHookModelAsLora', 'ckpt_name'],
    ['CreateHookModelAsLoraModelOnly', 'ckpt_name'],
  ],
  vae: [['VAELoader', 'vae_name']],
  loras: [
    ['LoraLoader', 'lora_name'],
    ['LoraLoaderModelOnly', 'lora_name'],
    ['CreateHookLora', 'lora_name'],
    ['CreateHookLoraModelOnly', 'lora_name'],
  ],
  text_encoders: [
    ['CLIPLoader', 'clip_name'],
    ['DualCLIPLoader', 'clip_name1'],
    ['DualCLIPLoader', 'clip_name2'],
    ['TripleCLIPLoader', 'clip_name1'],
    ['TripleCLIPLoader', 'clip_name2'],
    ['TripleCLIPLoader', 'clip_name3'],
    ['QuadrupleCLIPLoader', 'clip_name1'],
    ['QuadrupleCLIPLoader', 'clip_name2'],
    ['QuadrupleCLIPLoader', 'clip_name3'],
    ['QuadrupleCLIPLoader', 'clip_name4'],
  ],
  diffusion_models: [['UNETLoader', 'unet_name']],
  clip_vision: [['CLIPVisionLoader', 'clip_name']],
  style_models: [['StyleModelLoader', 'style_model_name']],
  diffusers: [['DiffusersLoader', 'model_path']],
  controlnet: [
    ['ControlNetLoader', 'control_net_name'],
    ['DiffControlNetLoader', 'control_net_name'],
  ],
  gligen: [['GLIGENLoader', 'gligen_name']],
  upscale_models: [['UpscaleModelLoader', 'model_name']],
  latent_upscale_models: [['LatentUpscaleModelLoader', 'model_name']],
  hypernetworks: [['HypernetworkLoader', 'hypernetwork_name']],
  photomaker: [['PhotoMakerLoader', 'photomaker_model_name']],
  model_patches: [['ModelPatchLoader', 'name']],
  audio_encoders: [['AudioEncoderLoader', 'audio_encoder_name']],
};

/** Inputs whose options are the files of the input directory of a content type (LoadImage & co). */
export const INPUT_FILE_COMBOS: Record<string, { input: string; kind: 'image' | 'video' | 'audio' }> = {
  LoadImage: { input: 'image', kind: 'image' },
  LoadImageMask: { input: 'image', kind: 'image' },
  LoadVideo: { input: 'file', kind: 'video' },
  LoadAudio: { input: 'audio', kind: 'audio' },
};

export interface InputDef {
  name: string;
  category: 'required' | 'optional';
  /** The type: a string (INT, IMAGE, COMBO…) or, for legacy combos, the option list. */
  type: unknown;
  /** The spec's option dict, `{}` when the spec has none (what validation errors report). */
  extra: Record<string, unknown>;
}

export interface NodeDef {
  name: string;
  inputs: InputDef[];
  /** Hidden input kinds (PROMPT, EXTRA_PNGINFO, UNIQUE_ID…) by name. */
  hidden: Record<string, string>;
  outputs: string[];
  outputNode: boolean;
}

/** The option list of a combo spec, or null when the input is not a combo. */
export function comboOptions(def: InputDef): unknown[] | null {
  if (Array.isArray(def.type)) return def.type;
  if (def.type === 'COMBO') {
    const options = def.extra['options'];
    return Array.isArray(options) ? options : [];
  }
  return null;
}

function withOptions(spec: unknown, options: string[]): unknown {
  if (!Array.isArray(spec)) return spec;
  if (Array.isArray(spec[0])) return [options, ...spec.slice(1)];
  if (spec[0] === 'COMBO' && isPlainObject(spec[1])) return ['COMBO', { ...spec[1], options }, ...spec.slice(2)];
  return spec;
}

function loadAsset(name: string): Record<string, unknown> {
  return parseJson(readFileSync(new URL(name, ASSETS), 'utf8')) as Record<string, unknown>;
}

let defaultInfo: Record<string, unknown> | null = null;

/** ComfyUI 0.8.0's stock nodes plus RigSlowProgress, as recorded (parsed once per process; treat as read-only). */
export function defaultObjectInfo(): Record<string, unknown> {
  defaultInfo ??= Object.assign(loadAsset('object_info-0.8.0.json'), loadAsset('object_info-rig-testnodes.json'));
  return defaultInfo;
}

export class NodeCatalog {
  private readonly info: Map<string, Record<string, unknown>>;
  private readonly defs = new Map<string, NodeDef>();
  private readonly fragments = new Map<string, string>();

  /**
   * @param objectInfo the static catalog
   * @param models model file names per folder, added to the matching loader combos
   */
  constructor(objectInfo: Record<string, unknown>, models: Record<string, string[]> = {}) {
    this.info = new Map();
    for (const [name, entry] of orderedEntries(objectInfo)) {
      if (isPlainObject(entry)) this.info.set(name, entry);
    }
    for (const [folder, files] of Object.entries(models)) {
      for (const [cls, input] of MODEL_INPUTS[folder] ?? []) this.addModelFiles(cls, input, files);
    }
  }

  private addModelFiles(cls: string, input: string, files: string[]): void {
    const entry = this.info.get(cls);
    const inputs = entry?.['input'];
    if (!entry || !isPlainObject(inputs)) return;
    for (const category of ['required', 'optional']) {
      const group = inputs[category];
      if (!isPlainObject(group) || !(input in group)) continue;
      const def = this.parseInput(input, 'required', group[input]);
      const existing = (comboOptions(def) ?? []).map(String);
      const merged = [...[...new Set(files)].sort(), ...existing.filter((v) => !files.includes(v))];
      const newGroup = { ...group, [input]: withOptions(group[input], merged) };
      this.info.set(cls, { ...entry, input: { ...inputs, [category]: newGroup } });
    }
  }

  has(cls: unknown): cls is string {
    return typeof cls === 'string' && this.info.has(cls);
  }

  classes(): string[] {
    return [...this.info.keys()];
  }

  private parseInput(name: string, category: 'required' | 'optional', spec: unknown): InputDef {
    const arr = Array.isArray(spec) ? spec : [spec];
    const extra = isPlainObject(arr[1]) ? arr[1] : {};
    return { name, category, type: arr[0], extra };
  }

  def(cls: string): NodeDef {
    const cached = this.defs.get(cls);
    if (cached) return cached;
    const entry = this.info.get(cls) ?? {};
    const input = isPlainObject(entry['input']) ? entry['input'] : {};
    const inputs: InputDef[] = [];
    for (const category of ['required', 'optional'] as const) {
      const group = input[category];
      if (!isPlainObject(group)) continue;
      for (const [name, spec] of orderedEntries(group)) inputs.push(this.parseInput(name, category, spec));
    }
    const hidden: Record<string, string> = {};
    if (isPlainObject(input['hidden'])) {
      for (const [name, spec] of orderedEntries(input['hidden'])) hidden[name] = String(Array.isArray(spec) ? spec[0] : spec);
    }
    const outputs = Array.isArray(entry['output']) ? entry['output'].map((o) => (typeof o === 'string' ? o : '*')) : [];
    const def: NodeDef = { name: cls, inputs, hidden, outputs, outputNode: entry['output_node'] === true };
    this.defs.set(cls, def);
    return def;
  }

  /** The object_info entry of one class, with input-file combos filled from `listInputFiles`. */
  entry(cls: string, listInputFiles: (kind: 'image' | 'video' | 'audio') => string[]): Record<string, unknown> | undefined {
    const entry = this.info.get(cls);
    const dynamic = INPUT_FILE_COMBOS[cls];
    if (!entry || !dynamic) return entry;
    const inputs = entry['input'];
    if (!isPlainObject(inputs) || !isPlainObject(inputs['required'])) return entry;
    const required = inputs['required'];
    if (!(dynamic.input in required)) return entry;
    const files = listInputFiles(dynamic.kind);
    return { ...entry, input: { ...inputs, required: { ...required, [dynamic.input]: withOptions(required[dynamic.input], files) } } };
  }

  /** The whole `GET /object_info` body; static entries are serialized once. */
  serializeAll(listInputFiles: (kind: 'image' | 'video' | 'audio') => string[]): string {
    const parts: string[] = [];
    for (const cls of this.info.keys()) {
      let text = this.fragments.get(cls);
      if (text === undefined) {
        if (INPUT_FILE_COMBOS[cls]) {
          text = dumps(this.entry(cls, listInputFiles));
        } else {
          text = dumps(this.info.get(cls));
          this.fragments.set(cls, text);
        }
      }
      parts.push(`${dumps(cls)}: ${text}`);
    }
    return `{${parts.join(', ')}}`;
  }

  /** File names listed for a model folder: the loader combos' values that look like files. */
  modelFiles(folder: string): string[] {
    const out = new Set<string>();
    for (const [cls, input] of MODEL_INPUTS[folder] ?? []) {
      if (!this.has(cls)) continue;
      const def = this.def(cls).inputs.find((i) => i.name === input);
      for (const v of def ? (comboOptions(def) ?? []) : []) if (typeof v === 'string' && /\.[A-Za-z0-9]+$/.test(v)) out.add(v);
    }
    return [...out].sort();
  }
}
