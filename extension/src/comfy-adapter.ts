/**
 * The ONE place that touches the ComfyUI frontend. Everything is feature-detected so
 * the extension runs on frontends from 1.35 to the newest (COMFYUI_PROTOCOL.md B, C):
 * methods are patched only where they exist, PromptExecutionError may be missing,
 * lastExecutingMessage only exists on newer builds, queue panels changed shape in 1.38.3.
 */
import type { ComfyApi, ComfyApp, ComfyExtension, ToastMessageOptions } from '@comfyorg/comfyui-frontend-types';
import * as comfyApi from 'comfyui:scripts/api.js';
import * as comfyApp from 'comfyui:scripts/app.js';
import type { ApiEvent } from './dispatcher.ts';

/** The api methods the extension takes over (names and arguments as in the frontend). */
export interface ApiOverrides {
  queuePrompt(
    number: number,
    data: { output: unknown; workflow: unknown },
    options?: { partialExecutionTargets?: string[] | null; previewMethod?: string },
  ): Promise<unknown>;
  getQueue(options?: { throwOnError?: boolean }): Promise<unknown>;
  getHistory(maxItems?: number, options?: { offset?: number }): Promise<unknown>;
  getJobDetail(id: string): Promise<unknown>;
  interrupt(runningJobId?: string | null): Promise<unknown>;
  cancelJob(id: string): Promise<unknown>;
  cancelJobs(ids: string[]): Promise<unknown>;
  deleteItem(type: string, id: string): Promise<unknown>;
  clearItems(type: string): Promise<unknown>;
}

/** `jobs`: `/api/jobs` item lists (≥ 1.38.3); `legacy`: `/api/queue` + `{History}` task items. */
export type QueueFlavour = 'jobs' | 'legacy';

/** What a host event filter returns: the (possibly rewritten) detail, or null to drop the event. */
export type HostEventFilter = (type: string, detail: unknown) => { detail: unknown } | null;

export interface SidebarTab {
  id: string;
  title: string;
  icon: string;
  tooltip: string;
  render(element: HTMLElement): void;
  destroy?(): void;
}

export interface ComfyHost {
  /** `api.fileURL`: a path under the page's api_base (works under /user/<seat>/). */
  fileURL(route: string): string;
  /** Installs the overrides on the api instance; returns the frontend's originals that exist. */
  override(overrides: Partial<ApiOverrides>): Partial<ApiOverrides>;
  queueFlavour(): Promise<QueueFlavour>;
  /** The error the frontend's queue loop understands for a rejected prompt. */
  promptError(body: unknown, status?: number): unknown;
  dispatch(event: ApiEvent): void;
  /** Filters events the frontend's own socket dispatches (never the ones this extension dispatches). */
  filterHostEvents(filter: HostEventFilter): void;
  activeWorkflowName(): string | undefined;
  toast(message: ToastMessageOptions): void;
  registerSidebarTab(tab: SidebarTab): boolean;
  /** The top bar's settings button group, or the action bar, when the frontend has one. */
  topBarSlot(): HTMLElement | null;
  registerExtension(extension: ComfyExtension): void;
}

type Loose = Record<string, unknown>;
type AnyFunction = (...args: unknown[]) => unknown;
type ErrorClass = new (response: unknown, status?: number) => Error;

const OVERRIDABLE: readonly (keyof ApiOverrides)[] = [
  'queuePrompt',
  'getQueue',
  'getHistory',
  'getJobDetail',
  'interrupt',
  'cancelJob',
  'cancelJobs',
  'deleteItem',
  'clearItems',
];

export function createComfyHost(app: ComfyApp, api: ComfyApi, errorClass: ErrorClass | undefined): ComfyHost {
  const apiObject = api as unknown as Loose;
  const appObject = app as unknown as Loose;
  // Captured before any patch, so flavour detection and fallbacks reach the frontend's own code.
  const originals: Partial<Record<keyof ApiOverrides, AnyFunction>> = {};
  for (const name of OVERRIDABLE) {
    const method = apiObject[name];
    if (typeof method === 'function') originals[name] = (method as AnyFunction).bind(api);
  }
  const rawDispatch: (type: string, detail: unknown) => unknown =
    typeof apiObject['dispatchCustomEvent'] === 'function'
      ? (apiObject['dispatchCustomEvent'] as AnyFunction).bind(api)
      : (type, detail) => api.dispatchEvent(new CustomEvent(type, { detail }) as never);
  let injecting = 0;
  let flavour: Promise<QueueFlavour> | null = null;
  const manager = (): Loose | undefined => appObject['extensionManager'] as Loose | undefined;

  const detectFlavour = async (): Promise<QueueFlavour> => {
    const byFeature: QueueFlavour = originals.getJobDetail ? 'jobs' : 'legacy';
    if (!originals.getHistory) return byFeature;
    try {
      const sample = await originals.getHistory(1);
      if (Array.isArray(sample)) return 'jobs';
      if (sample && typeof sample === 'object' && 'History' in sample) return 'legacy';
    } catch {
      // the UI host could not answer: the method set still tells the generation apart
    }
    return byFeature;
  };

  return {
    fileURL: (route) => api.fileURL(route),

    override(overrides) {
      const replaced: Partial<ApiOverrides> = {};
      for (const name of OVERRIDABLE) {
        const replacement = overrides[name];
        if (!replacement || !originals[name]) continue;
        apiObject[name] = replacement;
        (replaced as Loose)[name] = originals[name];
      }
      return replaced;
    },

    queueFlavour() {
      flavour ??= detectFlavour();
      return flavour;
    },

    promptError(body, status) {
      // Frontends before 1.15.4 read `error.response` from whatever was thrown.
      if (errorClass) return new errorClass(body, status);
      return { response: body, status };
    },

    dispatch(event) {
      injecting += 1;
      try {
        if (event.executingMessage && 'lastExecutingMessage' in apiObject) apiObject['lastExecutingMessage'] = event.executingMessage;
        rawDispatch(event.type, event.detail);
      } finally {
        injecting -= 1;
      }
    },

    filterHostEvents(filter) {
      if (typeof apiObject['dispatchCustomEvent'] !== 'function') return;
      apiObject['dispatchCustomEvent'] = (type: string, ...rest: unknown[]) => {
        if (injecting > 0 || rest.length === 0) return rawDispatch(type, rest[0]);
        const kept = filter(type, rest[0]);
        return kept ? rawDispatch(type, kept.detail) : false;
      };
    },

    activeWorkflowName() {
      const workflow = (manager()?.['workflow'] as Loose | undefined)?.['activeWorkflow'] as Loose | undefined;
      const name = workflow?.['filename'];
      return typeof name === 'string' && name !== '' ? name : undefined;
    },

    toast(message) {
      const toast = manager()?.['toast'] as { add?: (message: ToastMessageOptions) => void } | undefined;
      if (typeof toast?.add === 'function') toast.add(message);
      else console.info(`[comfy-multi] ${message.summary ?? ''}: ${message.detail ?? ''}`);
    },

    registerSidebarTab(tab) {
      const register = manager()?.['registerSidebarTab'];
      if (typeof register !== 'function') return false;
      register.call(manager(), { ...tab, type: 'custom' });
      return true;
    },

    topBarSlot() {
      const group = ((appObject['menu'] as Loose | undefined)?.['settingsGroup'] as Loose | undefined)?.['element'];
      if (group instanceof HTMLElement) return group;
      return document.querySelector<HTMLElement>('.actionbar-container, .comfyui-menu-right');
    },

    registerExtension(extension) {
      app.registerExtension(extension);
    },
  };
}

/** The host of the page this bundle was imported into, from ComfyUI's shims. */
export function currentComfyHost(): ComfyHost {
  const fallback = (globalThis as { comfyAPI?: { api?: { PromptExecutionError?: ErrorClass } } }).comfyAPI?.api?.PromptExecutionError;
  return createComfyHost(comfyApp.app, comfyApi.api, comfyApi.PromptExecutionError ?? fallback);
}
