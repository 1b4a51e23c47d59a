/**
 * Per-seat output files on disk: <root>/<seat>/<job id>/<worker>[/temp][/<worker subfolder>]/<filename>.
 * The job id and worker in the path mean two workers' identical file names
 * (each ComfyUI counts `ComfyUI_00001_.png` on its own) can never collide.
 * Every path is built from validated segments; nothing from a request is joined raw.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { QueueError } from '../errors.ts';
import type { OutputFile } from '../job.ts';

const SEGMENT = /^(?!\.{1,2}$)[^/\\\0]{1,255}$/;

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.obj': 'model/obj',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

export function mimeOf(filename: string): string {
  return MIME[extname(filename).toLowerCase()] ?? 'application/octet-stream';
}

/** Splits a '/'-separated relative path into safe segments, or throws a `forbidden` error. */
export function safeSegments(path: string, field = 'path'): string[] {
  if (path === '') return [];
  const parts = path.split('/');
  for (const part of parts) {
    if (!SEGMENT.test(part)) throw new QueueError('forbidden', `${field} "${path}" is not a safe relative path`, { field });
  }
  return parts;
}

/** Streams `body` to `path` through a temporary name, so a half-written file never looks finished; answers its size. */
export async function writeAtomically(path: string, body: Readable | AsyncIterable<Uint8Array>): Promise<number> {
  const partial = `${path}.partial`;
  try {
    await pipeline(body, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return (await stat(path)).size;
}

export interface WorkerFile {
  filename: string;
  subfolder: string;
  type: string;
}

export class OutputStore {
  readonly root: string;

  constructor(options: { root: string }) {
    this.root = options.root;
  }

  /** The seat-store reference for a file a worker produced for a job. */
  refFor(seat: string, jobId: string, worker: string, file: WorkerFile, nodeId: string, kind: string): OutputFile {
    const type = file.type === 'temp' ? 'temp' : 'output';
    const segments = [jobId, worker, ...(type === 'temp' ? ['temp'] : []), ...safeSegments(file.subfolder, 'subfolder')];
    safeSegments(file.filename, 'filename');
    safeSegments(seat, 'seat');
    safeSegments(worker, 'worker');
    return { node_id: nodeId, kind, filename: file.filename, subfolder: segments.join('/'), type, mime: mimeOf(file.filename) };
  }

  /** Absolute path of a file in a seat's store; refuses anything that would leave it. */
  resolve(seat: string, subfolder: string, filename: string): string {
    const [seatPart] = safeSegments(seat, 'seat');
    const parts = safeSegments(subfolder, 'subfolder');
    const [name] = safeSegments(filename, 'filename');
    if (!name || name.includes('/')) throw new QueueError('forbidden', `filename "${filename}" is not a plain file name`, { field: 'filename' });
    const path = join(this.root, seatPart!, ...parts, name);
    if (!path.startsWith(join(this.root, seatPart!) + sep)) throw new QueueError('forbidden', 'path leaves the seat store', { field: 'subfolder' });
    return path;
  }

  /** Writes a file atomically (temp name, then rename) and returns its size. */
  async write(seat: string, ref: OutputFile, body: Readable | AsyncIterable<Uint8Array>): Promise<number> {
    const path = this.resolve(seat, ref.subfolder, ref.filename);
    await mkdir(join(path, '..'), { recursive: true });
    return writeAtomically(path, body);
  }

  async exists(seat: string, subfolder: string, filename: string): Promise<boolean> {
    try {
      return (await stat(this.resolve(seat, subfolder, filename))).isFile();
    } catch {
      return false;
    }
  }

  open(seat: string, subfolder: string, filename: string): Readable {
    return createReadStream(this.resolve(seat, subfolder, filename));
  }

  /** Every file in a seat's store as paths relative to it ("<job>/<worker>/x.png"), for zip export. */
  async listSeat(seat: string): Promise<{ path: string; size: number; mtime: Date }[]> {
    const [seatPart] = safeSegments(seat, 'seat');
    const base = join(this.root, seatPart!);
    const found: { path: string; size: number; mtime: Date }[] = [];
    const walk = async (dir: string, rel: string[]): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.isDirectory()) await walk(join(dir, entry.name), [...rel, entry.name]);
        else if (entry.isFile() && !entry.name.endsWith('.partial')) {
          const info = await stat(join(dir, entry.name));
          found.push({ path: [...rel, entry.name].join('/'), size: info.size, mtime: info.mtime });
        }
      }
    };
    await walk(base, []);
    return found;
  }
}
