/**
 * PNG encoding and decoding with node:zlib: SaveImage writes real files, LoadImage reads uploads,
 * /view re-encodes channels. Decoding covers the non-interlaced formats browsers and PIL write.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';

export interface RasterImage {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA) bytes per pixel, row-major. */
  channels: 3 | 4;
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4, 8))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export interface PngOptions {
  /** zlib level, like PIL's compress_level. */
  compressLevel?: number;
  /** tEXt chunks written after IHDR, in order (SaveImage puts the prompt and workflow here). */
  text?: [string, string][];
}

export function encodePng(img: RasterImage, options: PngOptions = {}): Buffer {
  const { width, height, channels, data } = img;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 4 ? 6 : 2;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter type 0 for every row: simple and fast; zlib does the rest.
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  for (const [key, value] of options.text ?? []) {
    parts.push(chunk('tEXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')])));
  }
  parts.push(chunk('IDAT', deflateSync(raw, { level: options.compressLevel ?? 6 })));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(SIGNATURE);
}

/** Width and height from the IHDR of a PNG, without decoding it. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (!isPng(bytes) || bytes.length < 24) return null;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Decodes a non-interlaced PNG of any colour type and bit depth to RGB or RGBA (8 bit). */
export function decodePng(bytes: Uint8Array): RasterImage {
  if (!isPng(bytes)) throw new Error('cannot identify image file');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 8;
  let colorType = 2;
  let interlace = 0;
  let palette: Buffer | null = null;
  let trns: Buffer | null = null;
  const idat: Buffer[] = [];
  while (pos + 8 <= b.length) {
    const len = b.readUInt32BE(pos);
    const type = b.toString('latin1', pos + 4, pos + 8);
    const data = b.subarray(pos + 8, pos + 8 + len);
    pos += 12 + len;
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8] ?? 8;
      colorType = data[9] ?? 2;
      interlace = data[12] ?? 0;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
  }
  if (width === 0 || height === 0) throw new Error('cannot identify image file');
  if (interlace !== 0) throw new Error('interlaced PNG files are not supported by the simulator');
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (samples === undefined) throw new Error(`unsupported PNG colour type ${colorType}`);
  const bitsPerPixel = samples * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const raw = inflateSync(Buffer.concat(idat));
  const rows = new Uint8Array(stride * height);
  const prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const up = y === 0 ? prev : rows.subarray((y - 1) * stride, y * stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? (out[x - bpp] as number) : 0;
      const u = up[x] as number;
      const c = x >= bpp ? (up[x - bpp] as number) : 0;
      const v = src[x] as number;
      let r: number;
      if (filter === 0) r = v;
      else if (filter === 1) r = v + a;
      else if (filter === 2) r = v + u;
      else if (filter === 3) r = v + ((a + u) >> 1);
      else r = v + paeth(a, u, c);
      out[x] = r & 0xff;
    }
  }
  const sample = (row: number, index: number): number => {
    if (depth === 8) return rows[row * stride + index] as number;
    if (depth === 16) return rows[row * stride + index * 2] as number;
    const bitPos = index * depth;
    const byte = rows[row * stride + (bitPos >> 3)] as number;
    const v = (byte >> (8 - depth - (bitPos & 7))) & ((1 << depth) - 1);
    return colorType === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  const hasAlpha = colorType === 4 || colorType === 6 || trns !== null;
  const channels: 3 | 4 = hasAlpha ? 4 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      let r: number;
      let g: number;
      let bl: number;
      let al = 255;
      if (colorType === 3) {
        const idx = sample(y, x);
        r = palette?.[idx * 3] ?? 0;
        g = palette?.[idx * 3 + 1] ?? 0;
        bl = palette?.[idx * 3 + 2] ?? 0;
        al = trns?.[idx] ?? 255;
      } else if (colorType === 0 || colorType === 4) {
        r = g = bl = sample(y, x * samples);
        if (colorType === 4) al = sample(y, x * samples + 1);
      } else {
        r = sample(y, x * samples);
        g = sample(y, x * samples + 1);
        bl = sample(y, x * samples + 2);
        if (colorType === 6) al = sample(y, x * samples + 3);
      }
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = bl;
      if (channels === 4) data[o + 3] = al;
    }
  }
  return { width, height, channels, data };
}
