/**
 * Who is calling: resolves bearer tokens and session cookies into a Caller,
 * checks access levels, and runs the rate-limited logins.
 */
import { QueueError } from '../../lib/errors.ts';
import type { SeatDirectory, SeatInfo } from '../../lib/seats/seat-directory.ts';
import { safeEqual } from '../../lib/seats/secrets.ts';
import type { Viewer } from '../views.ts';
import { AttemptLimiter } from './rate-limit.ts';
import { ADMIN_COOKIE, SEAT_COOKIE, type SessionSigner } from './sessions.ts';
import type { ApiTokens } from './tokens.ts';

export type Caller =
  | { role: 'anonymous' }
  | { role: 'seat'; seat: string; via: 'cookie' | 'token'; tokenName?: string }
  | { role: 'admin'; via: 'cookie' | 'token'; tokenName?: string };

/** public: anyone; user: a seat (cookie or token) or the admin; admin: the admin only. */
export type Access = 'public' | 'user' | 'admin';

export const SEAT_SESSION_MS = 7 * 24 * 3600_000;
export const ADMIN_SESSION_MS = 24 * 3600_000;

export interface AuthOptions {
  seats: SeatDirectory;
  tokens: ApiTokens;
  signer: SessionSigner;
  adminPassword: string;
  loginPerIpPerMinute: number;
  loginFailuresPerSeat: number;
}

export interface RequestCredentials {
  authorization?: string | undefined;
  cookies: Record<string, string | undefined>;
  /** `?token=` for WebSockets, where browsers cannot set headers. */
  queryToken?: string | undefined;
}

export class Auth {
  readonly seats: SeatDirectory;
  readonly #tokens: ApiTokens;
  readonly #signer: SessionSigner;
  readonly #adminPassword: string;
  readonly #adminGeneration: string;
  readonly #perIp: AttemptLimiter;
  readonly #perSeat: AttemptLimiter;

  constructor(options: AuthOptions) {
    this.seats = options.seats;
    this.#tokens = options.tokens;
    this.#signer = options.signer;
    this.#adminPassword = options.adminPassword;
    this.#adminGeneration = options.signer.fingerprint(options.adminPassword);
    this.#perIp = new AttemptLimiter({ limit: options.loginPerIpPerMinute, windowMs: 60_000 });
    this.#perSeat = new AttemptLimiter({ limit: options.loginFailuresPerSeat, windowMs: 10 * 60_000 });
  }

  /** A bad bearer token is an error (401), never a silent fall-back to cookies. */
  resolve(credentials: RequestCredentials): Caller {
    const bearer = /^Bearer\s+(\S+)$/i.exec(credentials.authorization ?? '')?.[1] ?? credentials.queryToken;
    if (bearer !== undefined) {
      const record = this.#tokens.lookup(bearer);
      if (!record) throw new QueueError('unauthorized', 'the API token is not valid');
      if (record.role === 'admin') return { role: 'admin', via: 'token', tokenName: record.name };
      return { role: 'seat', seat: record.seat!, via: 'token', tokenName: record.name };
    }
    const admin = this.#signer.verify(credentials.cookies[ADMIN_COOKIE]);
    if (admin?.r === 'admin' && admin.g === this.#adminGeneration) return { role: 'admin', via: 'cookie' };
    const seat = this.#signer.verify(credentials.cookies[SEAT_COOKIE]);
    if (seat?.r === 'seat' && seat.s !== undefined) {
      const info = this.seats.get(seat.s);
      if (info && info.generation === seat.g) return { role: 'seat', seat: seat.s, via: 'cookie' };
    }
    return { role: 'anonymous' };
  }

  /** Throws 401/403 unless the caller has `access`. */
  require(caller: Caller, access: Access): void {
    if (access === 'public') return;
    if (caller.role === 'anonymous') throw new QueueError('unauthorized', 'log in first: a seat code or the admin password is needed');
    if (access === 'admin' && caller.role !== 'admin') throw new QueueError('forbidden', 'this needs the instructor (admin) login');
    if (caller.role === 'seat' && this.seats.get(caller.seat)?.disabled) {
      throw new QueueError('seat_disabled', `seat "${caller.seat}" is disabled by the instructor`);
    }
  }

  viewerOf(caller: Caller): Viewer | null {
    if (caller.role === 'admin') return { role: 'admin' };
    if (caller.role === 'seat') return { role: 'seat', seat: caller.seat };
    return null;
  }

  async loginSeat(seat: string, code: string, ip: string): Promise<{ info: SeatInfo; cookie: string }> {
    this.#perIp.check(ip, 'failed logins from this address');
    this.#perSeat.check(seat, `wrong codes for seat ${seat}`);
    const info = await this.seats.verify(seat, code);
    if (!info) {
      // Only failures count: a whole workshop behind one proxy address logs in at once.
      this.#perIp.record(ip);
      this.#perSeat.record(seat);
      throw new QueueError('unauthorized', 'wrong seat or access code', { field: 'code' });
    }
    if (info.disabled) throw new QueueError('seat_disabled', `seat "${seat}" is disabled by the instructor`, { field: 'seat' });
    const cookie = this.#signer.sign({ r: 'seat', s: seat, g: info.generation, e: Date.now() + SEAT_SESSION_MS });
    return { info, cookie };
  }

  loginAdmin(password: string, ip: string): string {
    this.#perIp.check(ip, 'failed logins from this address');
    this.#perSeat.check('\0admin', 'wrong admin passwords');
    if (!safeEqual(password, this.#adminPassword)) {
      this.#perIp.record(ip);
      this.#perSeat.record('\0admin');
      throw new QueueError('unauthorized', 'wrong admin password', { field: 'password' });
    }
    return this.#signer.sign({ r: 'admin', g: this.#adminGeneration, e: Date.now() + ADMIN_SESSION_MS });
  }
}
