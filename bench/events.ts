/**
 * Benchmark 6: event latency, worker -> subscriber. ComfyUI's `progress`
 * messages carry no timestamp, so the worker (a simulator in this process) and
 * the pool's `job.comfy` listener share one monotonic clock: the moment the
 * simulator hands a progress frame to its socket is recorded by wrapping the
 * `ws` server sockets' send() (bench-only), and matched by (prompt_id, value)
 * with the moment the pool re-emits it. The server's browser hub subscribes to
 * that same `job.comfy` event.
 */
import WebSocket from 'ws';
import { finished, openPool, slowPrompt, untilReady } from '../tests/helpers/pool.ts';
import { type Benchmark, type Section, seatOf } from './harness.ts';
import { ms, type Summary, summarize } from './stats.ts';

const STEPS = 20;
const STEP_MS = 5;

type Send = WebSocket['send'];

/** Records when each server-side socket sends a `progress` message, until the returned function is called. */
function recordProgressSends(sent: Map<string, number>): () => void {
  const original: Send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket & { _isServer?: boolean }, ...args: Parameters<Send>) {
    const data = args[0];
    if (this._isServer && typeof data === 'string' && data.includes('"progress"')) {
      const message = JSON.parse(data) as { type: string; data: { prompt_id?: string; value?: number } };
      if (message.type === 'progress') sent.set(`${message.data.prompt_id}:${message.data.value}`, performance.now());
    }
    return original.apply(this, args);
  } as Send;
  return () => {
    WebSocket.prototype.send = original;
  };
}

export const eventLatency: Benchmark = {
  id: 'events',
  async run(ctx) {
    const jobs = ctx.quick ? 5 : 50;
    const sent = new Map<string, number>();
    const received = new Map<string, number>();
    const restore = recordProgressSends(sent);
    const fixture = await openPool({ workers: 1, simulator: { nodeMs: 0, previewMethod: 'none' }, pool: { canary: false, previewMethod: 'none' } });
    try {
      await untilReady(fixture.pool, 1);
      fixture.pool.events.on('job.comfy', ({ type, data }) => {
        if (type === 'progress') received.set(`${data['prompt_id']}:${data['value']}`, performance.now());
      });
      ctx.log(`event latency: ${jobs} jobs × ${STEPS} progress messages`);
      const ids: string[] = [];
      for (let i = 0; i < jobs; i++) {
        const { job } = await fixture.queue.submit({ seat: seatOf(i), prompt: slowPrompt(2_000_000 + i, STEPS, STEP_MS, 'events') });
        ids.push(job.id);
      }
      for (const id of ids) await finished(fixture.queue, id, 60_000);
    } finally {
      restore();
      await fixture.close();
    }
    const latencies: number[] = [];
    for (const [key, at] of received) {
      const from = sent.get(key);
      if (from !== undefined) latencies.push(at - from);
    }
    return report(jobs, summarize(latencies), sent.size);
  },
};

function report(jobs: number, latency: Summary, sent: number): Section {
  return {
    title: 'Event latency, worker → pool subscriber',
    tables: [
      {
        headers: ['messages sent', 'matched', 'p50 ms', 'p99 ms', 'max ms'],
        rows: [[String(sent), String(latency.n), ms(latency.p50), ms(latency.p99), ms(latency.max)]],
      },
    ],
    notes: [
      `${jobs} jobs of ${STEPS} progress steps (${STEP_MS} ms apart) on one simulated worker in this process; queue on SQLite; previews off.`,
      'From the simulator handing a `progress` frame to its socket to the pool emitting `job.comfy` for it: loopback TCP, frame parsing, prompt routing and the per-job relay chain.',
    ],
    verdicts: [
      {
        target: 'p50 ≤ 1 ms and p99 ≤ 5 ms, every message relayed',
        measured: `p50 ${ms(latency.p50)} ms, p99 ${ms(latency.p99)} ms, ${latency.n}/${sent} matched`,
        pass: latency.p50 <= 1 && latency.p99 <= 5 && latency.n === sent,
      },
    ],
  };
}
