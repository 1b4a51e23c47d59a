/**
 * Instructor announcements. Posted through the store's signal channel so every
 * server process sharing a Redis store shows them; the latest are kept in
 * <data>/announcements.json so a restart does not forget them.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { JsonFile } from '../lib/seats/json-file.ts';
import type { QueueStore, StoreSignal } from '../lib/store/queue-store.ts';
import { TypedEmitter } from '../lib/typed-emitter.ts';

const AnnouncementRecordSchema = z.object({ id: z.string(), text: z.string(), at: z.number() });
export type Announcement = z.infer<typeof AnnouncementRecordSchema>;

const TOPIC = 'comfy-multi.announcement';

export class Announcements {
  readonly events = new TypedEmitter<{ added: Announcement }>();
  readonly #store: QueueStore;
  readonly #file: JsonFile<unknown> | null;
  readonly #keep: number;
  #list: Announcement[] = [];
  #unwatch: (() => void) | null = null;

  constructor(options: { store: QueueStore; file?: string; keep?: number }) {
    this.#store = options.store;
    this.#file = options.file ? new JsonFile(options.file) : null;
    this.#keep = options.keep ?? 100;
  }

  init(): void {
    const stored = z.array(AnnouncementRecordSchema).safeParse(this.#file?.read() ?? []);
    if (stored.success) this.#list = stored.data.slice(-this.#keep);
    this.#unwatch = this.#store.watch((signal) => this.#onSignal(signal));
  }

  close(): void {
    this.#unwatch?.();
    this.#unwatch = null;
  }

  /** Oldest first. */
  list(): Announcement[] {
    return [...this.#list];
  }

  async post(text: string): Promise<Announcement> {
    const announcement: Announcement = { id: randomUUID(), text, at: Date.now() };
    this.#add(announcement);
    await this.#store.publish({ kind: 'custom', topic: TOPIC, payload: announcement });
    return announcement;
  }

  #onSignal(signal: StoreSignal): void {
    if (signal.kind !== 'custom' || signal.topic !== TOPIC) return;
    const parsed = AnnouncementRecordSchema.safeParse(signal.payload);
    if (parsed.success) this.#add(parsed.data);
  }

  #add(announcement: Announcement): void {
    if (this.#list.some((a) => a.id === announcement.id)) return;
    this.#list.push(announcement);
    if (this.#list.length > this.#keep) this.#list.splice(0, this.#list.length - this.#keep);
    this.events.emit('added', announcement);
    void this.#file?.write(this.#list).catch(() => undefined);
  }
}

export const announcementJson = (a: Announcement): { id: string; text: string; at: string } => ({
  id: a.id,
  text: a.text,
  at: new Date(a.at).toISOString(),
});
