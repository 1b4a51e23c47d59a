/**
 * Logging in and staying logged in: cookie attributes, login by URL and by
 * form, rate limits with Retry-After, code rotation logging a seat out, and
 * codes that survive a restart while never being stored in clear.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, cookiesOf, loginAdmin, loginSeat, startTestServer } from './harness.ts';

describe('sessions', () => {
  it('seat cookies are HttpOnly, SameSite=Lax, Path=/; logout clears both cookies', async () => {
    const t = await startTestServer();
    try {
      const login = await call(t.url, 'POST', '/api/v1/session', { body: { seat: 'user01', code: t.codes.get('user01') } });
      assert.deepEqual(login.body, { seat: 'user01', name: 'user01' });
      const [cookie] = login.headers.getSetCookie();
      assert.match(cookie!, /^cm_seat=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
      const admin = await call(t.url, 'POST', '/api/v1/admin/session', { body: { password: 'wrong-password' } });
      assert.equal(admin.status, 401);
      const out = await call(t.url, 'DELETE', '/api/v1/session', { auth: { cookie: cookiesOf(login.headers) } });
      assert.equal(out.status, 204);
      const cleared = out.headers.getSetCookie();
      assert.ok(cleared.some((c) => c.startsWith('cm_seat=;')) && cleared.some((c) => c.startsWith('cm_admin=;')));
      assert.ok(cleared.every((c) => /Max-Age=0/.test(c)));
    } finally {
      await t.close();
    }
  });

  it('GET /user/<seat>/?code= logs in and redirects; a wrong code gets a 401 login page; the form logs in too', async () => {
    const t = await startTestServer();
    try {
      const ok = await call(t.url, 'GET', `/user/user01/?code=${encodeURIComponent(t.codes.get('user01')!)}`);
      assert.equal(ok.status, 302);
      assert.equal(ok.headers.get('location'), '/user/user01/');
      const cookie = cookiesOf(ok.headers);
      assert.equal((await call(t.url, 'GET', '/api/v1/session', { auth: { cookie } })).status, 200);
      const wrong = await call(t.url, 'GET', '/user/user01/?code=AAAA-BBBB-CCCC');
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('content-type') ?? '', /text\/html/);
      assert.match(wrong.text, /wrong seat or access code/);

      const anonymous = await call(t.url, 'GET', '/user/user02/', { headers: { accept: 'text/html' } });
      assert.equal(anonymous.status, 302);
      assert.equal(anonymous.headers.get('location'), '/login?seat=user02&next=%2Fuser%2Fuser02%2F');
      const form = new URLSearchParams({ seat: 'user02', code: t.codes.get('user02')!, next: '/user/user02/' });
      const posted = await call(t.url, 'POST', '/login', { raw: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(posted.status, 303);
      assert.equal(posted.headers.get('location'), '/user/user02/');
      const outside = new URLSearchParams({ seat: 'user02', code: t.codes.get('user02')!, next: 'https://evil.example/' });
      const safe = await call(t.url, 'POST', '/login', { raw: outside, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(safe.headers.get('location'), '/user/user02/', 'never redirects outside the seat');
    } finally {
      await t.close();
    }
  });

  it('wrong codes are limited per seat and failures per address, with 429 and Retry-After', async () => {
    const t = await startTestServer({ config: { limits: { login_failures_per_seat: 3, login_per_ip_per_minute: 5 } } });
    try {
      const login = (seat: string, code: string | undefined) => call(t.url, 'POST', '/api/v1/session', { body: { seat, code } });
      for (let i = 0; i < 3; i++) assert.equal((await login('user01', 'WRONG')).status, 401);
      const limited = await login('user01', t.codes.get('user01'));
      assert.equal(limited.status, 429, 'even the right code waits once the seat is over its limit');
      assert.equal((limited.body as { error: { code: string } }).error.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      // Successful logins never count: a room behind one proxy address logs in at once.
      for (let i = 0; i < 6; i++) assert.equal((await login('user02', t.codes.get('user02'))).status, 200);
      // Two more failures (another seat) reach this address's limit of 5.
      for (let i = 0; i < 2; i++) assert.equal((await login('user03', 'WRONG')).status, 401);
      const byAddress = await login('user03', t.codes.get('user03'));
      assert.equal(byAddress.status, 429);
      assert.match((byAddress.body as { error: { message: string } }).error.message, /from this address/);
    } finally {
      await t.close();
    }
  });

  it('rotating a code ends that seat’s sessions; codes survive a restart and are stored only hashed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cm-restart-'));
    try {
      const first = await startTestServer({ dataDir });
      const codes = new Map(first.codes);
      const seatA = await loginSeat(first.url, 'user01', codes.get('user01')!);
      const admin = await loginAdmin(first.url);
      await first.close();

      const second = await startTestServer({ dataDir });
      try {
        assert.equal(second.codes.size, 0, 'no new codes on restart');
        assert.equal((await call(second.url, 'GET', '/api/v1/session', { auth: seatA })).status, 200, 'sessions survive a restart');
        await loginSeat(second.url, 'user02', codes.get('user02')!);
        const stored = await readFile(join(dataDir, 'seats.json'), 'utf8');
        for (const code of codes.values()) {
          assert.ok(!stored.includes(code) && !stored.includes(code.replaceAll('-', '')), 'codes are never stored in clear');
        }
        assert.match(stored, /scrypt\$/);
        const rotated = await call(second.url, 'POST', '/api/v1/admin/seats/user01/code', { auth: admin });
        assert.equal(rotated.status, 200);
        assert.equal((await call(second.url, 'GET', '/api/v1/session', { auth: seatA })).status, 401, 'the old session is gone');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
