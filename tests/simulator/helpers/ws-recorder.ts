/**
 * A WebSocket client that records frames the way the fixture recorder did: text frames parsed
 * (keeping ints vs floats), binary preview frames decoded into event type, header and image type.
 */
import WebSocket from 'ws';
import { dumps, parseJson } from '../../../lib/simulator/py-json.ts';

export type Frame =
  | { kind: 'json'; value: Record<string, unknown>; raw: string }
  | { kind: 'binary'; eventType: number; header: Record<string, unknown>; mime: string; rawMetadata?: string; payload: Buffer };

export function sniffMime(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF') return 'image/webp';
  return 'application/octet-stream';
}

export function decodeBinary(buf: Buffer): Frame {
  const eventType = buf.readUInt32BE(0);
  if (eventType === 4) {
    const length = buf.readUInt32BE(4);
    const rawMetadata = buf.subarray(8, 8 + length).toString('utf8');
    const payload = buf.subarray(8 + length);
    return {
      kind: 'binary',
      eventType,
      header: { metadata_length: length, metadata: parseJson(rawMetadata) },
      mime: sniffMime(payload),
      rawMetadata,
      payload,
    };
  }
  const format = buf.readUInt32BE(4);
  const payload = buf.subarray(8);
  return { kind: 'binary', eventType, header: { image_format: format }, mime: sniffMime(payload), payload };
}

export class RecordingClient {
  readonly frames: Frame[] = [];
  /** Text frames whose bytes are not what Python's json.dumps would write. */
  readonly formatErrors: string[] = [];
  private ws: WebSocket | null = null;
  private closed: Promise<number> = Promise.resolve(1000);
  private lastFrameAt = Date.now();
  private listeners = new Set<() => void>();

  connect(url: string): Promise<void> {
    const ws = new WebSocket(url);
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) this.frames.push(decodeBinary(buf));
      else {
        const raw = buf.toString('utf8');
        const value = parseJson(raw) as Record<string, unknown>;
        if (dumps(value) !== raw) this.formatErrors.push(raw);
        this.frames.push({ kind: 'json', value, raw });
      }
      this.lastFrameAt = Date.now();
      for (const l of [...this.listeners]) l();
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }

  /** The close code of the current connection, once it closed (1006 when the server vanished). */
  whenClosed(): Promise<number> {
    return this.closed;
  }

  send(value: unknown): void {
    this.ws?.send(JSON.stringify(value));
  }

  close(): Promise<void> {
    const ws = this.ws;
    this.ws = null;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000);
    });
  }

  /** Waits until `count` frames arrived, or the stream went quiet for `quietMs` (then the caller's comparison reports the gap). */
  waitForCount(count: number, quietMs: number, maxMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (this.frames.length >= count) return done();
        if (Date.now() - this.lastFrameAt >= quietMs && Date.now() - started >= quietMs) return done();
        if (Date.now() - started > maxMs) {
          cleanup();
          reject(new Error(`timed out waiting for ${count} frames (have ${this.frames.length})`));
        }
      };
      const timer = setInterval(check, 10);
      const cleanup = () => {
        clearInterval(timer);
        this.listeners.delete(check);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves on the first frame matching `pred` (already received ones included). */
  waitFor(pred: (f: Frame) => boolean, maxMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const hit = this.frames.find(pred);
      if (hit) return resolve(hit);
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error('timed out waiting for a frame'));
      }, maxMs);
      const check = () => {
        const f = this.frames.find(pred);
        if (!f) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(f);
      };
      this.listeners.add(check);
    });
  }
}

export function jsonFrame(f: Frame, type: string): Record<string, unknown> | null {
  return f.kind === 'json' && f.value['type'] === type ? (f.value['data'] as Record<string, unknown>) : null;
}
