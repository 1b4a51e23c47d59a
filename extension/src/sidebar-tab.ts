/**
 * The "My queue" sidebar tab: the seat's jobs with state, wait and run times,
 * outputs (thumbnails and downloads) and a cancel button for unfinished ones.
 */
import type { ComfyHost } from './comfy-adapter.ts';
import type { Job } from './contract.ts';
import { isTerminal } from './contract.ts';
import { formatDuration, runSeconds, stateLabel, waitSeconds } from './format.ts';
import type { SeatState } from './seat-state.ts';
import { ensureStyles } from './styles.ts';

export interface SidebarOptions {
  host: ComfyHost;
  state: SeatState;
  /** Older finished jobs than the snapshot holds. */
  loadHistory(): Promise<Job[]>;
  cancel(jobId: string): void;
}

export const SIDEBAR_TAB_ID = 'comfy-multi-queue';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

const withQuery = (url: string, key: string, value: string): string => `${url}${url.includes('?') ? '&' : '?'}${key}=${value}`;

function renderOutputs(job: Job): HTMLElement {
  const box = el('div', 'cm-job-outputs');
  for (const file of job.outputs) {
    const link = el('a', 'cm-job-output');
    link.href = withQuery(file.url, 'download', '1');
    link.download = file.filename;
    link.title = `Download ${file.filename}`;
    if (file.kind === 'images' || file.mime?.startsWith('image/')) {
      const image = el('img', 'cm-job-thumb');
      image.src = file.url;
      image.alt = file.filename;
      image.loading = 'lazy';
      link.append(image);
    } else {
      link.textContent = file.filename;
    }
    box.append(link);
  }
  return box;
}

function timesText(job: Job, now: number): string {
  const parts: string[] = [];
  const wait = waitSeconds(job, now);
  const run = runSeconds(job, now);
  if (wait !== null) parts.push(`waited ${formatDuration(wait)}`);
  if (run !== null) parts.push(`ran ${formatDuration(run)}`);
  if (job.state === 'queued' && job.position !== null) parts.unshift(`#${job.position} in queue`);
  return parts.join(' · ');
}

/** One row, created once per job and updated in place so thumbnails are not reloaded on every progress tick. */
class JobRow {
  readonly element = el('li', 'cm-job');
  readonly #state = el('span', 'cm-job-state');
  readonly #times = el('div', 'cm-job-times');
  readonly #error = el('div', 'cm-job-error');
  readonly #cancel = el('button', 'cm-job-cancel', 'Cancel');
  readonly #title = el('span', 'cm-job-title');
  #outputs: HTMLElement | null = null;
  #outputCount = -1;

  constructor(job: Job, cancel: (id: string) => void) {
    this.element.dataset['jobId'] = job.id;
    this.#cancel.type = 'button';
    this.#cancel.addEventListener('click', () => cancel(job.id));
    const line = el('div', 'cm-job-line');
    line.append(this.#title, this.#state);
    this.element.append(line, this.#times, this.#error, this.#cancel);
  }

  update(job: Job, percent: number | null, now: number): void {
    this.element.dataset['state'] = job.state;
    this.#title.textContent = job.title ?? `Job ${job.id.slice(0, 8)}`;
    this.#title.title = job.id;
    this.#state.textContent = job.state === 'running' && percent !== null ? `${stateLabel(job.state)} ${percent}%` : stateLabel(job.state);
    this.#times.textContent = timesText(job, now);
    this.#error.textContent = job.error ? job.error.message : '';
    this.#error.hidden = !job.error;
    this.#cancel.hidden = isTerminal(job.state) || job.cancel_requested;
    if (job.outputs.length !== this.#outputCount) {
      this.#outputCount = job.outputs.length;
      const outputs = renderOutputs(job);
      if (this.#outputs) this.#outputs.replaceWith(outputs);
      else this.#times.after(outputs);
      this.#outputs = outputs;
    }
  }
}

function render(container: HTMLElement, options: SidebarOptions): () => void {
  const { state } = options;
  ensureStyles();
  container.replaceChildren();
  const root = el('div', 'cm-queue');
  const head = el('div', 'cm-queue-head');
  head.append(el('strong', '', `My queue · ${state.seat}`));
  const list = el('ol', 'cm-queue-list');
  const empty = el('p', 'cm-queue-empty', 'No jobs yet. Press Run to queue one.');
  root.append(head, list, empty);
  container.append(root);

  const rows = new Map<string, JobRow>();
  const update = (): void => {
    const now = Date.now();
    const jobs = state.jobs();
    empty.hidden = jobs.length > 0;
    jobs.forEach((job, index) => {
      let row = rows.get(job.id);
      if (!row) {
        row = new JobRow(job, options.cancel);
        rows.set(job.id, row);
      }
      row.update(job, state.percent(job.id), now);
      if (list.children[index] !== row.element) list.insertBefore(row.element, list.children[index] ?? null);
    });
    const shown = new Set(jobs.map((job) => job.id));
    for (const [id, row] of rows) {
      if (shown.has(id)) continue;
      row.element.remove();
      rows.delete(id);
    }
  };
  let unsubscribe = (): void => undefined;
  let wasConnected = false;
  const dispose = (): void => {
    clearInterval(ticker);
    unsubscribe();
  };
  // Wait and run times keep counting while the tab is open; frontends that never call
  // destroy() still stop it once the panel is gone from the page.
  const ticker = setInterval(() => {
    if (root.isConnected) wasConnected = true;
    else if (wasConnected) return dispose();
    update();
  }, 1000);
  unsubscribe = state.onChange(update);
  update();
  options.loadHistory().then(
    (jobs) => state.addHistory(jobs),
    () => undefined,
  );
  return dispose;
}

export function registerQueueTab(options: SidebarOptions): boolean {
  let dispose: (() => void) | null = null;
  return options.host.registerSidebarTab({
    id: SIDEBAR_TAB_ID,
    title: 'My queue',
    icon: 'pi pi-list',
    tooltip: 'My jobs in the shared queue',
    render(container) {
      dispose?.();
      dispose = render(container, options);
    },
    destroy() {
      dispose?.();
      dispose = null;
    },
  });
}
