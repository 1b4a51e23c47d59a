/**
 * The simulated ComfyUI's directories and folder_paths rules: annotated file names
 * ("x.png [output]"), the `<prefix>_<counter:05>_` save counter, and Python's mimetypes table.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jpe': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.svg': 'image/svg+xml',
  '.ico': 'image/vnd.microsoft.icon',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.avi': 'video/x-msvideo',
  '.mpeg': 'video/mpeg',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/x-wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.m4a': 'audio/mp4',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.obj': 'model/obj',
};

/** `mimetypes.guess_type(name)[0]`. */
export function guessMime(name: string): string | null {
  return MIME[extname(name).toLowerCase()] ?? null;
}

export type DirType = 'input' | 'output' | 'temp';

/** True when `child` is `parent` or inside it (os.path.commonpath check). */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export interface SavePath {
  folder: string;
  filename: string;
  counter: number;
  subfolder: string;
}

export class DataDirs {
  readonly root: string;
  readonly input: string;
  readonly output: string;
  readonly temp: string;
  readonly user: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.input = join(this.root, 'input');
    this.output = join(this.root, 'output');
    this.temp = join(this.root, 'temp');
    this.user = join(this.root, 'user');
    for (const d of [this.input, this.output, this.temp, this.user]) mkdirSync(d, { recursive: true });
  }

  /** folder_paths.get_directory_by_type: null for unknown types. */
  dirByType(type: string): string | null {
    if (type === 'input') return this.input;
    if (type === 'output') return this.output;
    if (type === 'temp') return this.temp;
    return null;
  }

  /** folder_paths.annotated_filepath: strips " [output]" & co and returns the directory they name. */
  annotated(name: string): [string, string | null] {
    if (name.endsWith('[output]')) return [name.slice(0, -9), this.output];
    if (name.endsWith('[input]')) return [name.slice(0, -8), this.input];
    if (name.endsWith('[temp]')) return [name.slice(0, -7), this.temp];
    return [name, null];
  }

  /** folder_paths.get_annotated_filepath with the input directory as default. */
  inputFilePath(name: string): string {
    const [file, dir] = this.annotated(name);
    return join(dir ?? this.input, file);
  }

  inputFileExists(name: string): boolean {
    return existsSync(this.inputFilePath(name));
  }

  /** Top-level files of the input directory with the given content type, sorted (LoadImage's combo). */
  listInputFiles(kind: 'image' | 'video' | 'audio'): string[] {
    let names: string[];
    try {
      names = readdirSync(this.input);
    } catch {
      return [];
    }
    return names
      .filter((n) => guessMime(n)?.startsWith(`${kind}/`) && statSync(join(this.input, n), { throwIfNoEntry: false })?.isFile())
      .sort();
  }

  /** folder_paths.get_save_image_path: folder, base name and next counter for a filename prefix. */
  savePath(prefix: string, baseDir: string, width: number, height: number): SavePath {
    let p = prefix;
    if (p.includes('%')) {
      const now = new Date();
      const two = (n: number) => String(n).padStart(2, '0');
      p = p
        .replaceAll('%width%', String(width))
        .replaceAll('%height%', String(height))
        .replaceAll('%year%', String(now.getFullYear()))
        .replaceAll('%month%', two(now.getMonth() + 1))
        .replaceAll('%day%', two(now.getDate()))
        .replaceAll('%hour%', two(now.getHours()))
        .replaceAll('%minute%', two(now.getMinutes()))
        .replaceAll('%second%', two(now.getSeconds()));
    }
    const norm = normalize(p);
    const subfolder = dirname(norm) === '.' ? '' : dirname(norm);
    const filename = basename(norm);
    const folder = join(baseDir, subfolder);
    if (!isWithin(baseDir, folder)) {
      throw new Error(
        `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${resolve(folder)}\n         output_dir: ${baseDir}\n         commonpath: ${baseDir}`,
      );
    }
    let counter = 1;
    if (existsSync(folder)) {
      for (const name of readdirSync(folder)) {
        const prefixPart = name.slice(0, filename.length + 1);
        if (prefixPart.slice(0, -1).toLowerCase() !== filename.toLowerCase() || !prefixPart.endsWith('_')) continue;
        const part = name.slice(filename.length + 1).split('_')[0] ?? '';
        counter = Math.max(counter, (/^\d+$/.test(part) ? Number(part) : 0) + 1);
      }
    } else {
      mkdirSync(folder, { recursive: true });
    }
    return { folder, filename, counter, subfolder: subfolder.split(sep).join('/') };
  }
}
