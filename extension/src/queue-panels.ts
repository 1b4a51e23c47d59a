/**
 * ComfyUI's queue and history panels, Stop button and cancel/delete/clear actions
 * read and act on the UI host (gotcha 7). These overrides point them at the seat's
 * jobs on the comfy-multi server instead, in whichever shape this frontend expects.
 */
import { type ApiClient, CmApiError } from './api-client.ts';
import type { ApiOverrides, ComfyHost } from './comfy-adapter.ts';
import type { Job, JobState } from './contract.ts';
import { isTerminal } from './contract.ts';
import { toJobDetail, toJobListItem, toLegacyHistory, toLegacyQueue } from './queue-shapes.ts';
import type { SeatState } from './seat-state.ts';

const UNFINISHED: readonly JobState[] = ['queued', 'dispatching', 'running'];
const FINISHED: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
/** The most the server lists in one page. */
const PAGE_LIMIT = 500;

/** History entries the participant deleted or cleared: the server keeps them, this browser hides them. */
export class HiddenHistory {
  readonly #key: string;
  readonly #ids: Set<string>;
  readonly #storage: Storage | null;

  constructor(seat: string, storage: Storage | null) {
    this.#key = `comfy-multi.hidden-history.${seat}`;
    this.#storage = storage;
    let stored: unknown = [];
    try {
      stored = JSON.parse(storage?.getItem(this.#key) ?? '[]');
    } catch {
      stored = [];
    }
    this.#ids = new Set(Array.isArray(stored) ? stored.filter((id): id is string => typeof id === 'string') : []);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(ids: Iterable<string>): void {
    for (const id of ids) this.#ids.add(id);
    // Bounded, oldest forgotten first: hidden ids only matter while the server still lists them.
    const kept = [...this.#ids].slice(-1000);
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(kept));
    } catch {
      // storage full or disabled: hiding still works for this page
    }
  }
}

export interface PanelDeps {
  host: ComfyHost;
  client: ApiClient;
  state: SeatState;
  hidden: HiddenHistory;
  /** The frontend's own methods, for ids that are not comfy-multi jobs. */
  originals: () => Partial<ApiOverrides>;
}

/** Cancels one of the seat's jobs; false when the server does not know the id (not a comfy-multi job). */
export function createCancel(client: ApiClient, state: SeatState): (id: string) => Promise<boolean> {
  return async (id) => {
    state.noteCancel(id);
    try {
      state.noteJob(await client.cancelJob(id));
      return true;
    } catch (error) {
      // 409: it already finished, which is what the participant wanted anyway.
      if (error instanceof CmApiError && error.status === 409) return true;
      if (error instanceof CmApiError && error.status === 404) return false;
      throw error;
    }
  };
}

export function createPanelOverrides(deps: PanelDeps): Partial<ApiOverrides> {
  const { host, client, state, hidden } = deps;
  const cancel = createCancel(client, state);

  const finished = async (limit: number): Promise<Job[]> => {
    const jobs = await client.listJobs({ states: FINISHED, limit: Math.min(PAGE_LIMIT, limit) });
    return jobs.filter((job) => !hidden.has(job.id));
  };

  return {
    async getQueue(options) {
      let jobs: Job[];
      try {
        jobs = await client.listJobs({ states: UNFINISHED, limit: PAGE_LIMIT });
      } catch (error) {
        if (options?.throwOnError) throw error;
        jobs = [];
      }
      if ((await host.queueFlavour()) === 'legacy') return toLegacyQueue(jobs, (id) => void cancel(id));
      return {
        Running: jobs.filter((job) => job.state !== 'queued').map(toJobListItem),
        Pending: jobs.filter((job) => job.state === 'queued').map(toJobListItem),
      };
    },

    async getHistory(maxItems = 200, options) {
      const offset = Math.max(0, options?.offset ?? 0);
      const flavour = await host.queueFlavour();
      let jobs: Job[] = [];
      try {
        jobs = (await finished(maxItems + offset)).slice(offset, offset + maxItems);
      } catch {
        // the panel shows an empty history rather than an error toast on every poll
      }
      return flavour === 'legacy' ? toLegacyHistory(jobs) : jobs.map(toJobListItem);
    },

    async getJobDetail(id) {
      try {
        return toJobDetail(await client.getJob(id));
      } catch (error) {
        if (error instanceof CmApiError && error.status === 404) return deps.originals().getJobDetail?.(id);
        throw error;
      }
    },

    async interrupt(runningJobId) {
      const ids = runningJobId ? [runningJobId] : state.runningJobs().map((job) => job.id);
      for (const id of ids) if (!(await cancel(id))) await deps.originals().interrupt?.(id);
    },

    async cancelJob(id) {
      await cancel(id);
    },

    async cancelJobs(ids) {
      await Promise.all(ids.map(cancel));
    },

    async deleteItem(type, id) {
      if (type === 'queue') await cancel(id);
      else hidden.add([id]);
    },

    async clearItems(type) {
      if (type === 'queue') {
        const queued = await client.listJobs({ states: ['queued'], limit: PAGE_LIMIT });
        await Promise.all(queued.map((job) => cancel(job.id)));
        return;
      }
      const jobs = await finished(PAGE_LIMIT);
      hidden.add(jobs.filter((job) => isTerminal(job.state)).map((job) => job.id));
    },
  };
}
