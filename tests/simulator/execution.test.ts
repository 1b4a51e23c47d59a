/**
 * What running prompts produce: the message order, the cache, real output files, previews,
 * and full workflow templates when the models they name are "installed".
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { decodePng, encodePng } from '../../lib/simulator/png.ts';
import { PyFloat, isPlainObject } from '../../lib/simulator/py-json.ts';
import { basicPrompt, connect, request, slowPrompt, submit, types, untilDone } from './helpers/client.ts';
import { jsonFrame } from './helpers/ws-recorder.ts';

/** Every chunk's CRC, and the chunk list. */
function pngChunks(bytes: Buffer): string[] {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const names: string[] = [];
  for (let pos = 8; pos < bytes.length; ) {
    const len = bytes.readUInt32BE(pos);
    const type = bytes.subarray(pos + 4, pos + 8);
    const crc = bytes.readUInt32BE(pos + 8 + len);
    assert.equal(crc32(bytes.subarray(pos + 8, pos + 8 + len), crc32(type)) >>> 0, crc, `CRC of ${type}`);
    names.push(type.toString('latin1'));
    pos += 12 + len;
  }
  return names;
}

describe('execution', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ nodeMs: 1, samplerSteps: 3 });
  });
  after(() => sim.close());

  test('a prompt sends ComfyUI\'s message sequence, status q=0 between success and the final executing', async () => {
    const client = await connect(sim, 'x-order');
    const id = await submit(sim, basicPrompt(0x102030, 'order'), { client_id: 'x-order' });
    await untilDone(client, id);
    const start = client.frames.findIndex((f) => jsonFrame(f, 'execution_start') !== null);
    const seq = types(client.frames.slice(start));
    assert.deepEqual(seq, [
      'execution_start',
      'execution_cached',
      ...['progress_state', 'executing', 'progress_state'],
      ...['progress_state', 'executing', 'progress_state'],
      ...['progress_state', 'executing', 'executed', 'progress_state'],
      'execution_success',
      'status',
      'executing',
    ]);
    const first = jsonFrame(client.frames[start + 2] as never, 'progress_state') as Record<string, Record<string, Record<string, unknown>>>;
    assert.ok(first['nodes']?.['1']?.['value'] instanceof PyFloat, 'plain nodes report 0.0/1.0 floats');
    await client.close();
  });

  test('SaveImage writes a valid PNG with the real pixels and the prompt as metadata', async () => {
    const client = await connect(sim, 'x-png');
    const prompt = basicPrompt(0x336699, 'pixels/sub');
    const id = await submit(sim, prompt, { client_id: 'x-png', extra_data: { extra_pnginfo: { workflow: { id: 'wf-1' } } } });
    const frames = await untilDone(client, id);
    const output = frames.map((f) => jsonFrame(f, 'executed')).find((d) => d !== null)?.['output'];
    assert.deepEqual(output, { images: [{ filename: 'sub_00001_.png', subfolder: 'pixels', type: 'output' }] });
    const bytes = readFileSync(join(sim.dataDir, 'output', 'pixels', 'sub_00001_.png'));
    assert.deepEqual(pngChunks(bytes), ['IHDR', 'tEXt', 'tEXt', 'IDAT', 'IEND']);
    const text = bytes.toString('latin1');
    assert.ok(text.includes('prompt\0{"1": {"class_type": "EmptyImage"'), 'prompt stored like json.dumps');
    assert.ok(text.includes('workflow\0{"id": "wf-1"}'));
    const img = decodePng(bytes);
    assert.deepEqual([img.width, img.height], [16, 8]);
    assert.deepEqual([...img.data.subarray(0, 3)], [0xff - 0x33, 0xff - 0x66, 0xff - 0x99], 'ImageInvert of the EmptyImage colour');
    const view = await fetch(`${sim.url}/view?filename=sub_00001_.png&subfolder=pixels`);
    assert.equal(view.headers.get('content-type'), 'image/png');
    assert.ok(Buffer.from(await view.arrayBuffer()).equals(bytes));
    await client.close();
  });

  test('an identical prompt is served from the cache: old filenames, no new files; a changed input re-runs only its node', async () => {
    const client = await connect(sim, 'x-cache');
    const first = await submit(sim, basicPrompt(0x445566, 'cached'), { client_id: 'x-cache' });
    await untilDone(client, first);
    const filesBefore = readdirSync(join(sim.dataDir, 'output')).length;
    // Same computation under other node ids still hits the cache, as in ComfyUI.
    const renumbered = {
      '7': { class_type: 'EmptyImage', inputs: { width: 16, height: 8, batch_size: 1, color: 0x445566 } },
      '8': { class_type: 'ImageInvert', inputs: { image: ['7', 0] } },
      '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'cached' } },
    };
    const second = await submit(sim, renumbered, { client_id: 'x-cache' });
    const frames = await untilDone(client, second);
    assert.deepEqual(types(frames), ['execution_start', 'execution_cached', 'executed', 'progress_state', 'execution_success', 'executing']);
    assert.deepEqual(jsonFrame(frames[1] as never, 'execution_cached')?.['nodes'], ['7', '8', '9']);
    assert.deepEqual(jsonFrame(frames[2] as never, 'executed')?.['output'], {
      images: [{ filename: 'cached_00001_.png', subfolder: '', type: 'output' }],
    });
    assert.equal(readdirSync(join(sim.dataDir, 'output')).length, filesBefore);
    const third = await submit(sim, basicPrompt(0x445566, 'cached_b'), { client_id: 'x-cache' });
    const partial = await untilDone(client, third);
    const reused = decodePng(readFileSync(join(sim.dataDir, 'output', 'cached_b_00001_.png')));
    assert.deepEqual([reused.width, reused.height, ...reused.data.subarray(0, 3)], [16, 8, 0xff - 0x44, 0xff - 0x55, 0xff - 0x66], 'pixels come from the cached nodes');
    assert.deepEqual(jsonFrame(partial[1] as never, 'execution_cached')?.['nodes'], ['1', '2']);
    assert.deepEqual(
      partial.map((f) => jsonFrame(f, 'executing')?.['node']).filter((n) => n !== undefined),
      ['3', null],
    );
    await client.close();
  });

  test('LoadImage reads uploaded pixels and re-runs when the file changes', async () => {
    const client = await connect(sim, 'x-load');
    const upload = async (rgb: number[]) => {
      const png = encodePng({ width: 2, height: 2, channels: 3, data: Uint8Array.from({ length: 12 }, (_, i) => rgb[i % 3] as number) });
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'in.png');
      form.append('overwrite', 'true');
      return (await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form })).json();
    };
    assert.deepEqual(await upload([10, 20, 30]), { name: 'in.png', subfolder: '', type: 'input' });
    const prompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'in.png' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'loaded' } },
    };
    const run = async () => {
      const id = await submit(sim, prompt, { client_id: 'x-load' });
      const frames = await untilDone(client, id);
      const out = frames.map((f) => jsonFrame(f, 'executed')).find((d) => d !== null)?.['output'] as { images: { filename: string }[] };
      const file = out.images[0]?.filename as string;
      return [...decodePng(readFileSync(join(sim.dataDir, 'output', file))).data.subarray(0, 3)];
    };
    assert.deepEqual(await run(), [10, 20, 30]);
    await upload([200, 100, 50]);
    assert.deepEqual(await run(), [200, 100, 50], 'IS_CHANGED follows the file content');
    await client.close();
  });

  test('PreviewImage writes a _temp_ file served with type=temp', async () => {
    const client = await connect(sim, 'x-prev');
    const prompt = {
      '1': { class_type: 'EmptyImage', inputs: { width: 4, height: 4, batch_size: 2, color: 0xff0000 } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    };
    const id = await submit(sim, prompt, { client_id: 'x-prev' });
    const frames = await untilDone(client, id);
    const output = frames.map((f) => jsonFrame(f, 'executed')).find((d) => d !== null)?.['output'] as { images: Record<string, string>[] };
    const images = output.images;
    assert.equal(images.length, 2);
    assert.match(images[0]?.['filename'] ?? '', /^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    assert.match(images[1]?.['filename'] ?? '', /^ComfyUI_temp_[a-z]{5}_00002_\.png$/);
    assert.equal(images[0]?.['type'], 'temp');
    const view = await fetch(`${sim.url}/view?filename=${images[0]?.['filename']}&type=temp`);
    assert.equal(view.status, 200);
    await client.close();
  });

  test('samplers report samplerSteps steps with previews; preview_method "none" turns previews off', async () => {
    const client = await connect(sim, 'x-sampler');
    const prompt = {
      '1': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
      '2': { class_type: 'KSampler', inputs: { model: ['4', 0], seed: 1, steps: 20, cfg: 7, sampler_name: 'euler', scheduler: 'normal', positive: ['5', 0], negative: ['5', 0], latent_image: ['1', 0], denoise: 1 } },
      '3': { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['4', 2] } },
      '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'model.safetensors' } },
      '5': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['4', 1] } },
      '6': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'sampled' } },
    };
    const rejected = await request(sim, 'POST', '/prompt', { prompt });
    assert.equal(rejected.status, 400, 'the checkpoint is not installed on this simulator');
    const withModel = await startSimulator({ nodeMs: 1, samplerSteps: 3, models: { checkpoints: ['model.safetensors'] } });
    try {
      const c = await connect(withModel, 'x-sampler');
      const id = await submit(withModel, prompt, { client_id: 'x-sampler' });
      const frames = await untilDone(c, id);
      const steps = frames.map((f) => jsonFrame(f, 'progress')).filter((d) => d !== null);
      assert.deepEqual(steps.map((s) => [s['value'], s['max'], s['node']]), [[1, 3, '2'], [2, 3, '2'], [3, 3, '2']]);
      assert.equal(frames.filter((f) => f.kind === 'binary' && f.eventType === 4 && f.mime === 'image/jpeg').length, 3);
      const quiet = await submit(withModel, { ...prompt, '1': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 32, batch_size: 1 } } }, {
        client_id: 'x-sampler',
        extra_data: { preview_method: 'none' },
      });
      const quietFrames = await untilDone(c, quiet);
      assert.equal(quietFrames.filter((f) => jsonFrame(f, 'progress') !== null).length, 3);
      assert.equal(quietFrames.filter((f) => f.kind === 'binary').length, 0);
      const models = await request(withModel, 'GET', '/models/checkpoints');
      assert.deepEqual(models.body['value'], ['model.safetensors']);
      await c.close();
    } finally {
      await withModel.close();
    }
    await client.close();
  });
});

test('the Wan 2.2 image-to-video template (flattened subgraph ids) runs once its models and image exist', async () => {
  const sim = await startSimulator({
    nodeMs: 1,
    samplerSteps: 2,
    models: {
      diffusion_models: ['wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors', 'wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors'],
      loras: ['wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors', 'wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors'],
      text_encoders: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'],
      vae: ['wan_2.1_vae.safetensors'],
    },
  });
  try {
    const form = new FormData();
    const png = encodePng({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(90) });
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), '03_video_wan2_2_14B_i2v_subgraphed_input_image.png');
    assert.equal((await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form })).status, 200);
    const client = await connect(sim, 'de73f370b6e445d293c2712208fab8f4');
    const body = readFileSync(new URL('../fixtures/workflows/03_video_wan2_2_14B_i2v_subgraphed.post-prompt-body.json', import.meta.url), 'utf8');
    const res = await fetch(`${sim.url}/api/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const reply = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(reply));
    const frames = await untilDone(client, String(reply['prompt_id']));
    const executed = frames.map((f) => jsonFrame(f, 'executed')).find((d) => d !== null);
    assert.equal(executed?.['node'], '108');
    assert.deepEqual(executed?.['output'], {
      images: [{ filename: 'Wan2.2_image_to_video_00001_.mp4', subfolder: 'video', type: 'output' }],
      animated: [true],
    });
    const sampled = new Set(frames.map((f) => jsonFrame(f, 'progress')?.['node']).filter((n) => n !== undefined));
    assert.deepEqual([...sampled].sort(), ['130:110', '130:111']);
    const video = await fetch(`${sim.url}/view?filename=Wan2.2_image_to_video_00001_.mp4&subfolder=video&type=output`, {
      headers: { Range: 'bytes=0-7' },
    });
    assert.equal(video.status, 206);
    assert.equal(video.headers.get('content-type'), 'video/mp4');
    assert.equal(Buffer.from(await video.arrayBuffer()).subarray(4, 8).toString('latin1'), 'ftyp');
    const history = await request(sim, 'GET', `/history/${reply['prompt_id']}`);
    const entry = history.body[String(reply['prompt_id'])];
    assert.ok(isPlainObject(entry) && isPlainObject(entry['outputs']) && '108' in entry['outputs']);
    await client.close();
  } finally {
    await sim.close();
  }
});

test('RigSlowProgress steps honour timeScale and step_ms', async () => {
  const sim = await startSimulator({ timeScale: 0.1 });
  try {
    const client = await connect(sim, 'x-rig', false);
    const started = Date.now();
    const id = await submit(sim, slowPrompt(1, 'rig', 4, 200), { client_id: 'x-rig' });
    const frames = await untilDone(client, id);
    assert.ok(Date.now() - started >= 4 * 20, 'four 20 ms steps');
    assert.equal(frames.filter((f) => f.kind === 'binary' && f.eventType === 1).length, 4, 'no feature flags: type 1 previews');
    await client.close();
  } finally {
    await sim.close();
  }
});
