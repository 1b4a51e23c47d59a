/**
 * The deployment's nginx for tests: renders docker/nginx/templates/comfy-multi.conf.template
 * the way the official nginx image does (envsubst with a fixed list of names), makes a
 * throw-away CA and a certificate signed by it with openssl, runs the real nginx binary in
 * the foreground on loopback ports, and talks HTTPS to it trusting only that CA.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

export const NGINX = process.env['NGINX_BIN'] ?? '/usr/sbin/nginx';
export const TEMPLATE = new URL('../../docker/nginx/templates/comfy-multi.conf.template', import.meta.url);

/** The template's placeholders, as docker-compose.yml sets them for the nginx service. */
export const TEMPLATE_VARIABLES = ['SERVER_NAME', 'UPSTREAM', 'RESOLVER', 'TLS_CERT', 'TLS_KEY', 'HTTP_LISTEN', 'HTTPS_LISTEN', 'PUBLIC_HTTPS_PORT'] as const;
export type TemplateValues = Record<(typeof TEMPLATE_VARIABLES)[number], string>;

/** envsubst with an explicit list: only `$NAME`/`${NAME}` of the given names change. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    return Object.hasOwn(values, name) ? values[name]! : whole;
  });
}

const run = promisify(execFile);

export interface Certificates {
  /** The CA a client must trust. */
  ca: Buffer;
  fullchain: string;
  privkey: string;
}

/** A CA and a certificate for localhost/127.0.0.1 signed by it; fullchain.pem = leaf + CA. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  await mkdir(dir, { recursive: true });
  const path = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=comfy-multi test CA']);
  await run('openssl', ['req', ...ec, '-keyout', path('privkey.pem'), '-out', path('leaf.csr'), '-subj', '/CN=localhost']);
  await writeFile(
    path('leaf.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  await run('openssl', [
    'x509', '-req', '-in', path('leaf.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial',
    '-out', path('leaf.pem'), '-days', '2', '-extfile', path('leaf.ext'),
  ]);
  const ca = await readFile(path('ca.pem'));
  await writeFile(path('fullchain.pem'), Buffer.concat([await readFile(path('leaf.pem')), ca]));
  return { ca, fullchain: path('fullchain.pem'), privkey: path('privkey.pem') };
}

export interface NginxHandle {
  /** The rendered site config (what /etc/nginx/conf.d/default.conf is in the container). */
  site: string;
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground with `prefix` as its whole world (temp files, pid, logs);
 * the rendered template is included in http {} like the image's nginx.conf does.
 */
export async function startNginx(prefix: string, values: TemplateValues, ports: number[]): Promise<NginxHandle> {
  const site = renderTemplate(await readFile(TEMPLATE, 'utf8'), values);
  await writeFile(join(prefix, 'site.conf'), site);
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(prefix, 'temp', temp), { recursive: true });
  const main = [
    // As root the workers would otherwise run as nobody and could not use the temp folders here.
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    'events { worker_connections 256; }',
    'http {',
    `  client_body_temp_path ${join(prefix, 'temp/body')};`,
    `  proxy_temp_path ${join(prefix, 'temp/proxy')};`,
    `  fastcgi_temp_path ${join(prefix, 'temp/fastcgi')};`,
    `  uwsgi_temp_path ${join(prefix, 'temp/uwsgi')};`,
    `  scgi_temp_path ${join(prefix, 'temp/scgi')};`,
    `  access_log ${join(prefix, 'access.log')};`,
    `  include ${join(prefix, 'site.conf')};`,
    '}',
  ].join('\n');
  await writeFile(join(prefix, 'nginx.conf'), `${main}\n`);
  if (!existsSync(NGINX)) throw new Error(`nginx not found at ${NGINX}: apt-get install nginx (or set NGINX_BIN)`);
  const errorLog = join(prefix, 'error.log');
  const globals = `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${errorLog} warn;`;
  const child: ChildProcess = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', globals], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        const log = await readFile(errorLog, 'utf8').catch(() => '');
        throw new Error(`nginx did not start listening on ${port}: ${output}${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return { site, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The certificate chain the server presented (HTTPS only), leaf first. */
  peer: { subject: string; issuer: string } | null;
}

/** One request; over HTTPS it trusts only `ca`. IPv4, because nginx listens on 127.0.0.1. */
export function send(
  url: string,
  options: { ca?: Buffer; method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = { method: options.method ?? 'GET', headers: options.headers ?? {}, family: 4 };
    const req = (url.startsWith('https:') ? httpsRequest(url, { ...common, ...(options.ca ? { ca: options.ca } : {}) }) : httpRequest(url, common)).on(
      'response',
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate?.();
        const peer = cert?.subject ? { subject: String(cert.subject.CN), issuer: String(cert.issuer.CN) } : null;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), peer }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
