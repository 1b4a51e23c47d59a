/** A job's output files, one by one or every file of a seat as one streamed zip. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { QueueError } from '../../lib/errors.ts';
import { safeSegments } from '../../lib/outputs/output-store.ts';
import { sendFile } from '../send-file.ts';
import { DownloadQuerySchema, JobIdParamsSchema, OutputsListSchema, ZipQuerySchema } from '../schemas.ts';
import { jobView } from '../views.ts';
import { type ZipEntry, zipStream } from '../zip.ts';
import { defineRoute, registerRoutes } from './define.ts';
import { actorOf } from './jobs.ts';

/** The path after /outputs/, split from the raw URL so an encoded "/" cannot merge segments. */
function requestedFile(rawUrl: string, jobId: string): { subfolder: string; filename: string } {
  const path = rawUrl.split('?')[0]!;
  const marker = `/api/v1/jobs/${jobId}/outputs/`;
  const at = path.indexOf(marker);
  if (at < 0) throw new QueueError('not_found', 'no such output');
  let segments: string[];
  try {
    segments = path.slice(at + marker.length).split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw new QueueError('invalid_request', 'the output path is not valid URL encoding', { field: 'path' });
  }
  safeSegments(segments.join('/'), 'path');
  return { subfolder: segments.slice(0, -1).join('/'), filename: segments[segments.length - 1]! };
}

export async function outputRoutes(app: FastifyInstance): Promise<void> {
  const { queue } = app;
  const { outputs } = app.cm;

  registerRoutes(app, [
    defineRoute({
      method: 'GET',
      url: '/api/v1/jobs/:id/outputs',
      summary: 'The files a job produced',
      tag: 'outputs',
      access: 'user',
      params: JobIdParamsSchema,
      responses: { 200: OutputsListSchema },
      async handler({ caller, params }) {
        const job = await queue.get(params.id, actorOf(caller));
        return { outputs: jobView(job, null).outputs };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/jobs/:id/outputs/*',
      summary: 'Download one output file (inline; as an attachment with ?download=1)',
      tag: 'outputs',
      access: 'user',
      params: z.object({ id: JobIdParamsSchema.shape.id, '*': z.string() }),
      query: DownloadQuerySchema,
      responses: { 200: 'file', 206: 'file' },
      async handler({ request, reply, caller, params, query }) {
        const job = await queue.get(params.id, actorOf(caller));
        const wanted = requestedFile(request.raw.url ?? '', job.id);
        const file = job.outputs.find((o) => o.subfolder === wanted.subfolder && o.filename === wanted.filename);
        if (!file) throw new QueueError('not_found', `job ${job.id} has no output ${wanted.subfolder}/${wanted.filename}`);
        return sendFile(request, reply, outputs.resolve(job.seat, file.subfolder, file.filename), {
          filename: file.filename,
          mime: file.mime,
          download: query.download === '1' || query.download === 'true',
        });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/outputs.zip',
      summary: 'Every output file of the seat as one zip (admin: ?seat=, or every seat)',
      tag: 'outputs',
      access: 'user',
      query: ZipQuerySchema,
      responses: { 200: 'file' },
      async handler({ reply, caller, query }) {
        let seats: string[];
        if (caller.role === 'seat') seats = [caller.seat];
        else if (query.seat !== undefined) {
          if (!app.seats.has(query.seat)) throw new QueueError('not_found', `seat "${query.seat}" does not exist`, { field: 'seat' });
          seats = [query.seat];
        } else seats = app.seats.ids();
        const prefixed = seats.length > 1;
        async function* entries(): AsyncGenerator<ZipEntry> {
          for (const seat of seats) {
            for (const file of await outputs.listSeat(seat)) {
              const slash = file.path.lastIndexOf('/');
              const path = outputs.resolve(seat, file.path.slice(0, Math.max(0, slash)), file.path.slice(slash + 1));
              yield { name: prefixed ? `${seat}/${file.path}` : file.path, path, size: file.size, mtime: file.mtime };
            }
          }
        }
        const name = seats.length === 1 ? `${seats[0]}-outputs.zip` : 'comfy-multi-outputs.zip';
        reply.header('content-type', 'application/zip').header('content-disposition', `attachment; filename="${name}"`);
        return reply.send(zipStream(entries()));
      },
    }),
  ]);
}
