/**
 * What the instructor's buttons do: one API call each, its answer folded into
 * the store, and a toast that says what happened — or the server's own error.
 */
import { ApiError, api } from './api.ts';
import type { Caps, Job, Paused, PriorityClass } from './api-types.ts';
import { policyLabel } from './format.ts';
import { store } from './store.ts';

const jobName = (job: Job): string => `${job.title ?? 'untitled'} (${job.seat})`;

export function toast(kind: 'ok' | 'error', text: string): void {
  store.dispatch({ type: 'toast', kind, text });
}

/** Runs one action; resolves true when it succeeded. Errors never escape: they become toasts. */
async function run(what: string, action: () => Promise<string>): Promise<boolean> {
  try {
    toast('ok', await action());
    return true;
  } catch (error) {
    const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
    toast('error', `${what} failed: ${message}`);
    if (error instanceof ApiError && error.status === 401) store.dispatch({ type: 'session', auth: 'anonymous' });
    return false;
  }
}

async function refreshQueue(): Promise<void> {
  // The queue frame on the socket usually arrives first; this covers a slow or resumed stream.
  store.dispatch({ type: 'queue.loaded', queue: await api.queue() });
}

export const actions = {
  moveTo: (job: Job, position: number) =>
    run('Moving the job', async () => {
      store.dispatch({ type: 'job.updated', job: await api.patchJob(job.id, { position }) });
      await refreshQueue();
      return position === 1 ? `${jobName(job)} moved to the front` : `${jobName(job)} moved to position ${position}`;
    }),

  setPriority: (job: Job, priority: PriorityClass) =>
    run('Changing the priority', async () => {
      store.dispatch({ type: 'job.updated', job: await api.patchJob(job.id, { priority }) });
      await refreshQueue();
      return `${jobName(job)} is now ${priority} priority`;
    }),

  cancelJob: (job: Job) =>
    run('Cancelling the job', async () => {
      const answer = await api.cancelJob(job.id);
      store.dispatch({ type: 'job.updated', job: answer });
      return answer.state === 'cancelled' ? `${jobName(job)} cancelled` : `${jobName(job)} is being stopped on its worker`;
    }),

  cancelSeat: (seat: string) =>
    run(`Cancelling ${seat}'s jobs`, async () => {
      const { cancelled } = await api.cancelSeat(seat);
      return `${cancelled} job${cancelled === 1 ? '' : 's'} of ${seat} cancelled`;
    }),

  setPolicy: (policy: string) =>
    run('Switching the policy', async () => {
      store.dispatch({ type: 'scheduler.loaded', scheduler: await api.putScheduler({ policy }) });
      return `Scheduling policy: ${policyLabel(policy)}`;
    }),

  setCaps: (caps: Caps) =>
    run('Saving the caps', async () => {
      store.dispatch({ type: 'scheduler.loaded', scheduler: await api.putScheduler({ caps }) });
      return `Caps saved: ${caps.max_queued_per_seat} per seat, ${caps.max_depth} in total (0 = no limit)`;
    }),

  setPaused: (what: keyof Paused, paused: boolean) =>
    run(paused ? 'Pausing' : 'Resuming', async () => {
      const answer = paused ? await api.pause({ [what]: true }) : await api.resume({ [what]: true });
      store.dispatch({ type: 'scheduler.loaded', scheduler: answer });
      const noun = what === 'submissions' ? 'New submissions' : 'Dispatch to workers';
      return `${noun} ${paused ? 'paused' : 'resumed'}`;
    }),

  drainWorker: (id: string) =>
    run(`Draining ${id}`, async () => {
      store.dispatch({ type: 'worker.updated', worker: await api.drainWorker(id) });
      return `${id} is draining: it finishes its job and takes no new ones`;
    }),

  enableWorker: (id: string) =>
    run(`Enabling ${id}`, async () => {
      store.dispatch({ type: 'worker.updated', worker: await api.enableWorker(id) });
      return `${id} is taking jobs again`;
    }),

  rotateCode: (seat: string) =>
    run(`Rotating ${seat}'s code`, async () => {
      store.dispatch({ type: 'code.rotated', rotated: await api.rotateCode(seat) });
      return `New access code for ${seat}: the old one no longer works`;
    }),

  setSeatDisabled: (seat: string, disabled: boolean) =>
    run(disabled ? `Disabling ${seat}` : `Enabling ${seat}`, async () => {
      store.dispatch({ type: 'seat.updated', seat: await api.patchSeat(seat, { disabled }) });
      return disabled ? `${seat} is disabled` : `${seat} is enabled`;
    }),

  announce: (text: string) =>
    run('Sending the announcement', async () => {
      store.dispatch({ type: 'announcement.added', announcement: await api.announce(text) });
      return 'Announcement sent to every seat';
    }),

  copyLink: (seat: string, link: string, withCode: boolean) =>
    run('Copying the link', async () => {
      await copyText(link);
      return withCode ? `Link for ${seat} (with its code) copied` : `Link for ${seat} copied (no code: rotate to get one)`;
    }),
};

/** The async clipboard, or the selection fallback when the page may not use it. */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const copied = document.execCommand('copy');
    area.remove();
    if (!copied) throw new Error('the browser does not allow copying here; select the link and copy it by hand');
  }
}
