/**
 * Keeps the page in step with the seat's event stream: envelopes update the seat
 * state, ComfyUI events are re-dispatched into the frontend's `api`, and the
 * frontend's pending count follows the remote queue instead of the UI host's.
 */
import type { ComfyHost } from './comfy-adapter.ts';
import type { Announcement, Envelope, PreviewFrame } from './contract.ts';
import { isTerminal } from './contract.ts';
import { comfyToApiEvents, previewToApiEvents, terminalEventFor } from './dispatcher.ts';
import type { EventStreamHandlers } from './event-stream.ts';
import type { SeatState } from './seat-state.ts';

export interface LiveSyncOptions {
  onAnnouncement?(announcement: Announcement): void;
}

/** The event stream's handlers for one page. */
export function createLiveSync(host: ComfyHost, state: SeatState, options: LiveSyncOptions = {}): EventStreamHandlers {
  let reportedCount: number | null = null;

  // The frontend's pending count drives auto-queue and the legacy queue button: it must be
  // this seat's remote count, never the idle UI host's 0 (gotcha 6).
  const statusDetail = (count: number) => ({ exec_info: { queue_remaining: count } });
  const reportCount = (): void => {
    const count = state.pendingCount();
    if (count === reportedCount) return;
    reportedCount = count;
    host.dispatch({ type: 'status', detail: statusDetail(count) });
  };
  host.filterHostEvents((type, detail) => {
    if (type === 'status') {
      if (detail === null || typeof detail !== 'object') return { detail };
      const { sid: _sid, ...rest } = detail as Record<string, unknown>;
      return { detail: { ...rest, ...statusDetail(state.pendingCount()) } };
    }
    // The idle UI host's "nothing is executing" would reset the remote job's Run/Stop state.
    if (type === 'executing' && detail === null && state.runningJobs().length > 0) return null;
    return { detail };
  });

  /** A page that (re)learns of a running job marks it active, so Stop and the progress bar work. */
  const adoptRunning = (): void => {
    for (const job of state.runningJobs()) {
      if (job.state !== 'running' || state.wasStarted(job.id)) continue;
      state.markStarted(job.id);
      host.dispatch({ type: 'execution_start', detail: { prompt_id: job.id, timestamp: Date.now() } });
    }
  };

  state.onTransition((job, previous) => {
    if (!isTerminal(job.state) || (previous && isTerminal(previous.state))) return;
    if (!state.needsSyntheticEnd(job.id)) return;
    const event = terminalEventFor(job);
    state.markEnded(job.id);
    if (event) host.dispatch(event);
  });

  return {
    onConnection(connected) {
      state.setConnected(connected);
    },

    onEnvelope(envelope: Envelope) {
      switch (envelope.type) {
        case 'snapshot':
          state.applySnapshot(envelope.jobs, envelope.queue);
          adoptRunning();
          break;
        case 'job':
          // A job that starts now gets ComfyUI's own execution_start from its worker.
          state.applyJob(envelope.job);
          break;
        case 'queue':
          state.applyQueue(envelope.queue);
          break;
        case 'comfy':
          state.applyComfy(envelope);
          for (const event of comfyToApiEvents(envelope)) host.dispatch(event);
          break;
        case 'announcement':
          options.onAnnouncement?.(envelope.announcement);
          break;
        default:
          return;
      }
      reportCount();
    },

    onPreview(frame: PreviewFrame) {
      for (const event of previewToApiEvents(frame)) host.dispatch(event);
    },
  };
}
