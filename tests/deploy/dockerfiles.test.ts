/**
 * Lint checks for the three images (no Docker engine or hadolint here): pinned bases,
 * non-root users, health checks, reproducible installs, files that exist in the build
 * context; and for the server image, that what it copies is enough to run the server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { all, type Dockerfile, envOf, execForm, readDockerfile, type Stage } from './dockerfile-kit.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const server = readDockerfile(join(REPO, 'docker/Dockerfile'));
const worker = readDockerfile(join(REPO, 'docker/comfyui-worker.Dockerfile'));
const ui = readDockerfile(join(REPO, 'docker/comfyui-ui.Dockerfile'));
const IMAGES: [string, Dockerfile][] = [
  ['server', server],
  ['worker', worker],
  ['ui', ui],
];
const dockerignore = readFileSync(join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const runs = (stage: Stage): string[] => all(stage, 'RUN').map((i) => i.args);
const flag = (args: string, name: string): string | null => args.match(new RegExp(`--${name}=(\\S+)`))?.[1] ?? null;
/** COPY sources and destination, flags removed. */
function copyParts(args: string): { sources: string[]; dest: string } {
  const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
  return { sources: words.slice(0, -1), dest: words.at(-1)! };
}

describe('Dockerfiles', () => {
  for (const [name, file] of IMAGES) {
    describe(name, () => {
      it('pins every base image to a versioned tag', () => {
        const stageNames = new Set(file.stages.map((s) => s.name));
        for (const stage of file.stages) {
          if (stageNames.has(stage.image)) continue;
          assert.match(stage.image, /^[a-z0-9./-]+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$/, `${stage.image} has a version tag`);
          assert.doesNotMatch(stage.image, /:latest$/);
        }
      });

      it('runs as a non-root user with a health check and an exec-form entry point', () => {
        const users = all(file.final, 'USER');
        assert.ok(users.length > 0, 'USER set in the final stage');
        assert.doesNotMatch(users.at(-1)!.args, /^(root|0)(:|$)/);
        const health = all(file.final, 'HEALTHCHECK');
        assert.equal(health.length, 1);
        assert.ok(execForm(health[0]!.args.slice(health[0]!.args.indexOf('CMD'))), 'HEALTHCHECK CMD in exec form');
        const entry = all(file.final, 'ENTRYPOINT').at(-1) ?? all(file.final, 'CMD').at(-1);
        assert.ok(entry && execForm(entry.args), 'exec form, so signals reach the process');
      });

      it('installs reproducibly: no ADD of URLs, npm ci, slim apt layers, pipefail before pipes', () => {
        for (const stage of file.stages) {
          for (const add of all(stage, 'ADD')) assert.doesNotMatch(add.args, /https?:\/\//, `line ${add.line}: ADD of a URL`);
          const shell = all(stage, 'SHELL').map((s) => s.args).join(' ');
          for (const run of stage.instructions.filter((i) => i.keyword === 'RUN')) {
            assert.doesNotMatch(run.args, /\bnpm (install|i)\b/, `line ${run.line}: npm ci, not npm install`);
            assert.doesNotMatch(run.args, /\bchown\s+-R\b/, `line ${run.line}: set ownership with COPY --chown, not chown -R (a second copy of the layer)`);
            if (/apt-get install/.test(run.args)) {
              assert.match(run.args, /--no-install-recommends/, `line ${run.line}`);
              assert.match(run.args, /rm -rf \/var\/lib\/apt\/lists/, `line ${run.line}: apt lists removed in the same layer`);
            }
            if (/[^|]\|[^|]/.test(run.args)) assert.match(shell, /pipefail/, `line ${run.line}: a failing download must fail the build`);
          }
        }
      });

      it('copies only files that exist in the build context and are not ignored by .dockerignore', () => {
        for (const stage of file.stages) {
          for (const copy of all(stage, 'COPY')) {
            if (flag(copy.args, 'from')) continue;
            for (const source of copyParts(copy.args).sources) {
              const path = source === '.' ? '' : source.replace(/\/$/, '');
              assert.ok(path === '' || existsSync(join(REPO, path)), `line ${copy.line}: ${source} exists`);
              const ignored = dockerignore.find((pattern) => path === pattern || path.startsWith(`${pattern}/`));
              assert.equal(ignored, undefined, `line ${copy.line}: ${source} is excluded by .dockerignore`);
            }
          }
        }
      });
    });
  }

  it('entry-point scripts are valid sh', () => {
    for (const script of ['docker/comfy-multi-entrypoint.sh', 'docker/comfyui/start.sh']) {
      const check = spawnSync('sh', ['-n', join(REPO, script)], { encoding: 'utf8' });
      assert.equal(check.status, 0, `${script}: ${check.stderr}`);
    }
  });
});

describe('the server image', () => {
  const build = server.stages[0]!;
  const final = server.final;

  it('builds the assets, keeps production dependencies only, and serves on 8080 with /data', () => {
    assert.ok(server.stages.length >= 2, 'multi-stage');
    assert.ok(runs(build).some((r) => /npm ci\b/.test(r)));
    assert.ok(runs(build).some((r) => /npm run build\b/.test(r) && /npm prune --omit=dev/.test(r)));
    assert.match(server.final.image, /^node:24[.\d]*-/);
    assert.deepEqual(all(final, 'EXPOSE').map((i) => i.args), ['8080']);
    assert.deepEqual(all(final, 'VOLUME').map((i) => i.args), ['["/data"]']);
    assert.match(all(final, 'HEALTHCHECK')[0]!.args, /\/healthz/);
    assert.equal(envOf(final).get('COMFY_MULTI_CONFIG'), '/config/comfy-multi.yaml', 'where docker-compose.yml mounts the config');
    assert.deepEqual(execForm(all(final, 'ENTRYPOINT')[0]!.args), ['/app/docker/comfy-multi-entrypoint.sh']);
    assert.deepEqual(execForm(all(final, 'CMD')[0]!.args), ['start']);
  });

  it('copies every file the server needs at run time, and nothing it imports needs a dev dependency', () => {
    const copied = new Set(
      all(final, 'COPY')
        .filter((c) => flag(c.args, 'from') === build.name)
        .flatMap((c) => copyParts(c.args).sources.map((s) => relative('/app', s))),
    );
    for (const needed of ['package.json', 'node_modules', 'lib', 'server', 'web-admin/dist', 'docker/comfy-multi-entrypoint.sh']) {
      assert.ok(copied.has(needed), `${needed} is in the image`);
    }
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const files = ['lib', 'server'].flatMap((dir) =>
      readdirSync(join(REPO, dir), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .map((f) => join(REPO, dir, f)),
    );
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      // Type-only imports are erased by Node and need nothing at run time.
      const specifiers = [...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?'([^']+)'|import\('([^']+)'\)/gm)].map((m) => m[1] ?? m[2]!);
      for (const specifier of specifiers) {
        if (specifier.startsWith('node:')) continue;
        if (specifier.startsWith('.')) {
          const target = relative(REPO, resolve(dirname(file), specifier));
          assert.ok(target.startsWith('lib/') || target.startsWith('server/'), `${relative(REPO, file)} imports ${specifier}, which is not in the image`);
          continue;
        }
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        assert.ok(pkg.dependencies[name], `${relative(REPO, file)} imports ${name}, which npm prune --omit=dev removes`);
      }
    }
  });
});

describe('the ComfyUI images', () => {
  const flags = (file: Dockerfile): string => envOf(file.final).get('COMFYUI_FLAGS') ?? '';
  const start = readFileSync(join(REPO, 'docker/comfyui/start.sh'), 'utf8');

  it('start ComfyUI listening on all interfaces at $PORT with the image’s flags', () => {
    assert.match(start, /exec python \/opt\/ComfyUI\/main\.py --listen 0\.0\.0\.0 --port "\$\{PORT:-8188\}" \$\{COMFYUI_FLAGS:-\} \$\{COMFYUI_EXTRA_ARGS:-\} "\$@"/);
    for (const file of [worker, ui]) {
      assert.deepEqual(execForm(all(file.final, 'ENTRYPOINT')[0]!.args), ['/opt/comfyui/start.sh']);
      assert.equal(envOf(file.final).get('PORT'), '8188');
      assert.match(flags(file), /--extra-model-paths-config \/opt\/comfyui\/extra_model_paths\.yaml/);
    }
  });

  it('workers: CUDA base, previews, no browser, data folders under /data', () => {
    assert.match(worker.final.image, /^nvidia\/cuda:/);
    for (const expected of [
      '--preview-method auto',
      '--disable-auto-launch',
      '--output-directory /data/output',
      '--input-directory /data/input',
      '--temp-directory /data/tmp',
    ]) {
      assert.ok(flags(worker).includes(expected), `worker flag ${expected}`);
    }
  });

  it('UI upstream: CPU only, --multi-user, the comfy-multi custom node with its built bundle', () => {
    assert.ok(flags(ui).includes('--cpu'));
    assert.ok(flags(ui).includes('--multi-user'));
    const extension = ui.stages.find((s) => s.name === 'extension');
    assert.ok(extension && runs(extension).some((r) => /npm run build:extension/.test(r)));
    const copies = all(ui.final, 'COPY').map((c) => c.args);
    assert.ok(copies.some((c) => c.includes('extension/comfyui/__init__.py') && c.endsWith('/opt/ComfyUI/custom_nodes/comfy-multi/')));
    assert.ok(copies.some((c) => flag(c, 'from') === 'extension' && c.endsWith('/opt/ComfyUI/custom_nodes/comfy-multi/js')));
  });

  it('workers and UI upstream share one ComfyUI version, models and custom nodes', () => {
    const version = (file: Dockerfile) => all(file.final, 'ARG').find((a) => a.args.startsWith('COMFYUI_VERSION='))?.args;
    assert.ok(version(worker));
    assert.equal(version(worker), version(ui));
    for (const file of [worker, ui]) assert.ok(all(file.final, 'COPY').some((c) => c.args.includes('docker/comfyui/extra_model_paths.yaml')));
    const paths = readFileSync(join(REPO, 'docker/comfyui/extra_model_paths.yaml'), 'utf8');
    assert.match(paths, /base_path: \/models\n/);
    assert.match(paths, /custom_nodes: \/custom_nodes\n/);
  });
});
