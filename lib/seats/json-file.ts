/**
 * A small JSON document on disk, written atomically (temp file + rename, mode
 * 0600) and re-read when another process (e.g. the CLI) changed it.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export class JsonFile<T> {
  readonly path: string;
  #stamp = '';

  constructor(path: string) {
    this.path = path;
  }

  /** The parsed document, or null when the file does not exist. */
  read(): T | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
      this.#stamp = this.#currentStamp();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  /** True when the file changed on disk since this instance last read or wrote it. */
  changed(): boolean {
    return this.#currentStamp() !== this.#stamp;
  }

  async write(value: T): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.path);
    this.#stamp = this.#currentStamp();
  }

  #currentStamp(): string {
    try {
      const info = statSync(this.path);
      return `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch {
      return 'missing';
    }
  }
}
