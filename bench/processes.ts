/**
 * Child processes of the worker benchmarks: the simulated workers
 * (bench/sim-host.ts) and the comfy-multi side (bench/pool-host.ts) each run
 * in their own process, as ComfyUI and the server do in a deployment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PoolRunConfig, PoolRunResult } from './pool-host.ts';

export type { PoolRunConfig, PoolRunResult };

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Resolves with the child's first stdout line parsed as JSON; rejects if it exits first. */
function firstJsonLine<T>(child: ChildProcess, what: string): Promise<T> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise<T>((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as T);
      } catch (error) {
        reject(new Error(`${what} printed something other than JSON: ${line}`, { cause: error }));
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (code ${code}) before reporting`)));
  });
}

export interface SimHost {
  urls: string[];
  close(): Promise<void>;
}

export async function startSimHost(count: number): Promise<SimHost> {
  const child = spawn(process.execPath, [script('./sim-host.ts'), String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const { urls } = await firstJsonLine<{ urls: string[] }>(child, 'sim-host');
    return {
      urls,
      async close() {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.stdin!.end();
        await exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** One comfy-multi run in a fresh process (with --expose-gc, so its memory is measured after a collection). */
export async function runPoolHost(config: PoolRunConfig): Promise<PoolRunResult> {
  const child = spawn(process.execPath, ['--expose-gc', script('./pool-host.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const result = await firstJsonLine<PoolRunResult>(child, 'pool-host');
  if (child.exitCode === null) await once(child, 'exit');
  return result;
}
