/**
 * The "UI upstream" of the demo and the browser tests: a stand-in for the ComfyUI that
 * serves the frontend. The real frontend ships as a Python wheel this project cannot
 * install, so it serves a small page that reproduces the frontend's extension surface
 * (server/demo-frontend: app.registerExtension, the api object, Run, node outputs) at `/`,
 * the custom node's web directory (extension/comfyui/js) under /extensions/comfy-multi/ with
 * /api/extensions listing it like ComfyUI does, and forwards everything else — HTTP and
 * the /ws WebSocket — to a ComfyUI (the simulator), or answers 404 without one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HARNESS_DIR = fileURLToPath(new URL('./demo-frontend/', import.meta.url));
export const EXTENSION_WEB_DIR = fileURLToPath(new URL('../extension/comfyui/js/', import.meta.url));
const EXTENSION_NAME = 'comfy-multi';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};

export interface UiUpstream {
  url: string;
  close(): Promise<void>;
}

/** A file under root, or null (also for anything that would leave root). */
async function readUnder(root: string, path: string): Promise<Buffer | null> {
  const file = resolve(root, `.${decodeURIComponent(path)}`);
  const inside = relative(root, file);
  if (inside.startsWith('..') || isAbsolute(inside)) return null;
  try {
    return (await stat(file)).isFile() ? await readFile(file) : null;
  } catch {
    return null;
  }
}

/** ComfyUI lists every *.js under a WEB_DIRECTORY, recursively (A.2 GET /extensions). */
async function extensionUrls(): Promise<string[]> {
  let files: string[] = [];
  try {
    files = (await readdir(EXTENSION_WEB_DIR, { recursive: true })).map(String).filter((name) => name.endsWith('.js'));
  } catch {
    // not built: ComfyUI would list nothing for this node
  }
  return files.map((name) => `/extensions/${EXTENSION_NAME}/${name.split(sep).join('/')}`);
}

function send(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function forward(comfy: URL, req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    // Headers go through untouched (Host too), so ComfyUI's origin check sees what a browser talking to it directly would send.
    { host: comfy.hostname, port: comfy.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) send(res, 502, 'application/json', JSON.stringify({ error: 'upstream unreachable' }));
    else res.destroy();
  });
  req.pipe(upstream);
}

/** Replays the upgrade request on a raw connection to the ComfyUI and splices the two sockets. */
function forwardUpgrade(comfy: URL, req: IncomingMessage, client: Socket, head: Buffer): void {
  const upstream = connect(Number(comfy.port), comfy.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client).pipe(upstream);
  });
  const drop = (): void => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', drop);
  client.on('error', drop);
  client.on('close', drop);
  upstream.on('close', drop);
}

export async function startUiUpstream(options: { comfyUrl: string | null }): Promise<UiUpstream> {
  const comfy = options.comfyUrl ? new URL(options.comfyUrl) : null;
  const sockets = new Set<Socket>();

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://upstream').pathname;
    if (req.method === 'GET' && (path === '/api/extensions' || path === '/extensions')) {
      send(res, 200, 'application/json', JSON.stringify(await extensionUrls()));
      return;
    }
    const prefix = `/extensions/${EXTENSION_NAME}/`;
    if (req.method === 'GET' && path.startsWith(prefix)) {
      const body = await readUnder(EXTENSION_WEB_DIR, `/${path.slice(prefix.length)}`);
      if (body) send(res, 200, TYPES[extname(path)] ?? 'application/octet-stream', body);
      else send(res, 404, 'text/plain', 'not found');
      return;
    }
    if (req.method === 'GET') {
      const body = await readUnder(HARNESS_DIR, path === '/' ? '/index.html' : path);
      if (body) {
        send(res, 200, TYPES[extname(path === '/' ? 'index.html' : path)] ?? 'application/octet-stream', body);
        return;
      }
    }
    if (comfy) forward(comfy, req, res);
    else send(res, 404, 'application/json', JSON.stringify({ error: 'not found' }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    if (comfy) forwardUpgrade(comfy, req, socket as Socket, head);
    else socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** For a manual look: `node server/demo-ui-upstream.ts [comfy-url]` serves the stand-in frontend. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const upstream = await startUiUpstream({ comfyUrl: process.argv[2] ?? null });
  console.log(`harness at ${upstream.url}/`);
}

