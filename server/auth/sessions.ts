/**
 * Session cookies: a small payload signed with HMAC-SHA256 under a per-install
 * secret (<data>/session.key). Nothing is kept server-side, so sessions survive
 * restarts and work across server processes sharing the data folder. A seat's
 * session names the code generation it was made with, so rotating the code
 * logs that seat out everywhere; the admin's names a fingerprint of the password.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export const SEAT_COOKIE = 'cm_seat';
export const ADMIN_COOKIE = 'cm_admin';

const PayloadSchema = z.object({
  r: z.enum(['seat', 'admin']),
  s: z.string().optional(),
  g: z.union([z.number(), z.string()]),
  e: z.number(),
});
export type SessionPayload = z.infer<typeof PayloadSchema>;

export class SessionSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** Reads the install's secret, creating it (mode 0600) on first start. */
  static async load(file: string): Promise<SessionSigner> {
    try {
      const secret = await readFile(file);
      if (secret.length >= 32) return new SessionSigner(secret);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const secret = randomBytes(32);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, secret, { mode: 0o600 });
    return new SessionSigner(secret);
  }

  /** A keyed fingerprint, e.g. of the admin password, that reveals nothing about it. */
  fingerprint(value: string): string {
    return createHmac('sha256', this.#secret).update(`fingerprint:${value}`).digest('base64url').slice(0, 16);
  }

  sign(payload: SessionPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The payload when the signature is right and it has not expired; null for anything else. */
  verify(value: string | undefined, now = Date.now()): SessionPayload | null {
    if (!value || value.length > 1024) return null;
    const dot = value.indexOf('.');
    if (dot <= 0) return null;
    const body = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.#mac(body));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    try {
      const parsed = PayloadSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      if (!parsed.success || parsed.data.e <= now) return null;
      return parsed.data;
    } catch {
      return null;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}
