/**
 * comfy-multi's ComfyUI extension: Run goes to the shared queue, results come back
 * into the native UI. Inert (one console line) when the page is not served by a
 * comfy-multi seat gateway, so a plain ComfyUI with this node installed is unchanged.
 */
import { createApiClient, loadConfig } from './api-client.ts';
import { type ApiOverrides, currentComfyHost } from './comfy-adapter.ts';
import type { Job } from './contract.ts';
import { EventStream, socketUrl } from './event-stream.ts';
import { createLiveSync } from './live-sync.ts';
import { mountQueueBadge } from './queue-badge.ts';
import { createCancel, createPanelOverrides, HiddenHistory } from './queue-panels.ts';
import { SeatState } from './seat-state.ts';
import { registerQueueTab } from './sidebar-tab.ts';
import { createQueuePrompt } from './submit.ts';
import { toastAnnouncement, toastJobEnds } from './toasts.ts';

const host = currentComfyHost();

interface Session {
  state: SeatState;
  cancel(jobId: string): void;
  loadHistory(): Promise<Job[]>;
}

function localStorageOrNull(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

async function start(): Promise<Session | null> {
  const config = await loadConfig(host.fileURL('/comfy-multi/config.json'));
  if (!config) {
    console.info('[comfy-multi] no comfy-multi server here; extension inactive');
    return null;
  }
  const client = createApiClient(config.api_base);
  const state = new SeatState(config.seat);
  let originals: Partial<ApiOverrides> = {};
  originals = host.override({
    queuePrompt: createQueuePrompt(host, client, state),
    ...createPanelOverrides({ host, client, state, hidden: new HiddenHistory(config.seat, localStorageOrNull()), originals: () => originals }),
  });
  toastJobEnds(host, state);
  const sync = createLiveSync(host, state, { onAnnouncement: (announcement) => toastAnnouncement(host, announcement) });
  new EventStream(socketUrl(config.events_url, location.href), sync).start();
  console.info(`[comfy-multi] seat ${config.seat}: Run goes to the shared queue`);

  const cancel = createCancel(client, state);
  return {
    state,
    cancel(jobId) {
      cancel(jobId).catch((error: Error) => host.toast({ severity: 'error', summary: 'Could not cancel', detail: error.message, life: 8000 }));
    },
    loadHistory: () => client.listJobs({ limit: 50 }),
  };
}

let session: Promise<Session | null> | null = null;
const started = (): Promise<Session | null> => {
  session ??= start();
  return session;
};

host.registerExtension({
  name: 'comfy-multi.queue',
  // init is awaited before the UI is usable, so no Run can slip past the patched queuePrompt.
  async init() {
    await started();
  },
  async setup() {
    const active = await started();
    if (!active) return;
    mountQueueBadge({ state: active.state, slot: host.topBarSlot(), cancel: active.cancel });
    registerQueueTab({ host, state: active.state, loadHistory: active.loadHistory, cancel: active.cancel });
  },
});
