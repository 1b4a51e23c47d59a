/**
 * Node, model and system information routes, the internal routes the frontend uses, and the
 * few fixed lists a stock ComfyUI 0.8.0 serves (core frontend extensions, model folders).
 */
import { readdirSync, statSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Router, sendEmpty, sendJson } from './http-kit.ts';
import type { Instance } from './instance.ts';
import { MODEL_FOLDERS } from './object-info.ts';

/** The frontend's own extension files that ComfyUI 0.8.0 (frontend 1.35.9) lists. */
const CORE_EXTENSIONS = [
  'groupNode.js',
  'maskEditorOld.js',
  'clipspace.js',
  'widgetInputs.js',
  'groupNodeManage.js',
  'maskeditor/constants.js',
  'maskeditor/types.js',
  'load3d/ViewHelperManager.js',
  'load3d/ControlsManager.js',
  'load3d/RecordingManager.js',
  'load3d/ModelExporter.js',
  'load3d/AnimationManager.js',
  'load3d/LoaderManager.js',
  'load3d/LightingManager.js',
  'load3d/CameraManager.js',
  'load3d/SceneModelManager.js',
  'load3d/SceneManager.js',
  'load3d/interfaces.js',
  'load3d/exportMenuHelper.js',
  'load3d/EventManager.js',
].map((f) => `/extensions/core/${f}`);

/** Extra search paths ComfyUI registers for some folders (legacy names). */
const FOLDER_ALIASES: Record<string, string[]> = {
  text_encoders: ['text_encoders', 'clip'],
  diffusion_models: ['unet', 'diffusion_models'],
  controlnet: ['controlnet', 't2i_adapter'],
};

export function addInfoRoutes(router: Router, inst: Instance): void {
  const listInputs = (kind: 'image' | 'video' | 'audio') => inst.dirs.listInputFiles(kind);

  router.add('GET', '/', (ctx) => {
    ctx.res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store, must-revalidate' });
    ctx.res.end(
      `<!doctype html><title>ComfyUI simulator</title><p>Simulated ComfyUI ${inst.version} (comfy-multi). It speaks the ComfyUI HTTP and WebSocket API; it serves no frontend.</p>`,
    );
  });
  router.add('GET', '/system_stats', (ctx) => {
    const total = totalmem();
    const free = freemem();
    const gpu = /^cuda/i.test(inst.name);
    sendJson(ctx, {
      system: {
        os: process.platform,
        ram_total: total,
        ram_free: free,
        comfyui_version: inst.version,
        required_frontend_version: inst.version === '0.8.0' ? '1.35.9' : '1.53.6',
        installed_templates_version: null,
        required_templates_version: '0.7.67',
        python_version: `3.13.5 (simulated by comfy-multi on Node ${process.versions.node})`,
        pytorch_version: '2.6.0+simulated',
        embedded_python: false,
        argv: inst.argv,
      },
      devices: [
        {
          name: inst.name,
          type: gpu ? 'cuda' : 'cpu',
          index: gpu ? 0 : null,
          vram_total: total,
          vram_free: free,
          torch_vram_total: total,
          torch_vram_free: free,
        },
      ],
    });
  });
  router.add('GET', '/features', (ctx) => sendJson(ctx, inst.serverFeatures()));
  router.add('GET', '/object_info', (ctx) => {
    ctx.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    ctx.res.end(inst.catalog.serializeAll(listInputs));
  });
  router.add('GET', '/object_info/{node_class}', (ctx) => {
    const cls = ctx.params['node_class'] as string;
    const entry = inst.catalog.has(cls) ? inst.catalog.entry(cls, listInputs) : undefined;
    sendJson(ctx, entry === undefined ? {} : { [cls]: entry });
  });
  router.add('GET', '/embeddings', (ctx) => sendJson(ctx, (inst.models['embeddings'] ?? []).map((f) => f.replace(/\.[^.]+$/, ''))));
  router.add('GET', '/models', (ctx) => sendJson(ctx, MODEL_FOLDERS));
  router.add('GET', '/models/{folder}', (ctx) => {
    const folder = ctx.params['folder'] as string;
    if (!(MODEL_FOLDERS as readonly string[]).includes(folder)) return sendEmpty(ctx, 404);
    const files = new Set([...inst.catalog.modelFiles(folder), ...(inst.models[folder] ?? [])]);
    sendJson(ctx, [...files].sort());
  });
  router.add('GET', '/extensions', (ctx) => sendJson(ctx, CORE_EXTENSIONS));
  for (const path of ['/i18n', '/workflow_templates', '/global_subgraphs']) router.add('GET', path, (ctx) => sendJson(ctx, {}));
  if (inst.version !== '0.8.0') router.add('GET', '/node_replacements', (ctx) => sendJson(ctx, {}));

  // Internal routes have no /api twin.
  router.add(
    'GET',
    '/internal/folder_paths',
    (ctx) => {
      const models = join(inst.dirs.root, 'models');
      const out: Record<string, string[]> = {};
      for (const folder of MODEL_FOLDERS) {
        out[folder] =
          folder === 'custom_nodes'
            ? [join(inst.dirs.root, 'custom_nodes')]
            : (FOLDER_ALIASES[folder] ?? [folder]).map((name) => join(models, name));
      }
      sendJson(ctx, out);
    },
    false,
  );
  router.add(
    'GET',
    '/internal/files/{directory_type}',
    (ctx) => {
      const type = ctx.params['directory_type'] as string;
      const dir = ['output', 'input', 'temp'].includes(type) ? inst.dirs.dirByType(type) : null;
      if (dir === null) return sendJson(ctx, { error: 'Invalid directory type' }, 400);
      const files = readdirSync(dir)
        .filter((name) => !name.startsWith('.'))
        .map((name) => ({ name, st: statSync(join(dir, name), { throwIfNoEntry: false }) }))
        .filter((f) => f.st?.isFile())
        .sort((a, b) => Number(b.st?.mtimeMs) - Number(a.st?.mtimeMs))
        .map((f) => f.name);
      sendJson(ctx, files);
    },
    false,
  );
  router.add('GET', '/internal/logs', (ctx) => sendJson(ctx, inst.logText()), false);
  router.add(
    'GET',
    '/internal/logs/raw',
    (ctx) => sendJson(ctx, { entries: inst.logEntries(), size: { cols: 80, rows: 24 } }),
    false,
  );
  router.add('PATCH', '/internal/logs/subscribe', (ctx) => sendEmpty(ctx), false);
}
