/**
 * A local stand-in for a Modal web endpoint deployed with `requires_proxy_auth=True` in
 * front of a ComfyUI (`@modal.web_server`): every request, WebSocket upgrades included,
 * must carry the proxy-auth token's `Modal-Key` and `Modal-Secret` headers, or Modal's
 * proxy answers 401 ("modal-http: missing credentials for proxy authorization") before
 * anything reaches the container. Accepted traffic is relayed to the ComfyUI simulator.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { listen, sendText } from './fake-http.ts';

export interface FakeModalOptions {
  tokenId: string;
  tokenSecret: string;
  /** The ComfyUI inside the "container". */
  comfyUrl: string;
  /** The first N requests answer 503, as while a cold container is still coming up. */
  coldRequests?: number;
}

export interface FakeModal {
  url: string;
  /** Requests relayed to ComfyUI (path), and those refused (status). */
  relayed: string[];
  refused: number[];
  upgrades: number;
  close(): Promise<void>;
}

export async function startFakeModal(options: FakeModalOptions): Promise<FakeModal> {
  const target = new URL(options.comfyUrl);
  let cold = options.coldRequests ?? 0;
  // Upgraded sockets leave the HTTP server's bookkeeping; close() has to end them itself.
  const tunnels = new Set<{ destroy(): void }>();
  const fake: FakeModal = { url: '', relayed: [], refused: [], upgrades: 0, close: async () => {} };

  /** Modal's proxy check: the status to refuse with, or null to let the request through. */
  const refusal = (req: IncomingMessage): { status: number; text: string } | null => {
    const key = req.headers['modal-key'];
    const secret = req.headers['modal-secret'];
    if (!key || !secret) return { status: 401, text: 'modal-http: missing credentials for proxy authorization' };
    if (key !== options.tokenId || secret !== options.tokenSecret) return { status: 401, text: 'modal-http: invalid credentials for proxy authorization' };
    if (cold > 0) {
      cold -= 1;
      return { status: 503, text: 'modal-http: container is starting' };
    }
    return null;
  };

  const server = await listen((req, res) => {
    const refused = refusal(req);
    if (refused) {
      fake.refused.push(refused.status);
      return sendText(res, refused.status, refused.text);
    }
    fake.relayed.push(req.url ?? '/');
    const headers = { ...req.headers, host: target.host };
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const refused = refusal(req);
    if (refused) {
      fake.refused.push(refused.status);
      socket.end(`HTTP/1.1 ${refused.status} Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(refused.text)}\r\nConnection: close\r\n\r\n${refused.text}`);
      return;
    }
    fake.upgrades += 1;
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? target.host : req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    tunnels.add(upstream).add(socket);
    const end = (): void => {
      upstream.destroy();
      socket.destroy();
      tunnels.delete(upstream);
      tunnels.delete(socket);
    };
    upstream.on('error', end);
    socket.on('error', end);
    upstream.on('close', end);
    socket.on('close', end);
  });

  fake.url = server.origin;
  fake.close = async () => {
    for (const tunnel of tunnels) tunnel.destroy();
    await server.close();
  };
  return fake;
}
