/**
 * A closed ComfyWorkerClient stays closed: work that reaches it late (a worker slot finishing a
 * health check while the pool stops) settles at once and leaves no timer keeping the process alive.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ComfyWorkerClient } from '../../lib/comfy/comfy-worker-client.ts';

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('ComfyWorkerClient after close()', () => {
  it('rejects a wait begun after close and starts no polling for an adopted prompt', async () => {
    // Nothing listens there: the client never connects, which is all this test needs.
    const client = new ComfyWorkerClient({ url: 'http://127.0.0.1:9', pollIntervalMs: 20 });
    await client.close();
    const before = timers();
    client.adopt(randomUUID());
    await assert.rejects(client.waitForTerminal(randomUUID(), { timeoutMs: 7_200_000 }), { code: 'worker_unavailable', message: /was closed/ });
    assert.equal(timers(), before, 'no timer was left behind');
  });
});
