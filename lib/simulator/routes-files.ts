/**
 * /view and /upload/{image,mask}: ComfyUI's path rules (annotated names, 400 for "..", 403 for
 * escaping sub-folders), duplicate detection by hash with " (1)" renaming, channel/preview re-encoding.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, normalize, resolve } from 'node:path';
import { guessMime, isWithin } from './data-dirs.ts';
import { type RequestCtx, type Router, sendBytes, sendEmpty, sendFile, sendJson } from './http-kit.ts';
import { alphaOf, toRgb } from './images.ts';
import type { Instance } from './instance.ts';
import { encodeJpeg } from './jpeg.ts';
import { type Form, isFile, parseForm } from './multipart.ts';
import { type RasterImage, decodePng, encodePng } from './png.ts';
import { ServerCrash } from './validation.ts';
import { encodeWebpLossless } from './webp.ts';

const DOWNLOAD_ONLY = new Set(['text/html', 'text/html-sandboxed', 'application/xhtml+xml', 'text/javascript', 'text/css']);

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** server.py image_upload: returns the JSON answer or an empty-bodied status. */
function imageUpload(inst: Instance, form: Form, save?: (path: string, data: Buffer) => void): Record<string, unknown> | number {
  const image = form.get('image');
  const typeField = form.get('type');
  const uploadType = typeField === undefined ? 'input' : typeField;
  const dir = typeof uploadType === 'string' ? inst.dirs.dirByType(uploadType) : null;
  if (dir === null) throw new ServerCrash("cannot access local variable 'type_dir'");
  if (!isFile(image)) {
    if (typeof image === 'string' && image !== '') throw new ServerCrash("'str' object has no attribute 'file'");
    return 400;
  }
  let filename = image.filename;
  if (!filename) return 400;
  const subfolder = form.text('subfolder') ?? '';
  const folder = resolve(dir, normalize(subfolder));
  let filepath = resolve(folder, filename);
  if (!isWithin(dir, filepath)) return 400;
  mkdirSync(folder, { recursive: true });
  const ext = extname(filename);
  const stem = filename.slice(0, filename.length - ext.length);
  const overwrite = form.text('overwrite');
  let duplicate = false;
  if (overwrite !== 'true' && overwrite !== '1') {
    for (let i = 1; existsSync(filepath); i++) {
      if (sha256(readFileSync(filepath)) === sha256(image.data)) {
        duplicate = true;
        break;
      }
      filename = `${stem} (${i})${ext}`;
      filepath = join(folder, filename);
    }
  }
  if (!duplicate) {
    if (save) save(filepath, image.data);
    else writeFileSync(filepath, image.data);
  }
  return { name: filename, subfolder, type: uploadType };
}

function answer(ctx: RequestCtx, result: Record<string, unknown> | number): void {
  if (typeof result === 'number') sendEmpty(ctx, result);
  else sendJson(ctx, result);
}

/** The mask editor's upload: the uploaded image's alpha put onto the referenced original. */
function uploadMask(inst: Instance, form: Form): Record<string, unknown> | number {
  return imageUpload(inst, form, (path, data) => {
    const ref = JSON.parse(form.text('original_ref') ?? 'null') as Record<string, string>;
    const [name, annotatedDir] = inst.dirs.annotated(String(ref['filename'] ?? ''));
    if (!name || name.startsWith('/') || name.includes('..')) return;
    let dir = annotatedDir ?? inst.dirs.dirByType(ref['type'] ?? 'output');
    if (dir === null) return;
    if ((ref['subfolder'] ?? '') !== '') {
      const full = resolve(dir, String(ref['subfolder']));
      if (!isWithin(dir, full)) return;
      dir = full;
    }
    const original = join(dir, name);
    if (!existsSync(original)) return;
    const base = toRgb(decodePng(readFileSync(original)));
    const mask = decodePng(data);
    if (mask.width !== base.width || mask.height !== base.height) throw new ServerCrash('images do not match');
    const alpha = alphaOf(mask);
    const rgba = new Uint8Array(base.width * base.height * 4);
    for (let i = 0; i < base.width * base.height; i++) {
      rgba.set(base.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = alpha[i] as number;
    }
    writeFileSync(path, encodePng({ width: base.width, height: base.height, channels: 4, data: rgba }, { compressLevel: 4 }));
  });
}

function view(ctx: RequestCtx, inst: Instance) {
  const q = ctx.query;
  const requested = q.get('filename');
  if (requested === null) return sendEmpty(ctx, 404);
  const [name, annotatedDir] = inst.dirs.annotated(requested);
  if (!name) return sendEmpty(ctx, 400);
  if (name.startsWith('/') || name.includes('..')) return sendEmpty(ctx, 400);
  let dir = annotatedDir ?? inst.dirs.dirByType(q.get('type') ?? 'output');
  if (dir === null) return sendEmpty(ctx, 400);
  if (q.has('subfolder')) {
    const full = resolve(dir, q.get('subfolder') ?? '');
    if (!isWithin(dir, full)) return sendEmpty(ctx, 403);
    dir = full;
  }
  const file = join(dir, basename(name));
  const fileName = basename(name);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return sendEmpty(ctx, 404);
  const disposition = { 'Content-Disposition': `filename="${fileName}"` };
  const channel = q.get('channel') ?? 'rgba';
  const preview = q.get('preview');
  if (preview !== null) {
    const info = preview.split(';');
    let format = info[0] ?? '';
    if ((format !== 'webp' && format !== 'jpeg') || (q.get('channel') ?? '').includes('a')) format = 'webp';
    const qualityText = info.at(-1) ?? '';
    const quality = /^\d+$/.test(qualityText) ? Number(qualityText) : 90;
    let img: RasterImage = decodePng(readFileSync(file));
    if (format === 'jpeg' || channel === 'rgb') img = toRgb(img);
    const bytes = format === 'jpeg' ? encodeJpeg(img, quality) : encodeWebpLossless(img);
    return sendBytes(ctx, bytes, `image/${format}`, disposition);
  }
  if (channel === 'rgb') {
    return sendBytes(ctx, encodePng(toRgb(decodePng(readFileSync(file)))), 'image/png', disposition);
  }
  if (channel === 'a') {
    const img = decodePng(readFileSync(file));
    const alpha = alphaOf(img);
    const data = new Uint8Array(img.width * img.height * 4);
    for (let i = 0; i < alpha.length; i++) data[i * 4 + 3] = alpha[i] as number;
    return sendBytes(ctx, encodePng({ width: img.width, height: img.height, channels: 4, data }), 'image/png', disposition);
  }
  let type = guessMime(fileName) ?? 'application/octet-stream';
  if (DOWNLOAD_ONLY.has(type)) type = 'application/octet-stream';
  sendFile(ctx, file, { ...disposition, 'Content-Type': type });
}

export function addFileRoutes(router: Router, inst: Instance): void {
  router.add('GET', '/view', (ctx) => view(ctx, inst));
  router.add('POST', '/upload/image', async (ctx) => {
    answer(ctx, imageUpload(inst, parseForm(ctx.header('content-type'), await ctx.body())));
  });
  router.add('POST', '/upload/mask', async (ctx) => {
    answer(ctx, uploadMask(inst, parseForm(ctx.header('content-type'), await ctx.body())));
  });
  router.add('GET', '/view_metadata/{folder_name}', (ctx) => sendEmpty(ctx, 404));
}
