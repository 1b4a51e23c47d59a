/**
 * Pixel data that simulated nodes pass along (ComfyUI's IMAGE is a batch of RGB images),
 * plus the few operations the simulated nodes need.
 */
import type { RasterImage } from './png.ts';

/** One RGB image; an IMAGE value is a batch (array) of them, like ComfyUI's [B,H,W,3] tensor. */
export type Rgb = RasterImage & { channels: 3 };

/** Real ComfyUI would allocate anything up to 16384²; the simulator keeps memory bounded. */
export const MAX_PIXELS = 1024 * 1024;

/** Scales a requested size down (keeping the aspect ratio) so it fits MAX_PIXELS. */
export function boundedSize(width: number, height: number): [number, number] {
  const w = Math.max(1, Math.floor(width));
  const h = Math.max(1, Math.floor(height));
  if (w * h <= MAX_PIXELS) return [w, h];
  const f = Math.sqrt(MAX_PIXELS / (w * h));
  return [Math.max(1, Math.floor(w * f)), Math.max(1, Math.floor(h * f))];
}

export function solidImage(width: number, height: number, color: number): Rgb {
  const [w, h] = boundedSize(width, height);
  const data = new Uint8Array(w * h * 3);
  const r = (color >> 16) & 0xff;
  const g = (color >> 8) & 0xff;
  const b = color & 0xff;
  for (let i = 0; i < data.length; i += 3) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  }
  return { width: w, height: h, channels: 3, data };
}

export function invertImage(img: Rgb): Rgb {
  return { ...img, data: img.data.map((v) => 255 - v) };
}

/** Blends toward white by t in [0, 1] (what RigSlowProgress previews show). */
export function blendToWhite(img: Rgb, t: number): Rgb {
  return { ...img, data: img.data.map((v) => Math.round(v + (255 - v) * t)) };
}

export function toRgb(img: RasterImage): Rgb {
  if (img.channels === 3) return img as Rgb;
  const n = img.width * img.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = img.data[i * 4] as number;
    data[i * 3 + 1] = img.data[i * 4 + 1] as number;
    data[i * 3 + 2] = img.data[i * 4 + 2] as number;
  }
  return { width: img.width, height: img.height, channels: 3, data };
}

/** The alpha channel (255 when the image has none). */
export function alphaOf(img: RasterImage): Uint8Array {
  const n = img.width * img.height;
  if (img.channels === 3) return new Uint8Array(n).fill(255);
  return Uint8Array.from({ length: n }, (_, i) => img.data[i * 4 + 3] as number);
}

/** Nearest-neighbour downscale so the longest edge is at most maxEdge. */
export function fitWithin(img: Rgb, maxEdge: number): Rgb {
  const scale = Math.min(1, maxEdge / Math.max(img.width, img.height));
  if (scale === 1) return img;
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, Math.floor(y / scale));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, Math.floor(x / scale));
      const s = (sy * img.width + sx) * 3;
      const d = (y * w + x) * 3;
      data[d] = img.data[s] as number;
      data[d + 1] = img.data[s + 1] as number;
      data[d + 2] = img.data[s + 2] as number;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/**
 * A deterministic picture standing in for a decoded latent: smooth colour fields derived from
 * a seed, "denoising" (less grain) as progress goes from 0 to 1.
 */
export function syntheticImage(width: number, height: number, seed: number, progress = 1): Rgb {
  const [w, h] = boundedSize(width, height);
  const data = new Uint8Array(w * h * 3);
  let s = seed >>> 0 || 1;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
  const phase = [rand() * 6.28, rand() * 6.28, rand() * 6.28];
  const grain = (1 - progress) * 120;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const base = 128 + 100 * Math.sin((x / w) * 3 + (y / h) * 2 + (phase[c] as number));
        data[o + c] = Math.max(0, Math.min(255, Math.round(base + (rand() - 0.5) * grain)));
      }
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** A hash of a JSON-able value, as a 32-bit seed. */
export function seedOf(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  let h = 2166136261;
  for (let i = 0; i < (text ?? '').length; i++) {
    h ^= (text as string).charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
