/**
 * How lib/ objects look on the wire: snake_case, ISO times, seconds for ETAs,
 * and only what the caller may see (a seat sees other seats' jobs as anonymous positions).
 */
import type { Job, OutputFile } from '../lib/job.ts';
import type { WorkerView } from '../lib/pool/types.ts';
import type { QueueSnapshot } from '../lib/scheduling/snapshot.ts';
import type { JobView, QueueView, WorkerJson } from './schemas.ts';

/** Who is looking: an admin sees everything, a seat its own. */
export type Viewer = { role: 'admin' } | { role: 'seat'; seat: string };

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 100) / 10);

/** A seat's gateway URL; with its code, the one-click login link. */
export function seatUrl(publicUrl: string, seat: string, code?: string): string {
  return `${publicUrl}/user/${seat}/${code === undefined ? '' : `?code=${encodeURIComponent(code)}`}`;
}

/** Each segment encoded on its own, so '/' keeps separating folders. */
export function outputUrl(jobId: string, file: Pick<OutputFile, 'subfolder' | 'filename'>): string {
  const parts = [...(file.subfolder === '' ? [] : file.subfolder.split('/')), file.filename].map(encodeURIComponent);
  return `/api/v1/jobs/${jobId}/outputs/${parts.join('/')}`;
}

export function jobView(job: Job, snapshot: QueueSnapshot | null): JobView {
  const place = job.state === 'queued' ? snapshot?.queued.find((entry) => entry.id === job.id) : undefined;
  return {
    id: job.id,
    seat: job.seat,
    title: job.title,
    state: job.state,
    priority: job.priority,
    position: place?.position ?? null,
    eta: seconds(place?.etaDoneMs ?? null),
    eta_start: seconds(place?.etaStartMs ?? null),
    attempts: job.attempts,
    queued_at: iso(job.queuedAt)!,
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    worker: job.worker,
    error: job.error,
    cancel_requested: job.cancelRequested,
    outputs: job.outputs.map((file) => ({ ...file, url: outputUrl(job.id, file) })),
  };
}

export function jobDetailView(job: Job, snapshot: QueueSnapshot | null): JobView & { prompt: Job['prompt']; workflow: unknown } {
  return { ...jobView(job, snapshot), prompt: job.prompt, workflow: job.workflow ?? null };
}

export function queueView(snapshot: QueueSnapshot, viewer: Viewer): QueueView {
  return {
    policy: snapshot.policy,
    paused: { ...snapshot.paused },
    depth: snapshot.queued.length,
    running: snapshot.active.length,
    ready_workers: snapshot.readyWorkers,
    entries: snapshot.queued.map((entry) => {
      const mine = viewer.role === 'seat' && entry.seat === viewer.seat;
      const eta = seconds(entry.etaDoneMs);
      const etaStart = seconds(entry.etaStartMs);
      if (viewer.role === 'admin' || mine) {
        return { position: entry.position, id: entry.id, seat: entry.seat, mine, eta, eta_start: etaStart };
      }
      return { position: entry.position, mine: false, eta, eta_start: etaStart };
    }),
  };
}

export function workerJson(worker: WorkerView, previewUrl: string | null): WorkerJson {
  return {
    id: worker.id,
    url: worker.url,
    provider: worker.provider,
    state: worker.state,
    current_job: worker.currentJob,
    current_seat: worker.currentSeat,
    progress: worker.progress,
    last_preview_url: previewUrl,
    health: worker.health.map((h) => ({ at: iso(h.at)!, ok: h.ok, ms: h.ms, ...(h.error === undefined ? {} : { error: h.error }) })),
    system: worker.system && {
      vram_total: worker.system.vramTotal,
      vram_free: worker.system.vramFree,
      ram_total: worker.system.ramTotal,
      ram_free: worker.system.ramFree,
      device: worker.system.device,
      comfyui_version: worker.system.comfyuiVersion,
    },
    owner: worker.owner,
    jobs_done: worker.jobsDone,
    busy_ms: worker.busyMs,
  };
}
