import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, backoffDelay } from '../../lib/comfy/backoff.ts';

describe('reconnect backoff', () => {
  it('doubles from initialMs up to maxMs, jitter staying within [half, full] of each step', () => {
    const options = { initialMs: 100, maxMs: 1_000 };
    const steps = [100, 200, 400, 800, 1_000, 1_000];
    steps.forEach((step, attempt) => {
      assert.equal(backoffDelay(attempt, options, () => 0), step / 2);
      assert.equal(backoffDelay(attempt, options, () => 0.999_999), step);
    });
  });

  it('never overflows for a long outage', () => {
    assert.equal(backoffDelay(10_000, { initialMs: 100, maxMs: 5_000 }, () => 0.5), 3_750);
  });

  it('counts attempts and starts over after a reset', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 80 }, () => 0);
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [5, 10, 20]);
    assert.equal(backoff.attempts, 3);
    backoff.reset();
    assert.equal(backoff.next(), 5);
  });
});
