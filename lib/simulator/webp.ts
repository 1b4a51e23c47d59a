/**
 * A minimal lossless WebP (VP8L) encoder: literal pixels with fixed 8-bit prefix codes, no
 * transforms. Files are larger than libwebp's but decode anywhere; used for /view?preview=webp
 * and SaveAnimatedWEBP.
 */
import type { RasterImage } from './png.ts';

class LsbWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;
  write(value: number, bits: number): void {
    for (let i = 0; i < bits; i++) {
      this.acc |= ((value >> i) & 1) << this.count;
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
  }
  finish(): Buffer {
    if (this.count > 0) this.bytes.push(this.acc);
    return Buffer.from(this.bytes);
  }
}

const REVERSED = Uint8Array.from({ length: 256 }, (_, v) => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((v >> i) & 1) << (7 - i);
  return r;
});

/** One prefix code: either a single-symbol "simple" code (0 bits per use) or all 256 literals at 8 bits. */
function writePrefixCode(w: LsbWriter, alphabetSize: number, constant: number | null): void {
  if (constant !== null) {
    w.write(1, 1); // simple code
    w.write(0, 1); // one symbol
    w.write(1, 1); // 8-bit symbol
    w.write(constant, 8);
    return;
  }
  w.write(0, 1); // normal code
  // Code-length code: only lengths 0 and 8 occur, both coded with 1 bit ("0" -> 0, "1" -> 8).
  // Order is kCodeLengthCodeOrder = 17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, ...; 8 sits at index 11.
  w.write(12 - 4, 4);
  const lengths = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  for (const l of lengths) w.write(l, 3);
  w.write(0, 1); // max_symbol = alphabet size
  for (let s = 0; s < alphabetSize; s++) w.write(s < 256 ? 1 : 0, 1);
}

export function encodeWebpLossless(img: RasterImage): Buffer {
  const { width, height, channels, data } = img;
  const n = width * height;
  const channel = (c: number): number | null => {
    if (c === 3 && channels === 3) return 255;
    const first = data[c] as number;
    for (let i = 1; i < n; i++) if (data[i * channels + c] !== first) return null;
    return first;
  };
  const constants = [channel(1), channel(0), channel(2), channel(3)]; // green, red, blue, alpha
  const w = new LsbWriter();
  w.write(0x2f, 8);
  w.write(width - 1, 14);
  w.write(height - 1, 14);
  w.write(constants[3] === 255 ? 0 : 1, 1);
  w.write(0, 3);
  w.write(0, 1); // no transforms
  w.write(0, 1); // no colour cache
  w.write(0, 1); // no meta prefix codes
  writePrefixCode(w, 256 + 24, constants[0] ?? null);
  writePrefixCode(w, 256, constants[1] ?? null);
  writePrefixCode(w, 256, constants[2] ?? null);
  writePrefixCode(w, 256, constants[3] ?? null);
  // Distance code: a single symbol, never used.
  w.write(1, 1);
  w.write(0, 1);
  w.write(0, 1);
  w.write(0, 1);
  const order = [1, 0, 2, 3];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 4; k++) {
      if (constants[k] !== null) continue;
      const c = order[k] as number;
      const v = c === 3 && channels === 3 ? 255 : (data[i * channels + c] as number);
      w.write(REVERSED[v] as number, 8);
    }
  }
  const payload = w.finish();
  const pad = payload.length % 2;
  const out = Buffer.alloc(20 + payload.length + pad);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(12 + payload.length + pad, 4);
  out.write('WEBPVP8L', 8, 'latin1');
  out.writeUInt32LE(payload.length, 16);
  payload.copy(out, 20);
  return out;
}
