/** The admin panel's static build at /admin/ (or a clear 503 before it is built) and the API docs page. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, startTestServer, type TestServer } from './harness.ts';

describe('static pages', () => {
  let dist: string;
  let t: TestServer;
  before(async () => {
    dist = await mkdtemp(join(tmpdir(), 'cm-dist-'));
    t = await startTestServer({ adminDist: dist });
  });
  after(async () => {
    await t.close();
    await rm(dist, { recursive: true, force: true });
  });

  it('answers a clear 503 page while the admin panel is not built, and serves it once it is', async () => {
    const missing = await call(t.url, 'GET', '/admin/');
    assert.equal(missing.status, 503);
    assert.match(missing.text, /admin panel not built: run npm run build/);

    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>panel</title>');
    await writeFile(join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    const shell = await call(t.url, 'GET', '/admin/');
    assert.equal(shell.status, 200);
    assert.match(shell.headers.get('content-type') ?? '', /text\/html/);
    assert.match(shell.headers.get('cache-control') ?? '', /max-age=0/);
    const bundle = await call(t.url, 'GET', '/admin/assets/app-1234.js');
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    assert.match(bundle.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await call(t.url, 'GET', '/admin/seats/user01')).text, '<!doctype html><title>panel</title>', 'client routes get the app shell');
    assert.equal((await call(t.url, 'GET', '/admin')).headers.get('location'), '/admin/');
  });

  it('the docs page lists every operation', async () => {
    const page = await call(t.url, 'GET', '/api/v1/docs');
    assert.match(page.text, /<code>\/api\/v1\/jobs\/\{id\}\/cancel<\/code>/);
    assert.match(page.text, /<code>\/api\/v1\/events<\/code>/);
  });
});
