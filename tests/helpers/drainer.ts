/**
 * Runs `tests/store/churn-child.ts` in drain mode as a separate process: several
 * drainers open one store, wait at a start barrier, then claim until the queue is empty.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../store/churn-child.ts', import.meta.url));

export interface Drainer {
  /** Resolves once the child has opened the store. */
  ready: Promise<void>;
  /** Releases the start barrier. */
  go(): void;
  /** Every job id the child claimed, once it has exited cleanly. */
  claimed: Promise<string[]>;
}

export function startDrainer(spec: string, name: string): Drainer {
  const child = spawn(process.execPath, [CHILD, spec, 'drain', name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const claimed: string[] = [];
  const ready = Promise.withResolvers<void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') ready.resolve();
    else claimed.push(line.replace(/^claimed /, ''));
  });
  const done = once(child, 'close').then(([code]) => {
    assert.equal(code, 0, `drainer ${name} failed`);
    return claimed;
  });
  // A child that dies before `ready` must fail the test, not hang it.
  done.catch(ready.reject);
  return { ready: ready.promise, go: () => child.stdin.end('go\n'), claimed: done };
}

/** Starts `names.length` drainers on one store, releases them together and returns what each claimed. */
export async function drainTogether(spec: string, names: readonly string[]): Promise<string[][]> {
  const drainers = names.map((name) => startDrainer(spec, name));
  try {
    await Promise.all(drainers.map((d) => d.ready));
  } finally {
    // Released even when one failed to start, so none is left waiting forever.
    for (const d of drainers) d.go();
  }
  return Promise.all(drainers.map((d) => d.claimed));
}
