/**
 * What flows along links between simulated nodes. Images carry real pixels; models, CLIP,
 * conditioning and the like are typed placeholders, since no model is ever loaded.
 */
import type { Rgb } from './images.ts';
import { isPlainObject, isPyNumber, pyRepr } from './py-json.ts';
import { tensorRepr } from './tensor-repr.ts';

export interface Latent {
  kind: 'latent';
  /** Pixel size the latent stands for. */
  width: number;
  height: number;
  batch: number;
  /** Frames for video latents, 1 otherwise. */
  length: number;
  seed: number;
}

export interface Mask {
  kind: 'mask';
  width: number;
  height: number;
  /** 0..255 per pixel (ComfyUI's 0..1 float mask). */
  data: Uint8Array;
}

export interface Video {
  kind: 'video';
  frames: Rgb[];
  fps: number;
}

/** A value the simulator does not model (MODEL, CLIP, VAE, CONDITIONING, …). */
export class Placeholder {
  readonly type: string;
  readonly source: string;
  readonly address: string;
  constructor(type: string, source: string) {
    this.type = type;
    this.source = source;
    this.address = `0x7f${Math.floor(Math.random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}`;
  }
  /** What Python's str() of the real object would roughly look like. */
  toString(): string {
    return `<simulated ${this.type} from ${this.source} object at ${this.address}>`;
  }
}

export function isImageBatch(v: unknown): v is Rgb[] {
  return Array.isArray(v) && v.length > 0 && isPlainObject(v[0]) && (v[0] as { channels?: unknown }).channels === 3;
}

export function isLatent(v: unknown): v is Latent {
  return isPlainObject(v) && v['kind'] === 'latent';
}

export function isMask(v: unknown): v is Mask {
  return isPlainObject(v) && v['kind'] === 'mask';
}

export function isVideo(v: unknown): v is Video {
  return isPlainObject(v) && v['kind'] === 'video';
}

export function emptyMask(width = 64, height = 64): Mask {
  return { kind: 'mask', width, height, data: new Uint8Array(width * height) };
}

/** execution.format_value: JSON scalars stay, everything else becomes str(x). */
export function formatValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || isPyNumber(v)) return v;
  if (isImageBatch(v)) return tensorRepr(v);
  if (isLatent(v)) return `{'samples': <tensor of shape [${v.batch}, 4, ${v.length > 1 ? `${v.length}, ` : ''}${v.height >> 3}, ${v.width >> 3}]>}`;
  if (isMask(v)) return `<tensor of shape [1, ${v.height}, ${v.width}]>`;
  if (isVideo(v)) return `<VideoFromComponents with ${v.frames.length} frames at ${v.fps} fps>`;
  if (v instanceof Placeholder) return v.toString();
  return pyRepr(v);
}
