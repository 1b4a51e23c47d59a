/**
 * Uploads through the gateway (LoadImage's upload button, the mask editor) go
 * to the UI upstream as usual, so its combo lists show the file, and a copy
 * lands in the seat's own input folder (<data>/inputs/<seat>/<subfolder>/<name>),
 * from where the worker pool stages it onto whichever GPU worker runs the job.
 * The copy is fetched back from the upstream, so it is exactly what the
 * upstream stored (renamed on collision, mask composited).
 */
import type { IncomingMessage } from 'node:http';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { QueueError } from '../../lib/errors.ts';
import type { InputStager } from '../../lib/pool/input-stager.ts';
import { HttpError } from '../http-error.ts';
import { type ProxyTarget, upstreamHeaders } from './proxy.ts';

const UploadAnswerSchema = z.looseObject({ name: z.string().min(1), subfolder: z.string().default(''), type: z.string().default('input') });

/** Reads a request body into memory, refusing more than `limit` bytes with a 413. */
export async function readBody(raw: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(raw.headers['content-length'] ?? 0);
  if (declared > limit) {
    raw.resume();
    throw new HttpError(413, 'body_too_large', `the upload is ${declared} bytes; the limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      raw.resume();
      throw new HttpError(413, 'body_too_large', `the upload is larger than the limit of ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function fetchHeaders(headers: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-length') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export interface CopyUploadOptions {
  request: FastifyRequest;
  reply: FastifyReply;
  body: Buffer;
  target: ProxyTarget;
  seat: string;
  inputs: InputStager;
  log: FastifyBaseLogger;
}

/**
 * The upload with its `subfolder` moved under `<seat>/`: the UI ComfyUI's input folder is shared,
 * and LoadImage lists only its top-level files, so a seat's uploads stay out of other seats' lists.
 */
async function namespaced(body: Buffer, contentType: string | undefined, seat: string): Promise<FormData | null> {
  if (!contentType?.toLowerCase().startsWith('multipart/form-data')) return null;
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return null; // not parseable: the upstream answers it as ComfyUI would
  }
  const type = form.get('type');
  if (type !== null && type !== 'input') return form;
  const subfolder = form.get('subfolder');
  const own = typeof subfolder === 'string' ? subfolder.replace(/^\/+|\/+$/g, '') : '';
  form.set('subfolder', own === seat || own.startsWith(`${seat}/`) ? own : [seat, own].filter(Boolean).join('/'));
  return form;
}

export async function copyUpload(options: CopyUploadOptions): Promise<FastifyReply> {
  const { request, reply, body, target, seat, inputs, log } = options;
  const headers = fetchHeaders(upstreamHeaders(request.headers, target.comfyUser));
  const form = await namespaced(body, request.headers['content-type'], seat);
  // fetch writes its own multipart boundary for a FormData body.
  if (form) delete headers['content-type'];
  let response: Response;
  try {
    response = await fetch(new URL(target.path, target.upstream), { method: 'POST', headers, body: form ?? new Uint8Array(body) });
  } catch (error) {
    throw new QueueError('worker_unavailable', `the UI upstream did not answer: ${(error as Error).message}`, { cause: error });
  }
  const answer = Buffer.from(await response.arrayBuffer());
  if (response.ok) {
    try {
      await keepCopy(answer, target, seat, inputs);
    } catch (error) {
      // The upload itself worked; the job will fail clearly at staging if the copy is missing.
      log.warn({ err: error, seat }, 'could not copy an upload into the seat input folder');
    }
  }
  reply.code(response.status);
  const type = response.headers.get('content-type');
  if (type) reply.header('content-type', type);
  return reply.send(answer);
}

async function keepCopy(answer: Buffer, target: ProxyTarget, seat: string, inputs: InputStager): Promise<void> {
  const parsed = UploadAnswerSchema.safeParse(JSON.parse(answer.toString('utf8')));
  if (!parsed.success || parsed.data.type !== 'input') return;
  const { name, subfolder } = parsed.data;
  const path = inputs.resolve(seat, subfolder === '' ? name : `${subfolder}/${name}`);
  const query = new URLSearchParams({ filename: name, subfolder, type: 'input' });
  const view = await fetch(new URL(`/view?${query}`, target.upstream), { headers: { 'comfy-user': target.comfyUser } });
  if (!view.ok) throw new Error(`the UI upstream answered ${view.status} for the uploaded file`);
  const bytes = Buffer.from(await view.arrayBuffer());
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.partial`;
  await writeFile(temp, bytes);
  await rename(temp, path);
}
