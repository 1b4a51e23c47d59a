import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { QueueError } from '../../lib/errors.ts';
import type { Prompt } from '../../lib/job.ts';
import { finished, imagePrompt, openPool, untilReady } from '../helpers/pool.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const RECORDED_INFO: Record<string, { input: { required?: Record<string, unknown[]> } }> = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'lib', 'simulator', 'assets', 'object_info-0.8.0.json'), 'utf8'),
);

/** The recorded object_info with model files added to the loaders' choice lists, like a worker that has them. */
function withModels(models: Record<string, Record<string, string[]>>) {
  const info = structuredClone(RECORDED_INFO);
  for (const [node, inputs] of Object.entries(models)) {
    for (const [input, files] of Object.entries(inputs)) {
      const spec = info[node]!.input.required![input] as unknown[];
      if (Array.isArray(spec[0])) spec[0] = [...(spec[0] as string[]), ...files];
      else (spec[1] as { options: string[] }).options.push(...files);
    }
  }
  return info;
}

/** A PNG the simulator produced, used as a participant's upload. */
async function aPng(fx: Awaited<ReturnType<typeof openPool>>): Promise<Buffer> {
  const { job } = await fx.queue.submit({ seat: 'user09', prompt: imagePrompt(0x336699) });
  const done = await finished(fx.queue, job.id);
  const out = done.outputs[0]!;
  return readFileSync(fx.outputs.resolve('user09', out.subfolder, out.filename));
}

async function rejection(promise: Promise<unknown>): Promise<QueueError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof QueueError);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('inputs and validation', () => {
  it('a staged input reaches the worker under a seat folder; a missing one fails before dispatch', async () => {
    const fx = await openPool({ workers: 1 });
    try {
      await untilReady(fx.pool, 1);
      const png = await aPng(fx);
      await mkdir(join(fx.dir, 'inputs', 'user01', 'sub'), { recursive: true });
      await writeFile(join(fx.dir, 'inputs', 'user01', 'sub', 'photo.png'), png);
      const prompt: Prompt = {
        '1': { class_type: 'LoadImage', inputs: { image: 'sub/photo.png' } },
        '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'staged' } },
      };
      const { job } = await fx.queue.submit({ seat: 'user01', prompt });
      assert.equal((await finished(fx.queue, job.id)).state, 'succeeded');
      const onWorker = join(fx.sims[0]!.dataDir, 'input', 'comfy-multi', 'user01', 'sub', 'photo.png');
      assert.ok(existsSync(onWorker), 'the file was uploaded into the seat-namespaced folder');
      assert.deepEqual(readFileSync(onWorker), png);
      assert.equal(job.prompt['1']!.inputs['image'], 'sub/photo.png', 'the stored job keeps the seat-relative name');

      // Uploads through the seat gateway read "<seat>/…" in the widget: the same file, the same place.
      const viaGateway = structuredClone(prompt);
      viaGateway['1']!.inputs['image'] = 'user01/sub/photo.png';
      viaGateway['2']!.inputs['filename_prefix'] = 'staged2';
      const second = await fx.queue.submit({ seat: 'user01', prompt: viaGateway });
      assert.equal((await finished(fx.queue, second.job.id)).state, 'succeeded');
      assert.ok(existsSync(onWorker));

      const missing = await rejection(fx.queue.submit({ seat: 'user02', prompt }));
      assert.equal(missing.code, 'input_missing');
      assert.equal(missing.field, 'prompt.1.inputs.image');
      assert.match(missing.message, /sub\/photo\.png/);
      assert.equal((await fx.queue.list({ seat: 'user02' })).jobs.length, 0, 'nothing was queued');
    } finally {
      await fx.close();
    }
  });

  it('unknown node types and missing models are refused with ComfyUI\'s own error body', async () => {
    const fx = await openPool({ workers: 1 });
    try {
      await untilReady(fx.pool, 1);
      const unknown = await rejection(
        fx.queue.submit({ seat: 'user01', prompt: { '1': { class_type: 'NoSuchNode', inputs: {} }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } } } }),
      );
      assert.equal(unknown.code, 'invalid_prompt');
      const body = unknown.details as { error: { type: string; extra_info: Record<string, unknown> }; node_errors: object };
      assert.equal(body.error.type, 'missing_node_type');
      assert.equal(body.error.extra_info['class_type'], 'NoSuchNode');

      const model = await rejection(
        fx.queue.submit({
          seat: 'user01',
          prompt: {
            '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'missing.safetensors' } },
            '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } },
          },
        }),
      );
      const errors = (model.details as { node_errors: Record<string, { errors: { type: string; extra_info: { input_name: string } }[]; dependent_outputs: string[] }> }).node_errors;
      assert.equal(errors['1']?.errors[0]?.type, 'value_not_in_list');
      assert.equal(errors['1']?.errors[0]?.extra_info.input_name, 'ckpt_name');
      assert.deepEqual(errors['1']?.dependent_outputs, ['2']);
      assert.equal(model.field, 'prompt.1.inputs.ckpt_name');
    } finally {
      await fx.close();
    }
  });

  it('the real Wan 2.2 image-to-video workflow is accepted, staged and dispatched', async () => {
    const objectInfo = withModels({
      CLIPLoader: { clip_name: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'] },
      VAELoader: { vae_name: ['wan_2.1_vae.safetensors'] },
      UNETLoader: { unet_name: ['wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors', 'wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors'] },
      LoraLoaderModelOnly: {
        lora_name: ['wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors', 'wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors'],
      },
    });
    const fx = await openPool({ workers: 1, simulator: { objectInfo } });
    try {
      await untilReady(fx.pool, 1);
      const body = JSON.parse(readFileSync(join(FIXTURES, 'workflows', '03_video_wan2_2_14B_i2v_subgraphed.post-prompt-body.json'), 'utf8'));
      const input = join(fx.dir, 'inputs', 'user01', '03_video_wan2_2_14B_i2v_subgraphed_input_image.png');
      await mkdir(dirname(input), { recursive: true });
      await writeFile(input, await aPng(fx));
      const { job } = await fx.queue.submit({ seat: 'user01', prompt: body.prompt, workflow: body.extra_data.extra_pnginfo.workflow });
      const done = await finished(fx.queue, job.id, 30_000);
      assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
      const video = done.outputs.find((o) => o.node_id === '108');
      assert.ok(video, 'SaveVideo produced a file');
      assert.match(video.mime ?? '', /^video\//);
      assert.ok(existsSync(join(fx.sims[0]!.dataDir, 'input', 'comfy-multi', 'user01', '03_video_wan2_2_14B_i2v_subgraphed_input_image.png')));
      const started = fx.comfy.filter((e) => e.job.id === job.id).map((e) => e.type);
      assert.ok(started.includes('progress'), 'the samplers reported progress');
    } finally {
      await fx.close();
    }
  });
});
