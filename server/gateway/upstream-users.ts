/**
 * Each seat is one ComfyUI user on the UI upstream (started with --multi-user),
 * so workflows and settings are isolated by ComfyUI itself. The user is
 * created through the upstream's own /users API the first time it is needed
 * and its id is remembered in the seat directory.
 */
import type { SeatDirectory } from '../../lib/seats/seat-directory.ts';

export interface UpstreamUsersOptions {
  upstream: string;
  seats: SeatDirectory;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class UpstreamUsers {
  readonly #upstream: string;
  readonly #seats: SeatDirectory;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Promise<string | null>>();
  /** null until the upstream answered GET /users; false when it runs without --multi-user. */
  #multiUser: boolean | null = null;

  constructor(options: UpstreamUsersOptions) {
    this.#upstream = options.upstream.replace(/\/+$/, '');
    this.#seats = options.seats;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Checks every seat's user now (the upstream may have been reset since the
   * ids were stored) and creates the missing ones. Failures are retried lazily
   * on the seat's next request.
   */
  async syncAll(): Promise<void> {
    let users: Record<string, string> | null;
    try {
      users = await this.#listUsers();
    } catch {
      return;
    }
    if (users === null) return;
    for (const seat of this.#seats.ids()) {
      const known = this.#seats.get(seat)?.comfyUserId;
      if (known && known in users) continue;
      await this.#ensure(seat, users).catch(() => null);
    }
  }

  /**
   * The Comfy-User value for a seat: its ComfyUI user id in multi-user mode,
   * the seat id when the upstream is single-user (it ignores the header), null
   * when the upstream cannot be reached right now.
   */
  userFor(seat: string): Promise<string | null> {
    const known = this.#seats.get(seat)?.comfyUserId;
    if (known) return Promise.resolve(known);
    if (this.#multiUser === false) return Promise.resolve(seat);
    let pending = this.#pending.get(seat);
    if (!pending) {
      pending = this.#ensure(seat)
        .catch(() => null)
        .finally(() => this.#pending.delete(seat));
      this.#pending.set(seat, pending);
    }
    return pending;
  }

  async #ensure(seat: string, listed?: Record<string, string>): Promise<string | null> {
    const users = listed ?? (await this.#listUsers());
    if (users === null) return seat;
    const existing = Object.entries(users).find(([, name]) => name === seat)?.[0];
    if (existing) {
      await this.#seats.setComfyUserId(seat, existing);
      return existing;
    }
    const created = await this.#request('POST', '/users', { username: seat });
    if (created.ok && typeof created.body === 'string') {
      await this.#seats.setComfyUserId(seat, created.body);
      return created.body;
    }
    // Another process may have created it between our list and our create.
    const again = await this.#listUsers();
    const id = again && Object.entries(again).find(([, name]) => name === seat)?.[0];
    if (!id) throw new Error(`the UI upstream refused to create user "${seat}"`);
    await this.#seats.setComfyUserId(seat, id);
    return id;
  }

  /** The upstream's users (id -> name), or null when it is single-user. */
  async #listUsers(): Promise<Record<string, string> | null> {
    const answer = await this.#request('GET', '/users');
    if (!answer.ok || typeof answer.body !== 'object' || answer.body === null) throw new Error('GET /users failed on the UI upstream');
    const users = (answer.body as { users?: unknown }).users;
    this.#multiUser = users !== undefined;
    if (users === undefined) return null;
    return Object.fromEntries(Object.entries(users as Record<string, unknown>).map(([id, name]) => [id, String(name)]));
  }

  async #request(method: string, path: string, body?: unknown): Promise<{ ok: boolean; body: unknown }> {
    const response = await this.#fetch(this.#upstream + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { ok: response.ok, body: parsed };
  }
}
