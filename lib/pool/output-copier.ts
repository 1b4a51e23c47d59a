/**
 * Copies the files of a ComfyUI `executed` output from the worker into the
 * seat's output store and rewrites the output to point at the copies, so the
 * participant's UI (through the seat gateway's /view) shows files that outlive
 * the worker's temp folder and can never be mixed up with another worker's.
 */
import type { Readable } from 'node:stream';
import type { OutputFile } from '../job.ts';
import type { OutputStore, WorkerFile } from '../outputs/output-store.ts';

export type FetchWorkerFile = (file: WorkerFile) => Promise<Readable | AsyncIterable<Uint8Array>>;

export interface CopyRequest {
  /** `executed.data.output`: kind → items, e.g. {images: [{filename, subfolder, type}], animated: [true]}. */
  output: Record<string, unknown>;
  nodeId: string;
  seat: string;
  jobId: string;
  worker: string;
  store: OutputStore;
  fetchFile: FetchWorkerFile;
}

function isWorkerFile(item: unknown): item is WorkerFile {
  if (!item || typeof item !== 'object') return false;
  const file = item as Record<string, unknown>;
  return typeof file['filename'] === 'string' && (file['type'] === 'output' || file['type'] === 'temp') && typeof (file['subfolder'] ?? '') === 'string';
}

export async function copyExecutedOutput(request: CopyRequest): Promise<{ output: Record<string, unknown>; files: OutputFile[] }> {
  const files: OutputFile[] = [];
  const output: Record<string, unknown> = {};
  for (const [kind, items] of Object.entries(request.output)) {
    if (!Array.isArray(items)) {
      output[kind] = items;
      continue;
    }
    output[kind] = await Promise.all(
      items.map(async (item: unknown) => {
        if (!isWorkerFile(item)) return item;
        const source: WorkerFile = { filename: item.filename, subfolder: item.subfolder ?? '', type: item.type };
        const ref = request.store.refFor(request.seat, request.jobId, request.worker, source, request.nodeId, kind);
        const size = await request.store.write(request.seat, ref, await request.fetchFile(source));
        files.push({ ...ref, size });
        return { ...(item as object), filename: ref.filename, subfolder: ref.subfolder, type: ref.type };
      }),
    );
  }
  return { output, files };
}
