/**
 * API tokens for integrations, created by the admin and shown once. Only a
 * SHA-256 digest is stored (<data>/tokens.json): tokens are long random
 * strings, so a fast digest is safe and makes every lookup O(1).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { JsonFile } from '../../lib/seats/json-file.ts';
import { digestToken, randomSecret } from '../../lib/seats/secrets.ts';

const TokenRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['seat', 'admin']),
  seat: z.string().nullable(),
  digest: z.string(),
  created_at: z.string(),
});
export type TokenRecord = z.infer<typeof TokenRecordSchema>;

export const TOKEN_PREFIX = 'cmt_';

export class ApiTokens {
  readonly #file: JsonFile<unknown>;
  #byDigest = new Map<string, TokenRecord>();
  #checkedAt = 0;

  constructor(options: { path: string }) {
    this.#file = new JsonFile(options.path);
    this.#load();
  }

  async create(options: { name: string; role: 'seat' | 'admin'; seat: string | null }): Promise<{ token: string; record: TokenRecord }> {
    this.#reloadIfChanged(true);
    const token = TOKEN_PREFIX + randomSecret(32);
    const record: TokenRecord = {
      id: randomUUID(),
      name: options.name,
      role: options.role,
      seat: options.role === 'seat' ? options.seat : null,
      digest: digestToken(token),
      created_at: new Date().toISOString(),
    };
    this.#byDigest.set(record.digest, record);
    await this.#file.write([...this.#byDigest.values()]);
    return { token, record };
  }

  lookup(token: string): TokenRecord | null {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    this.#reloadIfChanged();
    return this.#byDigest.get(digestToken(token)) ?? null;
  }

  #load(): void {
    const parsed = z.array(TokenRecordSchema).safeParse(this.#file.read() ?? []);
    this.#byDigest = new Map(parsed.success ? parsed.data.map((r) => [r.digest, r]) : []);
  }

  #reloadIfChanged(force = false): void {
    const now = Date.now();
    if (!force && now - this.#checkedAt < 1000) return;
    this.#checkedAt = now;
    if (this.#file.changed()) this.#load();
  }
}
