/**
 * The baseline: the same jobs posted straight to the workers, no comfy-multi.
 * One client per worker, as a ComfyUI user would be: a socket with its
 * client_id, POST /prompt, wait for execution_success, post the next job.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import WebSocket from 'ws';
import { slowPrompt } from '../tests/helpers/pool.ts';
import { dispatchGaps, isWorkerMark, type WorkerMark } from './timeline.ts';

export interface DirectResult {
  makespanMs: number;
  gaps: number[];
}

interface Client {
  post(prompt: unknown): Promise<void>;
  close(): void;
}

async function connect(url: string, marks: WorkerMark[]): Promise<Client> {
  const clientId = randomBytes(16).toString('hex');
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=${clientId}`);
  const waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const ended = new Map<string, Error | null>();
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse(String(raw)) as { type: string; data: Record<string, unknown> };
    const id = String(message.data?.['prompt_id'] ?? '');
    if (isWorkerMark(message.type)) marks.push({ worker: url, type: message.type, at: Number(message.data['timestamp']) });
    if (message.type !== 'execution_success' && message.type !== 'execution_error' && message.type !== 'execution_interrupted') return;
    const outcome = message.type === 'execution_success' ? null : new Error(`${message.type} for prompt ${id}`);
    const waiter = waiting.get(id);
    if (!waiter) ended.set(id, outcome);
    else if (outcome) waiter.reject(outcome);
    else waiter.resolve();
  });
  await once(ws, 'open');
  return {
    async post(prompt) {
      const response = await fetch(`${url}/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt, client_id: clientId }),
      });
      if (!response.ok) throw new Error(`POST /prompt answered ${response.status}: ${await response.text()}`);
      const { prompt_id: id } = (await response.json()) as { prompt_id: string };
      if (ended.has(id)) {
        const outcome = ended.get(id);
        ended.delete(id);
        if (outcome) throw outcome;
        return;
      }
      await new Promise<void>((resolve, reject) => waiting.set(id, { resolve, reject })).finally(() => waiting.delete(id));
    },
    close: () => ws.close(),
  };
}

/** Runs `warmup` then `jobs` prompts over the workers, each client taking the next job when its worker is free. */
export async function runDirect(urls: readonly string[], jobs: number, stepMs: number, warmup: number, firstSeed: number): Promise<DirectResult> {
  const marks: WorkerMark[] = [];
  const clients = await Promise.all(urls.map((url) => connect(url, marks)));
  let seed = firstSeed;
  const drive = async (count: number) => {
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < count) {
          next++;
          await client.post(slowPrompt(++seed, 1, stepMs, 'direct'));
        }
      }),
    );
  };
  try {
    await drive(warmup);
    marks.length = 0;
    const start = performance.now();
    await drive(jobs);
    const makespanMs = performance.now() - start;
    return { makespanMs, gaps: dispatchGaps(marks) };
  } finally {
    for (const client of clients) client.close();
  }
}
