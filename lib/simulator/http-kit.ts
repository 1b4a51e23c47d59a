/**
 * Minimal HTTP plumbing with aiohttp's observable behaviour: every route also answers under
 * "/api" (except internal ones), empty-bodied 200s without Content-Type, "500 Internal Server
 * Error" text pages, 404s of the static web root, FileResponse headers (ETag, Range).
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dumps } from './py-json.ts';

export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface RequestCtx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  header(name: string): string | undefined;
  body(): Promise<Buffer>;
}

export type Handler = (ctx: RequestCtx) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  api: boolean;
}

export class BodyTooLarge extends Error {}

export class Router {
  private readonly routes: Route[] = [];

  /** @param api whether the route also answers with "/api" in front (ComfyUI adds that twin to all but internal routes) */
  add(method: string, path: string, handler: Handler, api = true): void {
    this.routes.push({ method, segments: path.split('/').slice(1), handler, api });
  }

  private find(path: string, viaApi: boolean): { route: Route; params: Record<string, string> }[] {
    const parts = path.split('/').slice(1);
    const out: { route: Route; params: Record<string, string> }[] = [];
    for (const route of this.routes) {
      if (viaApi && !route.api) continue;
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith('{') && seg.endsWith('}')) {
          if (part === '') ok = false;
          else params[seg.slice(1, -1)] = safeDecode(part);
        } else if (seg !== part) ok = false;
      }
      if (ok) out.push({ route, params });
    }
    return out;
  }

  /** The handler for a request, or the methods the path does allow (405), or null (404). */
  resolve(method: string, path: string): { handler: Handler; params: Record<string, string> } | { allow: string[] } | null {
    const want = method === 'HEAD' ? 'GET' : method;
    let candidates = this.find(path, false);
    if (candidates.length === 0 && path.startsWith('/api/')) candidates = this.find(path.slice(4), true);
    const hit = candidates.find((c) => c.route.method === want);
    if (hit) return { handler: hit.route.handler, params: hit.params };
    if (candidates.length > 0) return { allow: [...new Set(candidates.map((c) => c.route.method))] };
    return null;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function finish(ctx: RequestCtx, status: number, headers: Record<string, string>, body: Buffer | string | null): void {
  const data = body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  ctx.res.writeHead(status, { ...headers, 'Content-Length': String(data.length) });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : data);
}

/** web.json_response(value) */
export function sendJson(ctx: RequestCtx, value: unknown, status = 200): void {
  finish(ctx, status, { 'Content-Type': 'application/json; charset=utf-8' }, dumps(value));
}

/** web.Response(status=…): no body, no Content-Type. */
export function sendEmpty(ctx: RequestCtx, status = 200, headers: Record<string, string> = {}): void {
  finish(ctx, status, headers, null);
}

/** web.Response(text=…) / HTTPException bodies. */
export function sendText(ctx: RequestCtx, status: number, text: string): void {
  finish(ctx, status, { 'Content-Type': 'text/plain; charset=utf-8' }, text);
}

export function sendBytes(ctx: RequestCtx, body: Buffer, contentType: string, headers: Record<string, string> = {}): void {
  finish(ctx, 200, { ...headers, 'Content-Type': contentType }, body);
}

/** What aiohttp answers when a handler raises. */
export function sendServerError(ctx: RequestCtx): void {
  sendText(ctx, 500, '500 Internal Server Error\n\nServer got itself in trouble');
}

/** The static web root's answer for an unknown path. */
export function sendNotFound(ctx: RequestCtx): void {
  ctx.res.writeHead(404, { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' });
  ctx.res.end();
}

/** web.FileResponse: ETag/Last-Modified, conditional GET and single byte ranges. */
export function sendFile(ctx: RequestCtx, path: string, headers: Record<string, string>): void {
  const st = statSync(path, { bigint: true });
  const size = Number(st.size);
  const etag = `"${st.mtimeNs.toString(16)}-${size.toString(16)}"`;
  const lastModified = new Date(Number(st.mtimeMs)).toUTCString();
  const base = { ...headers, Etag: etag, 'Last-Modified': lastModified, 'Accept-Ranges': 'bytes' };
  const inm = ctx.header('if-none-match');
  if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    ctx.res.writeHead(304, base);
    ctx.res.end();
    return;
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(ctx.header('range') ?? '');
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range && (range[1] !== '' || range[2] !== '')) {
    if (range[1] === '') start = Math.max(0, size - Number(range[2]));
    else {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(size - 1, Number(range[2]));
    }
    if (start > end || start >= size) {
      ctx.res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    status = 206;
  }
  const rangeHeaders: Record<string, string> = status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {};
  ctx.res.writeHead(status, { ...base, ...rangeHeaders, 'Content-Length': String(end - start + 1) });
  if (ctx.method === 'HEAD' || size === 0) {
    ctx.res.end();
    return;
  }
  createReadStream(path, { start, end }).pipe(ctx.res);
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/** Host part of "host:port" or "[v6]:port". */
function hostnameOf(hostPort: string): string {
  const v6 = /^\[([^\]]*)\]/.exec(hostPort);
  if (v6) return v6[1] as string;
  return hostPort.split(':')[0] ?? '';
}

/**
 * ComfyUI's origin-only middleware: a browser page on another origin may not drive a server it
 * reaches as localhost. Newer cores also refuse `Sec-Fetch-Site: cross-site`.
 */
export function originRejected(headers: IncomingMessage['headers'], checkFetchSite: boolean): boolean {
  if (checkFetchSite && headers['sec-fetch-site'] === 'cross-site') return true;
  const host = headers.host;
  const origin = headers.origin;
  if (host === undefined || origin === undefined) return false;
  const hostDomain = host.toLowerCase();
  let originDomain = '';
  try {
    originDomain = new URL(origin).host.toLowerCase();
  } catch {
    originDomain = '';
  }
  if (!LOOPBACK.test(hostnameOf(hostDomain))) return false;
  return hostDomain.length > 0 && originDomain.length > 0 && hostDomain !== originDomain;
}
