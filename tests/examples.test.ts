/** The examples in examples/ run as documented and print what they promise. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const example = async (name: string) => (await run(process.execPath, [join(EXAMPLES, name)], { timeout: 60_000, env: { PATH: process.env['PATH'] } })).stdout;

describe('examples', () => {
  it('embed-queue: three seats, two simulated workers, every job succeeds with its output', async () => {
    const out = await example('embed-queue.ts');
    assert.equal(out.match(/queued at position/g)?.length, 6);
    assert.equal(out.match(/succeeded +on gpu\d: \S+\/example_\d+_\.png/g)?.length, 6, out);
  });

  it('custom-policy: the embedder policy decides the order, and positions agree with it', async () => {
    const out = await example('custom-policy.ts');
    const order = 'alice #1, bob #1, carol #1, alice #2, carol #2, alice #3';
    assert.match(out, new RegExp(`dispatched: +${order}`));
    assert.match(out, new RegExp(`planned: +${order}`), 'the positions shown before dispatch were the real order');
  });

  it('custom-provider: a provider of our own feeds the pool, which runs a job on it', async () => {
    const out = await example('custom-provider.ts');
    assert.match(out, /succeeded on env\d: provider_\d+_\.png/);
  });
});
