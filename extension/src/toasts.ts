/** Toasts for what the participant should not miss: a job finished or failed, the instructor said something. */
import type { ComfyHost } from './comfy-adapter.ts';
import type { Announcement } from './contract.ts';
import { isTerminal } from './contract.ts';
import type { SeatState } from './seat-state.ts';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Toasts for jobs that end while this page watches; jobs first seen already finished stay quiet. */
export function toastJobEnds(host: ComfyHost, state: SeatState): void {
  state.onTransition((job, previous) => {
    if (!previous || isTerminal(previous.state) || !isTerminal(job.state)) return;
    const title = job.title ?? `Job ${job.id.slice(0, 8)}`;
    if (job.state === 'succeeded') {
      host.toast({ severity: 'success', summary: 'Job finished', detail: `${title}: ${plural(job.outputs.length, 'output')}`, life: 5000 });
    } else if (job.state === 'failed') {
      host.toast({ severity: 'error', summary: 'Job failed', detail: `${title}: ${job.error?.message ?? 'unknown error'}`, life: 10000 });
    } else if (!state.cancelledHere(job.id)) {
      // Cancelled elsewhere (the instructor, another tab); a cancel pressed on this page needs no toast.
      host.toast({ severity: 'warn', summary: 'Job cancelled', detail: `${title} was cancelled.`, life: 8000 });
    }
  });
}

export function toastAnnouncement(host: ComfyHost, announcement: Announcement): void {
  host.toast({ severity: 'info', summary: 'Announcement', detail: announcement.text, life: 15000 });
}
