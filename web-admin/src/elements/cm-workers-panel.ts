/** The workers: state, current job, health history and memory; drain one or put it back to work. */
import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { actions } from '../actions.ts';
import type { Worker } from '../api-types.ts';
import { formatBytes } from '../format.ts';
import { workerList } from '../selectors.ts';
import { confirmAction } from './cm-confirm-dialog.ts';
import './cm-sparkline.ts';
import { StoreController } from './store-controller.ts';
import { base } from './styles.ts';

/** Used share of a memory, or null when the worker did not report it. */
function used(total: number | null | undefined, free: number | null | undefined): number | null {
  if (!total || free === null || free === undefined) return null;
  return Math.min(1, Math.max(0, (total - free) / total));
}

export class CmWorkersPanel extends LitElement {
  static override styles = [
    base,
    css`
      .list {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 0.55rem;
      }
      .worker {
        border: 1px solid var(--border);
        border-radius: 8px;
        padding: 0.5rem 0.6rem;
        background: var(--surface-2);
        display: grid;
        gap: 0.35rem;
      }
      .top {
        display: flex;
        gap: 0.5rem;
        align-items: center;
      }
      .name {
        font-weight: 650;
      }
      .device {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .mem {
        display: grid;
        grid-template-columns: 2.6rem minmax(0, 1fr) auto;
        gap: 0.4rem;
        align-items: center;
        font-size: 0.75rem;
        color: var(--muted);
      }
      .health {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        font-size: 0.75rem;
        color: var(--muted);
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.workers, s.jobs]);

  async #drain(worker: Worker): Promise<void> {
    const ok = await confirmAction({
      title: `Drain ${worker.id}?`,
      message: `${worker.id} finishes ${worker.current_job ? 'its current job' : 'what it is doing'} and takes no new jobs until you enable it again.`,
      confirmLabel: 'Drain worker',
    });
    if (ok) await actions.drainWorker(worker.id);
  }

  #memory(name: string, total: number | null | undefined, free: number | null | undefined) {
    const share = used(total, free);
    return html`<div class="mem">
      <span>${name}</span>
      <div class="meter" role="meter" aria-label="${name} used" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${share === null ? 0 : Math.round(share * 100)}>
        <span style="width:${share === null ? 0 : share * 100}%"></span>
      </div>
      <span>${share === null ? 'not reported' : `${formatBytes(total! - free!)} / ${formatBytes(total)}`}</span>
    </div>`;
  }

  #worker(worker: Worker) {
    const job = worker.current_job ? this.#store.state.jobs[worker.current_job] : undefined;
    const stopped = worker.state === 'draining' || worker.state === 'disabled';
    const recent = worker.health.slice(-30);
    const last = recent[recent.length - 1];
    return html`<article class="worker" data-worker=${worker.id} data-state=${worker.state}>
      <div class="top">
        <span class="name">${worker.id}</span>
        <span class="badge ${worker.state}" data-role="state">${worker.state}</span>
        <span class="muted small device" title=${worker.system?.device ?? worker.provider}>${worker.system?.device ?? worker.provider}</span>
        ${stopped
          ? html`<button type="button" aria-label="Enable ${worker.id}" @click=${() => void actions.enableWorker(worker.id)}>Enable</button>`
          : html`<button type="button" class="danger" aria-label="Drain ${worker.id}" @click=${() => void this.#drain(worker)}>Drain</button>`}
      </div>
      <div class="small">
        ${worker.current_job
          ? html`Running <strong>${job?.title ?? 'a job'}</strong> <span class="muted">for ${job?.seat ?? '…'}</span>`
          : html`<span class="muted">No current job</span>`}
      </div>
      <div class="health">
        <cm-sparkline .samples=${recent} label="Health checks of ${worker.id}"></cm-sparkline>
        <span>${last ? (last.ok ? `${last.ms ?? '?'} ms` : 'last check failed') : 'no checks yet'}</span>
      </div>
      ${this.#memory('VRAM', worker.system?.vram_total, worker.system?.vram_free)}
      ${this.#memory('RAM', worker.system?.ram_total, worker.system?.ram_free)}
    </article>`;
  }

  override render() {
    const workers = workerList(this.#store.state);
    return html`<section class="panel" aria-labelledby="workers-title">
      <div class="panel-head">
        <h2 id="workers-title">Workers</h2>
        <span class="badge">${workers.filter((w) => w.state === 'ready' || w.state === 'busy').length} / ${workers.length} up</span>
      </div>
      <div class="list">${repeat(workers, (w) => w.id, (w) => this.#worker(w))}</div>
      ${workers.length === 0 ? html`<p class="empty">No workers known yet.</p>` : nothing}
    </section>`;
  }
}

customElements.define('cm-workers-panel', CmWorkersPanel);
