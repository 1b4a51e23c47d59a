import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueError } from '../../lib/errors.ts';
import type { Queue } from '../../lib/queue.ts';
import { openSqliteQueue, promptFor } from '../helpers/queue.ts';

/** Everything a user could observe about the queue, to prove a rejection changed nothing. */
async function observable(queue: Queue) {
  const page = await queue.list({ limit: 500 });
  const snapshot = await queue.refresh();
  return { jobs: page.jobs, order: snapshot.queued.map((q) => q.id) };
}

async function rejects(queue: Queue, request: unknown, code: string, field: string | undefined, message: RegExp) {
  const before = await observable(queue);
  await assert.rejects(queue.submit(request), (error: unknown) => {
    assert.ok(error instanceof QueueError, `expected a QueueError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
  assert.deepEqual(await observable(queue), before, 'a rejected submission must not change anything');
}

describe('submission rejections', () => {
  it('each rejection path answers its own code, field and message and leaves accepted jobs untouched', async () => {
    const known = new Set(['user01', 'user02', 'user03']);
    const { queue, cleanup } = await openSqliteQueue({
      seatStatus: (seat) => (seat === 'user03' ? 'disabled' : known.has(seat) ? 'active' : 'unknown'),
      limits: { maxPromptBytes: 4096, maxNodes: 20 },
      settings: { caps: { maxQueuedPerSeat: 2, maxDepth: 3 } },
    });
    try {
      await queue.submit({ seat: 'user01', prompt: promptFor(1) });
      await queue.submit({ seat: 'user02', prompt: promptFor(2) });

      const huge = { '1': { class_type: 'EmptyImage', inputs: { text: 'x'.repeat(5000) } } };
      await rejects(queue, { seat: 'user01', prompt: huge }, 'prompt_too_large', 'prompt', /4096/);
      const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [String(i), { class_type: 'EmptyImage', inputs: {} }]));
      await rejects(queue, { seat: 'user01', prompt: many }, 'too_many_nodes', 'prompt', /21 nodes; the limit is 20/);
      await rejects(queue, { seat: 'user01', prompt: 'not a prompt' }, 'invalid_prompt', 'prompt', /object/);
      await rejects(queue, { seat: 'user01', prompt: { '1': { inputs: {} } } }, 'invalid_prompt', 'prompt.1.class_type', /class_type/);
      await rejects(queue, { seat: 'user01', prompt: { '1': { class_type: 'SaveImage', inputs: { images: ['9', 0] } } } }, 'invalid_prompt', 'prompt.1.inputs.images', /not in the prompt/);
      await rejects(queue, { seat: 'user01' }, 'invalid_prompt', 'prompt', /required/);
      await rejects(queue, { seat: 'Bad Seat!', prompt: promptFor(3) }, 'invalid_request', 'seat', /seat/);
      await rejects(queue, { seat: 'user99', prompt: promptFor(3) }, 'unknown_seat', 'seat', /user99/);
      await rejects(queue, { seat: 'user03', prompt: promptFor(3) }, 'seat_disabled', 'seat', /disabled/);
      await rejects(queue, { seat: 'user01', prompt: promptFor(3), priority: 'urgent' }, 'invalid_request', 'priority', /priority/);

      await queue.submit({ seat: 'user01', prompt: promptFor(4) });
      await rejects(queue, { seat: 'user02', prompt: promptFor(5) }, 'queue_full', undefined, /3 jobs \(limit 3\)/);
      await queue.updateSettings({ caps: { maxDepth: 0 } });
      await rejects(queue, { seat: 'user01', prompt: promptFor(6) }, 'seat_cap', undefined, /2 queued jobs \(limit 2\)/);

      await queue.updateSettings({ paused: { submissions: true } });
      await rejects(queue, { seat: 'user02', prompt: promptFor(7) }, 'submissions_paused', undefined, /paused/);
      await queue.updateSettings({ paused: { submissions: false } });
      const accepted = await queue.submit({ seat: 'user02', prompt: promptFor(7) });
      assert.equal(accepted.job.state, 'queued');
      assert.equal((await queue.list({})).jobs.length, 4);
    } finally {
      await cleanup();
    }
  });

  it('a repeated client_request_id returns the first job instead of queueing twice', async () => {
    const { queue, cleanup } = await openSqliteQueue();
    try {
      const first = await queue.submit({ seat: 'user01', prompt: promptFor(1), clientRequestId: 'req-1' });
      const again = await queue.submit({ seat: 'user01', prompt: promptFor(1), clientRequestId: 'req-1' });
      assert.equal(again.duplicate, true);
      assert.equal(again.job.id, first.job.id);
      const other = await queue.submit({ seat: 'user02', prompt: promptFor(1), clientRequestId: 'req-1' });
      assert.notEqual(other.job.id, first.job.id, 'request ids are per seat');
      assert.equal((await queue.list({})).jobs.length, 2);
    } finally {
      await cleanup();
    }
  });

  it('settings reject unknown policies and bad caps by field', async () => {
    const { queue, cleanup } = await openSqliteQueue();
    try {
      await assert.rejects(queue.updateSettings({ policy: 'lottery' }), { code: 'invalid_request', field: 'policy' });
      await assert.rejects(queue.updateSettings({ caps: { maxDepth: -1 } }), { code: 'invalid_request', field: 'caps.maxDepth' });
      assert.equal(queue.settings.policy, 'round_robin');
    } finally {
      await cleanup();
    }
  });
});
