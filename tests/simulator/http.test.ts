/**
 * HTTP behaviour beyond the recordings: ComfyUI's origin rule, CORS mode, unknown routes and
 * methods, userdata files and the mask editor's upload.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { decodePng, encodePng } from '../../lib/simulator/png.ts';

describe('http surface', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim.close());

  test('a page from another origin may not drive a loopback server (HTTP and WebSocket)', async () => {
    const foreign = await fetch(`${sim.url}/prompt`, { headers: { Origin: 'http://127.0.0.1:1' } });
    assert.equal(foreign.status, 403);
    const same = await fetch(`${sim.url}/prompt`, { headers: { Origin: sim.url } });
    assert.equal(same.status, 200);
    const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/ws`, { headers: { Origin: 'http://127.0.0.1:1' } });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 403);
  });

  test('routes answer with and without /api, internal routes and /api/jobs only as defined', async () => {
    assert.equal((await fetch(`${sim.url}/api/prompt`)).status, 200);
    assert.equal((await fetch(`${sim.url}/internal/folder_paths`)).status, 200);
    const noTwin = await fetch(`${sim.url}/api/internal/folder_paths`);
    assert.equal(noTwin.status, 404);
    assert.equal(noTwin.headers.get('content-type'), 'application/octet-stream');
    assert.equal((await fetch(`${sim.url}/jobs`)).status, 404);
    assert.equal((await fetch(`${sim.url}/api/api/jobs`)).status, 200, "aiohttp's harmless double prefix");
    const wrongMethod = await fetch(`${sim.url}/interrupt`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assert.equal(await wrongMethod.text(), '405: Method Not Allowed');
  });

  test('userdata files can be written, listed, read and deleted for the default user', async () => {
    const put = await fetch(`${sim.url}/userdata/workflows%2Fa.json`, { method: 'POST', body: '{"nodes": []}' });
    assert.equal(await put.text(), '"workflows/a.json"');
    const refused = await fetch(`${sim.url}/userdata/workflows%2Fa.json?overwrite=false`, { method: 'POST', body: '{}' });
    assert.equal(refused.status, 409);
    const list = await fetch(`${sim.url}/userdata?dir=workflows`);
    assert.deepEqual(await list.json(), ['a.json']);
    const file = await fetch(`${sim.url}/userdata/workflows%2Fa.json`);
    assert.equal(await file.text(), '{"nodes": []}');
    assert.equal((await fetch(`${sim.url}/userdata/workflows%2Fa.json`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${sim.url}/userdata/workflows%2Fa.json`)).status, 404);
    assert.equal((await fetch(`${sim.url}/userdata/..%2F..%2Fescape.json`, { method: 'POST', body: 'x' })).status, 403);
  });

  test('the mask editor upload puts the mask alpha onto the referenced image', async () => {
    const upload = async (name: string, png: Buffer, extra: Record<string, string> = {}) => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), name);
      for (const [k, v] of Object.entries(extra)) form.append(k, v);
      return fetch(`${sim.url}/upload/${'original_ref' in extra ? 'mask' : 'image'}`, { method: 'POST', body: form });
    };
    await upload('base.png', encodePng({ width: 2, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) }));
    const mask = encodePng({ width: 2, height: 1, channels: 4, data: Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 0]) });
    const res = await upload('clipspace-mask.png', mask, {
      original_ref: JSON.stringify({ filename: 'base.png', subfolder: '', type: 'input' }),
      subfolder: 'clipspace',
    });
    assert.deepEqual(await res.json(), { name: 'clipspace-mask.png', subfolder: 'clipspace', type: 'input' });
    const saved = decodePng(readFileSync(join(sim.dataDir, 'input', 'clipspace', 'clipspace-mask.png')));
    assert.deepEqual([...saved.data], [10, 20, 30, 255, 40, 50, 60, 0]);
  });
});

test('CORS mode adds the headers and lets other origins in', async () => {
  const sim = await startSimulator({ corsOrigin: '*' });
  try {
    const res = await fetch(`${sim.url}/prompt`, { headers: { Origin: 'http://127.0.0.1:1' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const preflight = await fetch(`${sim.url}/prompt`, { method: 'OPTIONS', headers: { Origin: 'http://127.0.0.1:1' } });
    assert.equal(preflight.status, 200);
  } finally {
    await sim.close();
  }
});

test('invalid options are refused with the field at fault', async () => {
  await assert.rejects(startSimulator({ samplerSteps: 0 }), { name: 'QueueError', field: 'samplerSteps' });
  await assert.rejects(startSimulator({ previewMethod: 'fast' as never }), { name: 'QueueError', field: 'previewMethod' });
  const taken = await startSimulator();
  try {
    await assert.rejects(startSimulator({ port: taken.port }), { name: 'QueueError', field: 'port', code: 'conflict' });
  } finally {
    await taken.close();
  }
});
