import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { Backoff } from '../../lib/comfy/backoff.ts';
import type { Envelope, PreviewFrame } from '../../extension/src/contract.ts';
import { EventStream, socketUrl } from '../../extension/src/event-stream.ts';
import { previewFrame, wireJob } from '../helpers/wire.ts';

/** A stand-in events endpoint: records each connection's URL and lets the test script the frames. */
async function eventsServer() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const connections: { url: string; socket: WsSocket }[] = [];
  const waiters: (() => void)[] = [];
  server.on('connection', (socket, request) => {
    connections.push({ url: request.url ?? '', socket });
    for (const wake of waiters.splice(0)) wake();
  });
  const connection = async (index: number) => {
    while (connections.length <= index) await new Promise<void>((resolve) => waiters.push(resolve));
    return connections[index]!;
  };
  const port = (server.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/api/v1/events`, connection, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function collector() {
  const envelopes: Envelope[] = [];
  const previews: PreviewFrame[] = [];
  const connected: boolean[] = [];
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
  };
  return {
    envelopes,
    previews,
    connected,
    handlers: {
      onEnvelope: (envelope: Envelope) => {
        envelopes.push(envelope);
        notify();
      },
      onPreview: (frame: PreviewFrame) => {
        previews.push(frame);
        notify();
      },
      onConnection: (value: boolean) => {
        connected.push(value);
        notify();
      },
    },
    async until(check: () => boolean): Promise<void> {
      while (!check()) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

const send = (socket: WsSocket, body: Record<string, unknown>): void => socket.send(JSON.stringify({ v: 1, ...body }));

describe('event stream', () => {
  it('derives ws:// and wss:// URLs from the page', () => {
    assert.equal(socketUrl('/api/v1/events', 'https://gpu.example/user/user01/'), 'wss://gpu.example/api/v1/events');
    assert.equal(socketUrl('/api/v1/events', 'http://127.0.0.1:8080/user/user01/'), 'ws://127.0.0.1:8080/api/v1/events');
  });

  it('resumes after a drop with since/stream and delivers every envelope once', async () => {
    const server = await eventsServer();
    const seen = collector();
    const stream = new EventStream(server.url, seen.handlers, { backoff: new Backoff({ initialMs: 5, maxMs: 20 }) });
    try {
      stream.start();
      const first = await server.connection(0);
      assert.equal(first.url, '/api/v1/events');
      const job = wireJob();
      send(first.socket, { seq: 4, type: 'hello', stream: 'stream-a', role: 'seat', seat: 'user01', resumed: false });
      send(first.socket, { seq: 4, type: 'snapshot', jobs: [job], queue: null, announcements: [] });
      send(first.socket, { seq: 5, type: 'job', job: { ...job, state: 'running' } });
      await seen.until(() => seen.envelopes.length === 3);
      first.socket.terminate();

      const second = await server.connection(1);
      const resumed = new URL(second.url, 'http://x');
      assert.deepEqual([resumed.searchParams.get('since'), resumed.searchParams.get('stream')], ['5', 'stream-a']);
      send(second.socket, { seq: 7, type: 'hello', stream: 'stream-a', role: 'seat', seat: 'user01', resumed: true });
      // Replayed: one the client already has (5) and the two it missed.
      send(second.socket, { seq: 5, type: 'job', job: { ...job, state: 'running' } });
      send(second.socket, { seq: 6, type: 'comfy', job_id: job.id, event: 'progress', data: { value: 1, max: 2 } });
      send(second.socket, { seq: 7, type: 'job', job: { ...job, state: 'succeeded' } });
      await seen.until(() => seen.envelopes.length === 6);
      assert.deepEqual(
        seen.envelopes.map((e) => `${e.type}:${e.seq}`),
        ['hello:4', 'snapshot:4', 'job:5', 'hello:7', 'comfy:6', 'job:7'],
      );
      assert.deepEqual(seen.connected, [true, false, true]);
    } finally {
      stream.stop();
      await server.close();
    }
  });

  it('starts over with the new stream after a server restart', async () => {
    const server = await eventsServer();
    const seen = collector();
    const stream = new EventStream(server.url, seen.handlers, { backoff: new Backoff({ initialMs: 5, maxMs: 20 }) });
    try {
      stream.start();
      const first = await server.connection(0);
      send(first.socket, { seq: 900, type: 'hello', stream: 'old', role: 'seat', resumed: false });
      await seen.until(() => seen.envelopes.length === 1);
      first.socket.terminate();
      const second = await server.connection(1);
      // The restarted server has a new stream id and low sequence numbers: nothing may be skipped as "seen".
      send(second.socket, { seq: 2, type: 'hello', stream: 'new', role: 'seat', resumed: false });
      send(second.socket, { seq: 2, type: 'snapshot', jobs: [], queue: null, announcements: [] });
      send(second.socket, { seq: 3, type: 'announcement', announcement: { id: 'a', text: 'back', at: 'now' } });
      await seen.until(() => seen.envelopes.length === 4);
      assert.deepEqual(
        seen.envelopes.map((e) => e.type),
        ['hello', 'hello', 'snapshot', 'announcement'],
      );
      assert.equal(new URL(stream.nextUrl()).searchParams.get('stream'), 'new');
    } finally {
      stream.stop();
      await server.close();
    }
  });

  it('decodes binary preview frames', async () => {
    const server = await eventsServer();
    const seen = collector();
    const stream = new EventStream(server.url, seen.handlers);
    try {
      stream.start();
      const { socket } = await server.connection(0);
      send(socket, { seq: 1, type: 'hello', stream: 's', role: 'seat', resumed: false });
      socket.send(Buffer.from(previewFrame({ v: 1, type: 'preview', job_id: 'j1', node_id: '3', image_type: 'image/png' }, new Uint8Array([9, 8, 7]))));
      await seen.until(() => seen.previews.length === 1);
      assert.equal(seen.previews[0]?.jobId, 'j1');
      assert.deepEqual([...seen.previews[0]!.bytes], [9, 8, 7]);
    } finally {
      stream.stop();
      await server.close();
    }
  });
});
