/**
 * The chore scripts in scripts/, run as the instructor runs them (separate
 * processes, real files, real servers on loopback): what they write is what a
 * person would open afterwards — a restorable backup, zips per seat, cards, a
 * shut-down GPU instance.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createQueue } from '../../lib/queue.ts';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { SqliteQueueStore } from '../../lib/store/sqlite-store.ts';
import { exportFromData, exportFromServer, exportFolder } from '../../scripts/export-outputs.ts';
import { parseSeatTable, seatCardsHtml } from '../../scripts/print-seat-cards.ts';
import { startFakeVerda } from '../providers/fake-verda.ts';
import { readZip } from '../helpers/zip.ts';
import { until } from '../helpers/wait.ts';
import { ADMIN_PASSWORD, call, loginAdmin, PROMPT, startTestServer, type TestServer } from '../server/harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<Result> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin?.end(options.input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const node = (script: string, args: string[], options?: Parameters<typeof run>[2]) => run(process.execPath, [join(ROOT, 'scripts', script), ...args], options);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cm-scripts-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('scripts/print-seat-cards.ts', () => {
  const table = [
    'user01     https://gpu.example.org/user/user01/?code=A95V-DFGE-SSDD',
    'user02     https://gpu.example.org/user/user02/',
    '',
    '1 code(s) are stored hashed and cannot be shown; "seats urls --rotate" issues new ones.',
  ].join('\n');

  it('reads the seats urls table: seat, address without the code, code or none', () => {
    assert.deepEqual(parseSeatTable(table), [
      { seat: 'user01', url: 'https://gpu.example.org/user/user01/', code: 'A95V-DFGE-SSDD' },
      { seat: 'user02', url: 'https://gpu.example.org/user/user02/', code: null },
    ]);
  });

  it('prints one card per seat, with the code in large type and text escaped', () => {
    const html = seatCardsHtml(parseSeatTable(table), 'Art & <Code>');
    assert.equal(html.match(/<section class="card">/g)?.length, 2);
    assert.match(html, /<div class="code">A95V-DFGE-SSDD<\/div>/);
    assert.match(html, /no code known: ask the instructor/);
    assert.match(html, /Art &amp; &lt;Code&gt;/);
    assert.doesNotMatch(html, /<Code>/);
  });

  it('reads standard input, warns about seats without a code, and refuses input without seats', async () => {
    const ok = await node('print-seat-cards.ts', [], { input: table });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^<!doctype html>/);
    assert.match(ok.stderr, /no code for user02/);
    const empty = await node('print-seat-cards.ts', [], { input: 'nothing here\n' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no seat lines in the input/);
  });
});

describe('scripts/backup-data.sh', () => {
  const hasSqlite3 = spawnSync('sh', ['-c', 'command -v sqlite3']).status === 0;
  for (const how of ['sqlite3', 'node:sqlite']) {
    const skip = how === 'sqlite3' && !hasSqlite3 ? 'the sqlite3 command is not installed here' : false;
    it(`backs up a live data folder consistently (${how}) and the archive restores into a working queue`, { skip }, async () => {
      const data = join(tmp, `live-${how}`);
      await mkdir(join(data, 'outputs', 'user01', 'job', 'gpu0'), { recursive: true });
      await writeFile(join(data, 'outputs', 'user01', 'job', 'gpu0', 'a.png'), 'png bytes');
      await writeFile(join(data, 'outputs', 'user01', 'job', 'gpu0', 'b.png.partial'), 'half written');
      await writeFile(join(data, 'seats.json'), '{"version":1,"seats":{}}');
      // The server's store stays open with its writes in the WAL, as during the workshop.
      const store = new SqliteQueueStore({ path: join(data, 'queue.db') });
      const queue = await createQueue({ store });
      const { job } = await queue.submit({ seat: 'user01', prompt: PROMPT });
      try {
        const out = join(tmp, `backups-${how}`);
        const result = await run(join(ROOT, 'scripts', 'backup-data.sh'), ['--out', out, data], { env: how === 'node:sqlite' ? { SQLITE3: '' } : {} });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`queue\\.db snapshot by ${how}`));
        const [archive] = await readdir(out);
        assert.match(archive!, /^comfy-multi-data-\d{8}-\d{6}\.tar\.gz$/);

        const restored = join(tmp, `restored-${how}`);
        await mkdir(restored);
        const untar = await run('tar', ['-xzf', join(out, archive!), '-C', restored]);
        assert.equal(untar.code, 0, untar.stderr);
        const files = await readdir(restored, { recursive: true });
        assert.ok(files.includes('seats.json'));
        assert.ok(files.includes(join('outputs', 'user01', 'job', 'gpu0', 'a.png')));
        assert.ok(!files.some((file) => file.endsWith('.partial')), 'files still being written are left out');
        assert.ok(!files.includes('queue.db-wal'), 'the snapshot replaces the live database and its WAL');
        const copy = new SqliteQueueStore({ path: join(restored, 'queue.db') });
        try {
          await copy.init();
          assert.equal((await copy.get(job.id))?.state, 'queued');
        } finally {
          await copy.close();
        }
      } finally {
        await queue.close();
        await store.close();
      }
    });
  }

  it('says what is wrong with its arguments', async () => {
    const script = join(ROOT, 'scripts', 'backup-data.sh');
    assert.equal((await run(script, ['--help'])).code, 0);
    const missing = await run(script, [join(tmp, 'no-such-folder')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /is not a folder/);
    assert.equal((await run(script, [])).code, 2);
  });
});

describe('scripts/export-outputs.ts', () => {
  it('writes one zip per seat with outputs from the data folder, the same entries as the seat outputs.zip', async () => {
    const data = join(tmp, 'export-data');
    const file = (seat: string, path: string, body: string) =>
      mkdir(join(data, 'outputs', seat, ...path.split('/').slice(0, -1)), { recursive: true }).then(() => writeFile(join(data, 'outputs', seat, ...path.split('/')), body));
    await file('user01', 'job-a/gpu0/one.png', 'first');
    await file('user01', 'job-b/gpu1/clip.mp4', 'second');
    await file('user01', 'job-b/gpu1/tmp.mp4.partial', 'unfinished');
    await file('user03', 'job-c/gpu0/three.png', 'third');
    await mkdir(join(data, 'outputs', 'user02'));
    const folder = exportFolder(join(tmp, 'exports'), new Date(2026, 10, 28));
    assert.equal(folder, join(tmp, 'exports', 'outputs-2026-11-28'));

    const results = await exportFromData(data, folder);
    assert.deepEqual(
      results.map((r) => r.seat),
      ['user01', 'user03'],
    );
    const zip = readZip(await readFile(join(folder, 'user01.zip')));
    assert.deepEqual([...zip.keys()].sort(), ['job-a/gpu0/one.png', 'job-b/gpu1/clip.mp4']);
    assert.equal(zip.get('job-b/gpu1/clip.mp4')?.toString(), 'second');
    assert.deepEqual(await readdir(folder), ['user01.zip', 'user03.zip']);

    const only = await exportFromData(data, join(tmp, 'only'), ['user03']);
    assert.deepEqual(
      only.map((r) => r.seat),
      ['user03'],
    );
  });

  describe('through the server', () => {
    let sim: SimulatorHandle;
    let t: TestServer;

    before(async () => {
      sim = await startSimulator({ port: 0 });
      t = await startTestServer({ workers: [sim.url] });
      const admin = await loginAdmin(t.url);
      const submitted = await call(t.url, 'POST', '/api/v1/jobs', { auth: admin, body: { seat: 'user02', prompt: PROMPT } });
      const id = (submitted.body as { id: string }).id;
      await until(async () => ((await call(t.url, 'GET', `/api/v1/jobs/${id}`, { auth: admin })).body as { state: string }).state === 'succeeded', 20_000, 'the job');
    });
    after(async () => {
      await t.close();
      await sim.close();
    });

    it('downloads a zip for each seat that has outputs, as the instructor', async () => {
      const folder = join(tmp, 'remote');
      const results = await exportFromServer(t.url, ADMIN_PASSWORD, folder);
      assert.deepEqual(
        results.map((r) => r.seat),
        ['user02'],
      );
      const names = [...readZip(await readFile(join(folder, 'user02.zip'))).keys()];
      assert.equal(names.length, 1);
      assert.match(names[0]!, /^[0-9a-f-]{36}\/gpu0\/test_\d+_\.png$/);
    });

    it('says so when the password is wrong or missing', async () => {
      await assert.rejects(exportFromServer(t.url, 'not-the-password', join(tmp, 'nope')), /admin login at .*: HTTP 401: wrong admin password/);
      const missing = await node('export-outputs.ts', ['--url', t.url]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /set COMFY_MULTI_ADMIN_PASSWORD to the admin password first/);
    });

    it('smoke-test reports a job that does not finish and exits 1', async () => {
      const admin = await loginAdmin(t.url);
      await call(t.url, 'POST', '/api/v1/admin/pause', { auth: admin, body: { dispatch: true } });
      try {
        const result = await node('smoke-test.ts', ['--url', t.url, '--seat', 'user03', '--timeout', '1'], { env: { COMFY_MULTI_ADMIN_PASSWORD: ADMIN_PASSWORD } });
        assert.equal(result.code, 1);
        assert.match(result.stdout, /^queued +user03 /m);
        assert.match(result.stdout, /1 job\(s\) did not finish within 1 s/);
      } finally {
        await call(t.url, 'POST', '/api/v1/admin/resume', { auth: admin, body: { dispatch: true } });
      }
    });
  });
});

describe('scripts/stop-cloud-workers.ts', () => {
  it('shuts down our running Verda instances and leaves everyone else’s alone', async () => {
    const credentials = { VERDA_CLIENT_ID: 'cid', VERDA_CLIENT_SECRET: 'secret' };
    const fake = await startFakeVerda({ clientId: credentials.VERDA_CLIENT_ID, clientSecret: credentials.VERDA_CLIENT_SECRET });
    try {
      const ours = fake.addInstance({ hostname: 'workshop-1', status: 'running' });
      const theirs = fake.addInstance({ hostname: 'someone-else', status: 'running' });
      const config = join(tmp, 'verda.yaml');
      await writeFile(
        config,
        [
          'admin: {password: long-enough-password}',
          'provider:',
          '  kind: verda',
          '  instance_type: 1H100.80S.22V',
          '  image: ubuntu-24.04-cuda-12.8-open-docker',
          '  hostname_prefix: workshop',
          '  comfy_ports: [8188, 8189]',
          `  api_url: ${fake.url}`,
          '',
        ].join('\n'),
      );
      const dry = await node('stop-cloud-workers.ts', ['--config', config, '--dry-run'], { env: credentials });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /would shut down the instance of workshop-1-8188/);
      assert.equal(ours.status, 'running');

      const stop = await node('stop-cloud-workers.ts', ['--config', config], { env: credentials });
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /shut down the instance of workshop-1-8188/);
      assert.equal(ours.status, 'offline');
      assert.equal(theirs.status, 'running');

      const again = await node('stop-cloud-workers.ts', ['--config', config], { env: credentials });
      assert.match(again.stdout, /no running instance of ours/);
      const noCredentials = await node('stop-cloud-workers.ts', ['--config', config]);
      assert.equal(noCredentials.code, 1);
      assert.match(noCredentials.stderr, /VERDA_CLIENT_ID is not set/);
    } finally {
      await fake.close();
    }
  });
});
