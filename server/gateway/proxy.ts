/**
 * The seat gateway's reverse proxy to the UI upstream, for plain HTTP and for
 * WebSockets. The participant's cookies, credentials and browser-origin
 * headers never reach the upstream (ComfyUI's origin check would refuse a
 * rewritten Host otherwise); the seat's Comfy-User header is always ours.
 */
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebSocket, type RawData } from 'ws';
import { QueueError } from '../../lib/errors.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Request headers that are ours or the browser's, never the upstream's business. */
const DROP_REQUEST = new Set(['host', 'cookie', 'authorization', 'comfy-user', 'origin', 'referer', 'forwarded', 'expect']);
const DROP_RESPONSE = new Set(['set-cookie']);

export interface ProxyTarget {
  /** Upstream base URL, e.g. http://127.0.0.1:8188 */
  upstream: string;
  /** Path on the upstream, starting with '/', plus the raw query string ('?…' or ''). */
  path: string;
  comfyUser: string;
  /** The public prefix (/user/<seat>) used to rewrite upstream redirects. */
  prefix: string;
}

export function upstreamHeaders(headers: IncomingHttpHeaders, comfyUser: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || DROP_REQUEST.has(name)) continue;
    if (name.startsWith('sec-fetch-') || name.startsWith('x-forwarded-') || name.startsWith('sec-websocket-')) continue;
    out[name] = value;
  }
  out['comfy-user'] = comfyUser;
  return out;
}

function rewriteLocation(location: string, target: ProxyTarget): string {
  const base = new URL(target.upstream);
  if (location.startsWith('/') && !location.startsWith('//')) return target.prefix + location;
  try {
    const url = new URL(location);
    if (url.origin === base.origin) return target.prefix + url.pathname + url.search;
  } catch {
    // relative without a slash: leave it, the browser resolves it under the prefix anyway
  }
  return location;
}

/** Forwards the request (with `body`, or the raw request stream) and streams the upstream's answer back. */
export function proxyHttp(request: FastifyRequest, reply: FastifyReply, target: ProxyTarget, body?: Buffer): Promise<FastifyReply> {
  const url = new URL(target.path, target.upstream);
  const headers = upstreamHeaders(request.headers, target.comfyUser);
  if (body !== undefined) {
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.length);
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method: request.method, headers }, (incoming: IncomingMessage) => {
      reply.code(incoming.statusCode ?? 502);
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name) || DROP_RESPONSE.has(name)) continue;
        reply.header(name, name === 'location' && typeof value === 'string' ? rewriteLocation(value, target) : value);
      }
      const status = incoming.statusCode ?? 502;
      if (request.method === 'HEAD' || status === 204 || status === 304) {
        incoming.resume();
        resolve(reply.send());
      } else {
        resolve(reply.send(incoming as Readable));
      }
    });
    outgoing.on('error', (error) => {
      if (reply.sent) return;
      reject(new QueueError('worker_unavailable', `the UI upstream did not answer: ${error.message}`, { cause: error, details: { upstream: target.upstream } }));
    });
    // A browser that gives up (navigation, closed tab) aborts the upstream request too.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) outgoing.destroy();
    });
    if (body !== undefined) outgoing.end(body);
    else if (hasBody(request)) request.raw.pipe(outgoing);
    else outgoing.end();
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/** Close codes a peer may send (1005, 1006 and 1015 are reserved for reporting). */
function sendableCode(code: number): number {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : 1000;
}

/** Pipes a browser WebSocket to the upstream's, both ways, frame for frame. */
export function proxyWebSocket(client: WebSocket, request: FastifyRequest, target: ProxyTarget): void {
  const url = new URL(target.path, target.upstream);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const upstream = new WebSocket(url, protocols, { headers: { 'comfy-user': target.comfyUser }, perMessageDeflate: false });
  const early: { data: RawData; binary: boolean }[] = [];

  client.on('message', (data, binary) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
    else if (upstream.readyState === WebSocket.CONNECTING) early.push({ data, binary });
  });
  upstream.on('open', () => {
    for (const { data, binary } of early.splice(0)) upstream.send(data, { binary });
  });
  upstream.on('message', (data, binary) => {
    if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
  });
  upstream.on('close', (code, reason) => {
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close(sendableCode(code), reason);
  });
  upstream.on('error', () => {
    if (client.readyState === WebSocket.OPEN) client.close(1011, 'UI upstream unavailable');
    upstream.terminate();
  });
  upstream.on('unexpected-response', (_req, response) => {
    response.resume();
    if (client.readyState === WebSocket.OPEN) client.close(1011, `UI upstream answered ${response.statusCode}`);
    upstream.terminate();
  });
  client.on('close', (code, reason) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.close(sendableCode(code), reason);
    else upstream.terminate();
  });
  client.on('error', () => upstream.terminate());
}
