/**
 * Sends one file from disk with the right type, single byte ranges (so videos
 * seek) and safe headers: nosniff always, and types a browser would run
 * (HTML, SVG, scripts) only ever as downloads.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueueError } from '../lib/errors.ts';
import { mimeOf } from '../lib/outputs/output-store.ts';

const ACTIVE_TYPES = /^(text\/html|image\/svg|application\/(javascript|xhtml|xml)|text\/(javascript|xml))/;

export interface SendFileOptions {
  filename: string;
  mime?: string | undefined;
  download?: boolean;
}

function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export async function sendFile(request: FastifyRequest, reply: FastifyReply, path: string, options: SendFileOptions): Promise<FastifyReply> {
  let size: number;
  let mtime: Date;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
    mtime = info.mtime;
  } catch {
    throw new QueueError('not_found', `file ${options.filename} was not found`, { field: 'filename' });
  }
  const type = options.mime ?? mimeOf(options.filename);
  const attachment = options.download === true || ACTIVE_TYPES.test(type);
  reply
    .header('content-type', type)
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', contentDisposition(attachment ? 'attachment' : 'inline', options.filename))
    .header('accept-ranges', 'bytes')
    .header('last-modified', mtime.toUTCString())
    .header('cache-control', 'private, max-age=3600');

  const range = /^bytes=(\d*)-(\d*)$/.exec(String(request.headers.range ?? ''));
  if (range && (range[1] !== '' || range[2] !== '')) {
    let start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
    let end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
    start = Math.max(0, start);
    if (start > end || start >= size) {
      return reply.code(416).header('content-range', `bytes */${size}`).send();
    }
    end = Math.max(start, end);
    reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`).header('content-length', String(end - start + 1));
    return request.method === 'HEAD' ? reply.send() : reply.send(createReadStream(path, { start, end }));
  }
  reply.header('content-length', String(size));
  return request.method === 'HEAD' ? reply.send() : reply.send(createReadStream(path));
}
