/**
 * A scripted stand-in for one ComfyUI, for client tests that need exact control over
 * timing and answers (drop a socket mid-run, answer 409, hide a route). It speaks only the
 * wire format: every answer and frame comes from the test. Behavioural fidelity is the
 * simulator's job (lib/simulator).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  json: unknown;
}

export interface Answer {
  status?: number;
  json?: unknown;
  text?: string;
  bytes?: Uint8Array;
  headers?: Record<string, string>;
}

export type Route = (request: RecordedRequest) => Answer | Promise<Answer>;

export interface FakeSocket {
  clientId: string;
  headers: IncomingMessage['headers'];
  path: string;
  /** Text frames the client sent, in order. */
  received: string[];
  ws: WebSocket;
  closed: Promise<void>;
}

/** Everything the fake saw, in order, so tests can assert "socket before POST". */
export type LogEntry = { kind: 'ws-open' | 'ws-close'; clientId: string } | { kind: 'http'; method: string; path: string };

export class FakeComfy {
  readonly routes = new Map<string, Route>();
  readonly requests: RecordedRequest[] = [];
  readonly sockets: FakeSocket[] = [];
  readonly log: LogEntry[] = [];
  /** The queue_remaining sent in the connect `status`; tests may also push frames on connect. */
  onConnect: (socket: FakeSocket) => void = () => undefined;
  serverFlags: Record<string, unknown> = { supports_preview_metadata: true, max_upload_size: 104857600 };
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #prefix: string;
  url = '';

  constructor(prefix = '') {
    this.#prefix = prefix;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const path = url.pathname.slice(this.#prefix.length);
        const body = Buffer.concat(chunks);
        let json: unknown = null;
        try {
          json = body.length ? JSON.parse(body.toString('utf8')) : null;
        } catch {
          json = null;
        }
        const request: RecordedRequest = { method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body, json };
        this.requests.push(request);
        this.log.push({ kind: 'http', method: request.method, path });
        const route = this.#match(request.method, path);
        const answer: Answer = route ? await route(request) : { status: 404, text: '404: Not Found' };
        const headers = { ...answer.headers };
        let payload: string | Uint8Array = '';
        if (answer.json !== undefined) {
          headers['Content-Type'] ??= 'application/json; charset=utf-8';
          payload = JSON.stringify(answer.json);
        } else if (answer.text !== undefined) {
          headers['Content-Type'] ??= 'text/plain; charset=utf-8';
          payload = answer.text;
        } else if (answer.bytes) {
          payload = answer.bytes;
        }
        res.writeHead(answer.status ?? 200, headers);
        res.end(payload);
      });
    });
    this.#server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname.slice(this.#prefix.length) !== '/ws') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        const clientId = url.searchParams.get('clientId') ?? 'minted';
        const fake: FakeSocket = {
          clientId,
          headers: req.headers,
          path: url.pathname,
          received: [],
          ws,
          closed: new Promise((resolve) => ws.once('close', () => resolve())),
        };
        fake.closed.then(() => this.log.push({ kind: 'ws-close', clientId }));
        this.sockets.push(fake);
        this.log.push({ kind: 'ws-open', clientId });
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          const text = data.toString();
          fake.received.push(text);
          if (fake.received.length === 1 && text.includes('"feature_flags"')) {
            ws.send(JSON.stringify({ type: 'feature_flags', data: this.serverFlags }));
          }
        });
        ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: clientId } }));
        this.onConnect(fake);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}${this.#prefix}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.ws.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  route(method: string, path: string, route: Route): void {
    this.routes.set(`${method} ${path}`, route);
  }

  /** The newest open socket of a client id. */
  socket(clientId: string): FakeSocket {
    const found = this.sockets.filter((s) => s.clientId === clientId && s.ws.readyState === s.ws.OPEN).at(-1);
    if (!found) throw new Error(`no open socket for ${clientId}`);
    return found;
  }

  send(clientId: string, frame: string | Uint8Array | object): void {
    const data = typeof frame === 'string' || frame instanceof Uint8Array ? frame : JSON.stringify(frame);
    this.socket(clientId).ws.send(data);
  }

  /** Waits until a condition on the fake's state holds (polling; no fixed sleeps in tests). */
  async until(condition: () => boolean, what = 'condition'): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  #match(method: string, path: string): Route | undefined {
    const exact = this.routes.get(`${method} ${path}`);
    if (exact) return exact;
    for (const [key, route] of this.routes) {
      const [m, pattern] = key.split(' ');
      if (m === method && pattern?.endsWith('*') && path.startsWith(pattern.slice(0, -1))) return route;
    }
    return undefined;
  }
}
