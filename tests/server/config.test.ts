/** Config: the example file is valid, env overrides work, and a bad value stops start-up naming its key. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../server/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'server/cli.ts');

describe('config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cm-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('the commented example is a valid config; relative data_dir is relative to the file', async () => {
    const { config, dataDir } = await loadConfig({ file: join(ROOT, 'comfy-multi.example.yaml'), env: {} });
    assert.equal(config.provider.kind, 'local');
    assert.equal(config.provider.workers.length, 2);
    assert.equal(config.store.kind, 'sqlite');
    assert.equal(dataDir, join(ROOT, 'data'));
  });

  it('environment variables override any key, by path; a kind in the name selects the block', async () => {
    const file = await write('ok.yaml', 'admin: {password: from-the-file}\nlisten: {port: 8080}\n');
    const { config } = await loadConfig({
      file,
      env: {
        COMFY_MULTI_LISTEN_PORT: '9123',
        COMFY_MULTI_ADMIN_PASSWORD: 'from-the-environment',
        COMFY_MULTI_STORE_REDIS_URL: 'redis://127.0.0.1:6390/2',
        COMFY_MULTI_SCHEDULER_CAPS_MAX_QUEUED_PER_SEAT: '4',
        COMFY_MULTI_PROVIDER_WORKERS: 'gpu0=http://127.0.0.1:8188,gpu1=http://127.0.0.1:8189',
        COMFY_MULTI_UI_UPSTREAM_URL: 'http://127.0.0.1:8190',
        COMFY_MULTI_TRUST_PROXY: 'true',
        COMFY_MULTI_SEATS_NAMES: '["Ada","Grace"]',
      },
    });
    assert.equal(config.listen.port, 9123);
    assert.equal(config.admin.password, 'from-the-environment');
    assert.deepEqual(config.store, { kind: 'redis', url: 'redis://127.0.0.1:6390/2', prefix: 'cm:' });
    assert.equal(config.scheduler.caps.max_queued_per_seat, 4);
    assert.deepEqual(config.provider.kind === 'local' && config.provider.workers.map((w) => w.id), ['gpu0', 'gpu1']);
    assert.equal(config.ui_upstream?.url, 'http://127.0.0.1:8190');
    assert.equal(config.trust_proxy, true);
    assert.deepEqual(config.seats.names, ['Ada', 'Grace']);
  });

  it('an invalid value is an error naming the key (and the variable that set it)', async () => {
    const file = await write('bad.yaml', 'admin: {password: long-enough}\nlisten: {port: 70000}\n');
    await assert.rejects(loadConfig({ file, env: {} }), (error: unknown) => error instanceof ConfigError && error.key === 'listen.port');
    const good = await write('good.yaml', 'admin: {password: long-enough}\n');
    await assert.rejects(loadConfig({ file: good, env: { COMFY_MULTI_SCHEDULER_POLICY: 'lottery' } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.key, 'scheduler.policy');
      assert.match(error.message, /COMFY_MULTI_SCHEDULER_POLICY/);
      return true;
    });
    await assert.rejects(loadConfig({ file: good, env: { COMFY_MULTI_LISTEN_PROT: '1' } }), /COMFY_MULTI_LISTEN_PROT: is not a known setting; did you mean COMFY_MULTI_LISTEN_HOST, COMFY_MULTI_LISTEN_PORT/);
    await assert.rejects(loadConfig({ file: good, env: { COMFY_MULTI_STORE_REDIS_URL: 'http://nope' } }), { key: 'store.url' });
    await assert.rejects(loadConfig({ file: await write('nopass.yaml', 'listen: {port: 1}\n'), env: {} }), { key: 'admin' });
    await assert.rejects(loadConfig({ file: await write('broken.yaml', 'listen: [\n'), env: {} }), /is not valid YAML/);
  });

  it('`comfy-multi start` with a bad config exits 1 with a message naming the key', () => {
    const file = join(dir, 'bad.yaml');
    const result = spawnSync(process.execPath, [CLI, 'start', '--config', file], { encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /config error: listen\.port: /);
  });

  it('every command answers --help', () => {
    for (const args of [['--help'], ['start', '--help'], ['demo', '--help'], ['seats', '--help'], ['check', '--help']]) {
      const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] } });
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /usage: comfy-multi/);
    }
  });

  it('`seats` lists, rotates and prints URLs from the data dir', async () => {
    const file = await write('seats.yaml', `admin: {password: long-enough}\ndata_dir: ${join(dir, 'seats-data')}\nseats: {count: 2}\npublic_url: https://gpu.example.org\n`);
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'seats', ...args, '--config', file], { encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    const list = run('list');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^user01 +active +user01 +new code: [A-Z2-9-]{14}$/m);
    const rotated = run('rotate', 'user02');
    assert.match(rotated.stdout, /^user02 +[A-Z2-9-]{14} +https:\/\/gpu\.example\.org\/user\/user02\/\?code=/m);
    const urls = run('urls');
    assert.match(urls.stdout, /user01 +https:\/\/gpu\.example\.org\/user\/user01\/\n/);
    assert.match(urls.stdout, /cannot be shown/);
    assert.equal(run('rotate', 'nobody').status, 1);
  });
});
