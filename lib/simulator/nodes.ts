/**
 * What each simulated node does. Image nodes compute real pixels and save files like ComfyUI;
 * model-bound nodes (loaders, samplers, VAE) just take their simulated time, report sampler
 * progress with previews and pass typed placeholders along.
 */
import { createHash, randomInt } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataDirs } from './data-dirs.ts';
import { type Rgb, blendToWhite, fitWithin, invertImage, seedOf, solidImage, syntheticImage, toRgb } from './images.ts';
import { jpegSize } from './jpeg.ts';
import {
  type Latent,
  type Mask,
  Placeholder,
  type Video,
  emptyMask,
  isImageBatch,
  isLatent,
  isVideo,
} from './node-values.ts';
import type { NodeDef } from './object-info.ts';
import { decodePng, encodePng, isPng } from './png.ts';
import { dumps, isPlainObject, orderedEntries, toNumber } from './py-json.ts';
import { encodeWebpLossless } from './webp.ts';

const ASSETS = new URL('./assets/', import.meta.url);

export interface Preview {
  format: 'JPEG' | 'PNG';
  image: Rgb;
}

/** What the executor gives a running node. */
export interface NodeEnv {
  readonly nodeId: string;
  readonly def: NodeDef;
  readonly dirs: DataDirs;
  /** Path of the simulated ComfyUI checkout (tracebacks). */
  readonly root: string;
  /** Simulated run time of this node, already scaled. */
  readonly nodeMs: number;
  readonly samplerSteps: number;
  readonly timeScale: number;
  /** Effective preview method is not "none". */
  readonly previews: boolean;
  readonly prompt: Record<string, unknown>;
  readonly extraPngInfo: unknown;
  /** Sleeps; an interruptible wait ends early and throws when the prompt is interrupted. */
  wait(ms: number, interruptible: boolean): Promise<void>;
  /** comfy.utils.ProgressBar.update_absolute. */
  progress(value: number, max: number, preview: Preview | null): Promise<void>;
}

export interface NodeResult {
  outputs: unknown[];
  ui?: Record<string, unknown>;
}

/** An exception raised by a node: becomes execution_error. */
export class NodeFailure extends Error {
  readonly exceptionType: string;
  /** The node's own traceback frames (the executor adds its frames before them). */
  readonly frames: string[];
  constructor(message: string, frames: string[], exceptionType = 'RuntimeError') {
    super(message);
    this.exceptionType = exceptionType;
    this.frames = frames;
  }
}

type Inputs = Record<string, unknown>;
type Behavior = (inputs: Inputs, env: NodeEnv) => Promise<NodeResult>;

const SAMPLERS = new Set(['KSampler', 'KSamplerAdvanced', 'SamplerCustom', 'SamplerCustomAdvanced']);

export function isSamplerLike(classType: string): boolean {
  return SAMPLERS.has(classType);
}

function int(v: unknown, fallback: number): number {
  const n = toNumber(v);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

function imagesOf(v: unknown): Rgb[] {
  if (isImageBatch(v)) return v;
  if (isVideo(v)) return v.frames;
  return [syntheticImage(64, 64, 1)];
}

function saveImages(images: Rgb[], prefix: string, type: 'output' | 'temp', env: NodeEnv, level: number): Record<string, unknown>[] {
  const dir = type === 'output' ? env.dirs.output : env.dirs.temp;
  const first = images[0];
  const target = env.dirs.savePath(prefix, dir, first?.width ?? 0, first?.height ?? 0);
  const text: [string, string][] = [['prompt', dumps(env.prompt)]];
  if (isPlainObject(env.extraPngInfo)) for (const [k, v] of orderedEntries(env.extraPngInfo)) text.push([k, dumps(v)]);
  let counter = target.counter;
  return images.map((img, batch) => {
    const file = `${target.filename.replaceAll('%batch_num%', String(batch))}_${String(counter++).padStart(5, '0')}_.png`;
    writeFileSync(join(target.folder, file), encodePng(img, { compressLevel: level, text }));
    return { filename: file, subfolder: target.subfolder, type };
  });
}

/** Copies a pre-encoded asset (or writes bytes) under the next counter of a prefix. */
function saveFile(env: NodeEnv, prefix: string, ext: string, content: URL | Buffer, size: Rgb | undefined): Record<string, unknown> {
  const target = env.dirs.savePath(prefix, env.dirs.output, size?.width ?? 0, size?.height ?? 0);
  const file = `${target.filename}_${String(target.counter).padStart(5, '0')}_.${ext}`;
  if (content instanceof URL) copyFileSync(content, join(target.folder, file));
  else writeFileSync(join(target.folder, file), content);
  return { filename: file, subfolder: target.subfolder, type: 'output' };
}

function loadImage(name: string, env: NodeEnv): [Rgb[], Mask] {
  const path = env.dirs.inputFilePath(name);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new NodeFailure(`[Errno 2] No such file or directory: '${path}'`, [], 'FileNotFoundError');
  }
  if (isPng(bytes)) {
    const decoded = decodePng(bytes);
    const rgb = toRgb(decoded);
    if (decoded.channels === 4) {
      const data = Uint8Array.from({ length: decoded.width * decoded.height }, (_, i) => 255 - (decoded.data[i * 4 + 3] as number));
      return [[rgb], { kind: 'mask', width: decoded.width, height: decoded.height, data }];
    }
    return [[rgb], emptyMask()];
  }
  // Formats the simulator cannot decode become a neutral image of the right size.
  const size = jpegSize(bytes);
  if (!size) throw new NodeFailure(`cannot identify image file '${path}'`, [], 'PIL.UnidentifiedImageError');
  return [[solidImage(size.width, size.height, 0x808080)], emptyMask()];
}

function latentFrom(inputs: Inputs, source: string): Latent {
  const width = int(inputs['width'], 512);
  const height = int(inputs['height'], 512);
  return {
    kind: 'latent',
    width,
    height,
    batch: Math.max(1, int(inputs['batch_size'], 1)),
    length: Math.max(1, int(inputs['length'] ?? inputs['video_frames'], 1)),
    seed: seedOf(`${source}:${width}x${height}`),
  };
}

/** Decoded latents stay small: at most 256 px on the long edge and 8 frames. */
function decodeLatent(latent: Latent, progress = 1): Rgb[] {
  const scale = Math.min(1, 256 / Math.max(latent.width, latent.height));
  const frames = Math.min(8, latent.batch * latent.length);
  return Array.from({ length: frames }, (_, i) =>
    syntheticImage(latent.width * scale, latent.height * scale, latent.seed + i, progress),
  );
}

async function sample(inputs: Inputs, env: NodeEnv, outputs: number): Promise<NodeResult> {
  const source = inputs['latent_image'];
  const seed = seedOf([inputs['seed'] ?? inputs['noise_seed'] ?? 0, isLatent(source) ? source.seed : 0]);
  const latent: Latent = isLatent(source) ? { ...source, seed } : { ...latentFrom({}, 'sampler'), seed };
  const steps = Math.max(1, env.samplerSteps);
  const preview = { ...latent, batch: 1, length: 1, width: Math.min(latent.width, 64), height: Math.min(latent.height, 64) };
  for (let i = 0; i < steps; i++) {
    await env.wait(env.nodeMs / steps, true);
    const image = env.previews ? decodeLatent(preview, (i + 1) / steps)[0] : undefined;
    await env.progress(i + 1, steps, image ? { format: 'JPEG', image } : null);
  }
  return { outputs: Array.from({ length: outputs }, () => latent) };
}

const RIG_FRAME = (root: string) =>
  `  File "${root}/custom_nodes/rig_testnodes/__init__.py", line 52, in run\n    raise RuntimeError(f"RigSlowProgress: failing at step {i} as requested (fail_at={fail_at})")\n`;

const BEHAVIORS: Record<string, Behavior> = {
  async EmptyImage(inputs, env) {
    await env.wait(env.nodeMs, false);
    const img = solidImage(int(inputs['width'], 512), int(inputs['height'], 512), int(inputs['color'], 0));
    const batch = Math.max(1, Math.min(64, int(inputs['batch_size'], 1)));
    return { outputs: [Array.from({ length: batch }, () => img)] };
  },
  async ImageInvert(inputs, env) {
    await env.wait(env.nodeMs, false);
    return { outputs: [imagesOf(inputs['image']).map(invertImage)] };
  },
  async LoadImage(inputs, env) {
    await env.wait(env.nodeMs, false);
    return { outputs: loadImage(String(inputs['image']), env) };
  },
  async LoadImageMask(inputs, env) {
    await env.wait(env.nodeMs, false);
    return { outputs: [loadImage(String(inputs['image']), env)[1]] };
  },
  async SaveImage(inputs, env) {
    await env.wait(env.nodeMs, false);
    const prefix = String(inputs['filename_prefix'] ?? 'ComfyUI');
    return { outputs: [], ui: { images: saveImages(imagesOf(inputs['images']), prefix, 'output', env, 4) } };
  },
  async PreviewImage(inputs, env) {
    await env.wait(env.nodeMs, false);
    const suffix = Array.from({ length: 5 }, () => 'abcdefghijklmnopqrstupvxyz'[randomInt(26)]).join('');
    return { outputs: [], ui: { images: saveImages(imagesOf(inputs['images']), `ComfyUI_temp_${suffix}`, 'temp', env, 1) } };
  },
  async RigSlowProgress(inputs, env) {
    const steps = int(inputs['steps'], 5);
    const stepMs = int(inputs['step_ms'], 200) * env.timeScale;
    const failAt = int(inputs['fail_at'], -1);
    const format = inputs['preview_format'] === 'PNG' ? 'PNG' : 'JPEG';
    const images = imagesOf(inputs['image']);
    const first = images[0] as Rgb;
    for (let i = 0; i < steps; i++) {
      if (i === failAt) {
        throw new NodeFailure(`RigSlowProgress: failing at step ${i} as requested (fail_at=${failAt})`, [RIG_FRAME(env.root)]);
      }
      await env.wait(stepMs, true);
      const preview = env.previews ? { format, image: fitWithin(blendToWhite(first, (i + 1) / steps), 512) } : null;
      await env.progress(i + 1, steps, preview as Preview | null);
    }
    return { outputs: [images] };
  },
  KSampler: (inputs, env) => sample(inputs, env, 1),
  KSamplerAdvanced: (inputs, env) => sample(inputs, env, 1),
  SamplerCustom: (inputs, env) => sample(inputs, env, 2),
  SamplerCustomAdvanced: (inputs, env) => sample(inputs, env, 2),
  async VAEDecode(inputs, env) {
    await env.wait(env.nodeMs, false);
    const latent = inputs['samples'];
    return { outputs: [isLatent(latent) ? decodeLatent(latent) : [syntheticImage(64, 64, 1)]] };
  },
  async CreateVideo(inputs, env) {
    await env.wait(env.nodeMs, false);
    const video: Video = { kind: 'video', frames: imagesOf(inputs['images']), fps: toNumber(inputs['fps']) || 30 };
    return { outputs: [video] };
  },
  // simulated.mp4 / simulated.webm were made once with ffmpeg 5.1:
  //   ffmpeg -f lavfi -i "testsrc=size=64x64:rate=8:duration=1" -c:v libx264 -preset veryslow -crf 35 -pix_fmt yuv420p -movflags +faststart simulated.mp4
  //   ffmpeg -f lavfi -i "testsrc=size=64x64:rate=8:duration=1" -c:v libvpx-vp9 -b:v 0 -crf 50 simulated.webm
  async SaveVideo(inputs, env) {
    await env.wait(env.nodeMs, false);
    const frames = imagesOf(inputs['video']);
    const saved = saveFile(env, String(inputs['filename_prefix'] ?? 'video/ComfyUI'), 'mp4', new URL('simulated.mp4', ASSETS), frames[0]);
    return { outputs: [], ui: { images: [saved], animated: [true] } };
  },
  async SaveWEBM(inputs, env) {
    await env.wait(env.nodeMs, false);
    const frames = imagesOf(inputs['images']);
    const saved = saveFile(env, String(inputs['filename_prefix'] ?? 'ComfyUI'), 'webm', new URL('simulated.webm', ASSETS), frames[0]);
    return { outputs: [], ui: { images: [saved], animated: [true] } };
  },
  async SaveAnimatedWEBP(inputs, env) {
    await env.wait(env.nodeMs, false);
    const first = imagesOf(inputs['images'])[0] as Rgb;
    const saved = saveFile(env, String(inputs['filename_prefix'] ?? 'ComfyUI'), 'webp', encodeWebpLossless(first), first);
    return { outputs: [], ui: { images: [saved], animated: [true] } };
  },
  async SaveAnimatedPNG(inputs, env) {
    await env.wait(env.nodeMs, false);
    const first = imagesOf(inputs['images'])[0] as Rgb;
    const saved = saveFile(env, String(inputs['filename_prefix'] ?? 'ComfyUI'), 'png', encodePng(first), first);
    return { outputs: [], ui: { images: [saved], animated: [true] } };
  },
  async PreviewAny(inputs, env) {
    await env.wait(env.nodeMs, false);
    const source = inputs['source'];
    return { outputs: [], ui: { text: [typeof source === 'string' ? source : dumps(source)] } };
  },
};

/** Any other node: its time, then outputs passed through from a same-typed input or made up. */
async function generic(inputs: Inputs, env: NodeEnv): Promise<NodeResult> {
  await env.wait(env.nodeMs, false);
  const outputs = env.def.outputs.map((type) => {
    const same = env.def.inputs.find((i) => i.type === type && inputs[i.name] !== undefined && !Array.isArray(i.type));
    if (same) return inputs[same.name];
    if (type === 'LATENT') return latentFrom(inputs, env.def.name);
    if (type === 'IMAGE') return [syntheticImage(int(inputs['width'], 64), int(inputs['height'], 64), seedOf(env.def.name))];
    if (type === 'MASK') return emptyMask();
    return new Placeholder(type, env.def.name);
  });
  return { outputs };
}

export function runNode(classType: string, inputs: Inputs, env: NodeEnv): Promise<NodeResult> {
  return (BEHAVIORS[classType] ?? generic)(inputs, env);
}

/** IS_CHANGED: LoadImage re-runs when the file's bytes change. */
export function isChanged(classType: string, inputs: Inputs, dirs: DataDirs): string | false {
  if (classType !== 'LoadImage' && classType !== 'LoadImageMask') return false;
  try {
    return createHash('sha256')
      .update(readFileSync(dirs.inputFilePath(String(inputs['image']))))
      .digest('hex');
  } catch {
    return 'missing';
  }
}

