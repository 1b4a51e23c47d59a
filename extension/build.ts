/**
 * Bundles extension/src into the single ES module ComfyUI imports from the custom
 * node's web directory: extension/comfyui/js/comfy-multi.js.
 *
 *   node extension/build.ts        (npm run build:extension)
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
export const EXTENSION_ENTRY = `${here}src/entry.ts`;
export const EXTENSION_BUNDLE = `${here}comfyui/js/comfy-multi.js`;

/**
 * The sources import ComfyUI's shims as `comfyui:scripts/<name>.js` (typed by
 * src/comfyui-shims.d.ts). In the bundle they become the relative, external imports
 * every extension uses: the bundle is served at /extensions/comfy-multi/comfy-multi.js,
 * so ../../scripts/ is the frontend's /scripts/ under the page's api_base.
 */
const comfyShims: Plugin = {
  name: 'comfyui-shims',
  setup(builder) {
    builder.onResolve({ filter: /^comfyui:scripts\/(app|api)\.js$/ }, (args) => ({
      path: `../../scripts/${args.path.slice('comfyui:scripts/'.length)}`,
      external: true,
    }));
  },
};

/** Builds the bundle; returns its path. Errors reject with esbuild's messages. */
export async function buildExtension(options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    entryPoints: [EXTENSION_ENTRY],
    outfile: EXTENSION_BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Chromium/Firefox/Safari of the last few years; every ComfyUI frontend ≥ 1.35 needs at least this.
    target: ['es2022'],
    plugins: [comfyShims],
    minify: options.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '// comfy-multi ComfyUI extension (built from extension/src; do not edit)' },
    write: false,
  });
  // Written to a temp name and renamed, so a page loading the bundle meanwhile never sees half a file.
  const partial = `${EXTENSION_BUNDLE}.${process.pid}.partial`;
  await mkdir(dirname(EXTENSION_BUNDLE), { recursive: true });
  await writeFile(partial, result.outputFiles[0]!.contents);
  await rename(partial, EXTENSION_BUNDLE);
  return EXTENSION_BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = await buildExtension();
  console.log(`built ${outfile}`);
}
