/**
 * The workshop's seats: ids (user01…), display names, access codes (stored as
 * salted scrypt hashes, shown only when issued), disabled flags and the
 * ComfyUI user id each seat has on the UI upstream. Persisted in one JSON file
 * so codes survive restarts; the CLI and the server may both edit it.
 */
import { z } from 'zod';
import { QueueError } from '../errors.ts';
import { SeatIdSchema } from '../job.ts';
import type { SeatStatus } from '../queue.ts';
import { JsonFile } from './json-file.ts';
import { generateCode, hashSecret, normalizeCode, verifySecret } from './secrets.ts';

const SeatRecordSchema = z.object({
  /** Set by the instructor; otherwise the configured name is shown. */
  name: z.string().nullable().default(null),
  code_hash: z.string().nullable().default(null),
  /** Bumped by every code rotation, so sessions from an older code stop working. */
  generation: z.number().int().nonnegative().default(0),
  disabled: z.boolean().default(false),
  comfy_user_id: z.string().nullable().default(null),
});
type SeatRecord = z.infer<typeof SeatRecordSchema>;

const SeatFileSchema = z.object({
  version: z.literal(1),
  seats: z.record(z.string(), SeatRecordSchema),
});
type SeatFile = z.infer<typeof SeatFileSchema>;

export interface SeatInfo {
  id: string;
  name: string;
  disabled: boolean;
  generation: number;
  comfyUserId: string | null;
}

export interface SeatDirectoryOptions {
  /** The JSON file, e.g. <data>/seats.json. */
  path: string;
  count: number;
  /** Seat ids are prefix + a zero-padded number: user01, user02… */
  prefix?: string;
  /** Display names in seat order (names[0] is the first seat's). */
  names?: readonly string[];
}

/** Seat ids for a count and prefix: at least two digits, more when the count needs them. */
export function seatIds(count: number, prefix = 'user'): string[] {
  const width = Math.max(2, String(count).length);
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
  for (const id of ids) {
    if (!SeatIdSchema.safeParse(id).success) {
      throw new QueueError('invalid_request', `seat id "${id}" is not valid: use a prefix of a-z, 0-9, "_" or "-"`, { field: 'seats.prefix' });
    }
  }
  return ids;
}

export class SeatDirectory {
  readonly #file: JsonFile<unknown>;
  readonly #ids: string[];
  readonly #configNames = new Map<string, string>();
  #data: SeatFile = { version: 1, seats: {} };
  #writes: Promise<void> = Promise.resolve();
  #checkedAt = 0;

  private constructor(options: SeatDirectoryOptions) {
    this.#file = new JsonFile(options.path);
    this.#ids = seatIds(options.count, options.prefix);
    options.names?.forEach((name, index) => {
      const id = this.#ids[index];
      if (id !== undefined && name.trim() !== '') this.#configNames.set(id, name.trim());
    });
  }

  /**
   * Opens (or creates) the directory. Seats without a code get one now; those
   * codes are returned, in seat order, because this is the only time they exist in clear.
   */
  static async open(options: SeatDirectoryOptions): Promise<{ directory: SeatDirectory; issued: Map<string, string> }> {
    const directory = new SeatDirectory(options);
    directory.#load();
    const issued = new Map<string, string>();
    for (const id of directory.#ids) {
      if (directory.#record(id).code_hash === null) issued.set(id, await directory.#issue(id));
    }
    if (issued.size > 0 || !directory.#file.read()) await directory.#save();
    return { directory, issued };
  }

  ids(): string[] {
    return [...this.#ids];
  }

  has(seat: string): boolean {
    return this.#ids.includes(seat);
  }

  get(seat: string): SeatInfo | null {
    if (!this.has(seat)) return null;
    this.#reloadIfChanged();
    return this.#info(seat);
  }

  list(): SeatInfo[] {
    this.#reloadIfChanged(true);
    return this.#ids.map((id) => this.#info(id));
  }

  /** For the queue's `seatStatus` option. */
  status(seat: string): SeatStatus {
    const info = this.get(seat);
    if (!info) return 'unknown';
    return info.disabled ? 'disabled' : 'active';
  }

  /** The seat when the code is right (even if disabled: the caller decides what to say), else null. */
  async verify(seat: string, code: string): Promise<SeatInfo | null> {
    if (!this.has(seat)) return null;
    this.#reloadIfChanged(true);
    const hash = this.#record(seat).code_hash;
    if (hash === null || code.length > 64) return null;
    return (await verifySecret(normalizeCode(code), hash)) ? this.#info(seat) : null;
  }

  /** Issues a new code (the old one and every session made with it stop working) and returns it. */
  async rotate(seat: string): Promise<string> {
    this.#require(seat);
    this.#reloadIfChanged(true);
    const code = await this.#issue(seat);
    await this.#save();
    return code;
  }

  async update(seat: string, change: { name?: string | null; disabled?: boolean }): Promise<SeatInfo> {
    this.#require(seat);
    this.#reloadIfChanged(true);
    const record = this.#record(seat);
    if (change.name !== undefined) record.name = change.name === null || change.name.trim() === '' ? null : change.name.trim();
    if (change.disabled !== undefined) record.disabled = change.disabled;
    await this.#save();
    return this.#info(seat);
  }

  async setComfyUserId(seat: string, id: string): Promise<void> {
    this.#require(seat);
    this.#reloadIfChanged(true);
    this.#record(seat).comfy_user_id = id;
    await this.#save();
  }

  #require(seat: string): void {
    if (!this.has(seat)) throw new QueueError('not_found', `seat "${seat}" does not exist`, { field: 'seat' });
  }

  #info(id: string): SeatInfo {
    const record = this.#record(id);
    return {
      id,
      name: record.name ?? this.#configNames.get(id) ?? id,
      disabled: record.disabled,
      generation: record.generation,
      comfyUserId: record.comfy_user_id,
    };
  }

  #record(id: string): SeatRecord {
    let record = this.#data.seats[id];
    if (!record) {
      record = SeatRecordSchema.parse({});
      this.#data.seats[id] = record;
    }
    return record;
  }

  async #issue(seat: string): Promise<string> {
    const code = generateCode();
    const record = this.#record(seat);
    record.code_hash = await hashSecret(normalizeCode(code));
    record.generation += 1;
    return code;
  }

  #load(): void {
    const raw = this.#file.read();
    if (raw === null) return;
    const parsed = SeatFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new QueueError('invalid_request', `${this.#file.path} is not a valid seats file: ${parsed.error.issues[0]?.message}`);
    }
    this.#data = parsed.data;
  }

  /** Picks up edits made by another process (the `seats` CLI), at most once a second unless forced. */
  #reloadIfChanged(force = false): void {
    const now = Date.now();
    if (!force && now - this.#checkedAt < 1000) return;
    this.#checkedAt = now;
    if (this.#file.changed()) this.#load();
  }

  #save(): Promise<void> {
    const snapshot = structuredClone(this.#data);
    this.#writes = this.#writes.catch(() => undefined).then(() => this.#file.write(snapshot));
    return this.#writes;
  }
}
