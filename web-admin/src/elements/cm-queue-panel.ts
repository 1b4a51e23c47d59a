/**
 * The queue: every job with its seat, workflow, state, position, wait, ETA and
 * attempts. Queued jobs reorder by drag and drop or by keyboard (up, down, to
 * front); any unfinished job can change class or be cancelled.
 */
import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { actions } from '../actions.ts';
import { type Job, PRIORITY_CLASSES, type PriorityClass, isTerminal } from '../api-types.ts';
import { formatDuration, formatEta, formatPercent, secondsSince } from '../format.ts';
import { type StateFilter, STATE_FILTERS, knownSeats, queueRows, queuedInOrder } from '../selectors.ts';
import { confirmAction } from './cm-confirm-dialog.ts';
import { StoreController, TickController } from './store-controller.ts';
import { base } from './styles.ts';

const STATE_FILTER_LABELS: Record<StateFilter, string> = {
  active: 'Waiting and running',
  all: 'All states',
  queued: 'Queued',
  dispatching: 'Dispatching',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export class CmQueuePanel extends LitElement {
  static override properties = {
    seatFilter: { state: true },
    stateFilter: { state: true },
    dragging: { state: true },
    dropTarget: { state: true },
  };

  static override styles = [
    base,
    css`
      .filters {
        display: flex;
        gap: 0.6rem;
        align-items: end;
        flex-wrap: wrap;
      }
      .filters label {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
      }
      .scroll {
        overflow: auto;
        max-height: 30rem;
      }
      thead th {
        position: sticky;
        top: 0;
        background: var(--surface);
        z-index: 1;
      }
      tr[draggable='true'] {
        cursor: grab;
      }
      tr.dragging {
        opacity: 0.45;
      }
      tr.drop-target td {
        box-shadow: inset 0 2px 0 var(--accent);
      }
      .handle {
        color: var(--muted);
        width: 1.1rem;
        user-select: none;
      }
      .pos {
        font-variant-numeric: tabular-nums;
        font-weight: 650;
        width: 2rem;
      }
      .title {
        font-weight: 550;
        max-width: 15rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .num {
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .actions {
        display: flex;
        gap: 0.25rem;
        justify-content: flex-end;
      }
      select.priority {
        min-height: 26px;
        padding: 0.1rem 0.25rem;
        font-size: 0.8rem;
      }
      .count {
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  declare seatFilter: string;
  declare stateFilter: StateFilter;
  declare dragging: string | null;
  declare dropTarget: string | null;
  readonly #store = new StoreController(this, (s) => [s.jobs, s.seats, s.progress]);
  readonly #clock = new TickController(this);

  constructor() {
    super();
    this.seatFilter = '';
    this.stateFilter = 'active';
    this.dragging = null;
    this.dropTarget = null;
  }

  /** Moves a job by keyboard or click and keeps focus on the moved row, which the re-render relocates. */
  async #move(job: Job, position: number, button: string): Promise<void> {
    await actions.moveTo(job, position);
    await this.updateComplete;
    const row = this.renderRoot.querySelector(`tr[data-job-id="${job.id}"]`);
    const target =
      row?.querySelector<HTMLButtonElement>(`button[data-move="${button}"]:not(:disabled)`) ??
      row?.querySelector<HTMLButtonElement>('button:not(:disabled)');
    target?.focus();
  }

  async #cancel(job: Job): Promise<void> {
    const running = job.state !== 'queued';
    const ok = await confirmAction({
      title: 'Cancel this job?',
      message: `${job.title ?? 'Untitled'} from ${job.seat}${running ? ' will be stopped on its worker' : ' leaves the queue'}. This cannot be undone.`,
      confirmLabel: 'Cancel job',
    });
    if (ok) await actions.cancelJob(job);
  }

  async #cancelSeat(seat: string): Promise<void> {
    const ok = await confirmAction({
      title: `Cancel all of ${seat}'s jobs?`,
      message: `Every queued and running job of ${seat} is cancelled. This cannot be undone.`,
      confirmLabel: 'Cancel all',
    });
    if (ok) await actions.cancelSeat(seat);
  }

  #onDragStart(event: DragEvent, job: Job): void {
    event.dataTransfer?.setData('text/plain', job.id);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
    this.dragging = job.id;
  }

  #onDragOver(event: DragEvent, job: Job): void {
    if (!this.dragging || job.state !== 'queued') return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    this.dropTarget = job.id;
  }

  #onDrop(event: DragEvent, target: Job): void {
    event.preventDefault();
    const id = this.dragging ?? event.dataTransfer?.getData('text/plain');
    this.dragging = null;
    this.dropTarget = null;
    const moved = id ? this.#store.state.jobs[id] : undefined;
    if (!moved || moved.id === target.id || target.position === null) return;
    void actions.moveTo(moved, target.position);
  }

  #onDragLeave(job: Job): void {
    if (this.dropTarget === job.id) this.dropTarget = null;
  }

  #onDragEnd(): void {
    this.dragging = null;
    this.dropTarget = null;
  }

  #waited(job: Job): string {
    const seconds = secondsSince(job.queued_at, this.#clock.now, job.started_at ?? job.finished_at);
    return seconds === null ? '–' : formatDuration(seconds);
  }

  #eta(job: Job): string {
    if (job.state === 'queued') return formatEta(job.eta_start, job.eta);
    // Workers may hold their next job while finishing the current one.
    if (job.state === 'dispatching') return job.worker ? `next on ${job.worker}` : 'starting';
    if (job.state === 'running') {
      const live = this.#store.state.progress[job.id];
      return live && live.max > 0 ? `running · ${formatPercent(live.value / live.max)}` : 'running';
    }
    const ran = secondsSince(job.started_at, this.#clock.now, job.finished_at);
    return ran === null ? '–' : `ran ${formatDuration(ran)}`;
  }

  #row(job: Job, queued: Job[]) {
    const isQueued = job.state === 'queued';
    const index = isQueued ? queued.findIndex((q) => q.id === job.id) : -1;
    const name = `${job.title ?? 'untitled'} (${job.seat})`;
    const finished = isTerminal(job.state);
    const classes = [this.dragging === job.id ? 'dragging' : '', this.dropTarget === job.id && this.dragging !== job.id ? 'drop-target' : '']
      .join(' ')
      .trim();
    return html`<tr
      data-job-id=${job.id}
      data-state=${job.state}
      class=${classes}
      draggable=${isQueued ? 'true' : 'false'}
      @dragstart=${(e: DragEvent) => isQueued && this.#onDragStart(e, job)}
      @dragover=${(e: DragEvent) => this.#onDragOver(e, job)}
      @dragleave=${() => this.#onDragLeave(job)}
      @drop=${(e: DragEvent) => this.#onDrop(e, job)}
      @dragend=${() => this.#onDragEnd()}
    >
      <td class="handle" aria-hidden="true">${isQueued ? '⠿' : ''}</td>
      <td class="pos">${job.position ?? ''}</td>
      <td class="title" title=${`${job.title ?? 'untitled'} · ${job.id}`}>${job.title ?? html`<span class="muted">untitled</span>`}</td>
      <td>${job.seat}</td>
      <td>
        <span class="badge ${job.state}">${job.state}</span>
        ${job.cancel_requested && !finished ? html`<span class="badge warn">stopping</span>` : nothing}
      </td>
      <td>
        ${isQueued
          ? html`<label class="visually-hidden" for="prio-${job.id}">Priority of ${name}</label>
              <select
                id="prio-${job.id}"
                class="priority"
                .value=${job.priority}
                @change=${(e: Event) => void actions.setPriority(job, (e.target as HTMLSelectElement).value as PriorityClass)}
              >
                ${PRIORITY_CLASSES.map((p) => html`<option value=${p} ?selected=${p === job.priority}>${p}</option>`)}
              </select>`
          : html`<span class="small muted">${job.priority}</span>`}
      </td>
      <td class="num">${this.#waited(job)}</td>
      <td class="num" title=${isQueued && job.eta === null ? 'No run-time history for this workflow yet' : ''}>${this.#eta(job)}</td>
      <td class="num">${job.attempts}</td>
      <td>
        <div class="actions">
          ${isQueued
            ? html`<button type="button" class="icon" data-move="up" aria-label="Move ${name} up" title="Move up" ?disabled=${index <= 0 || job.position === null} @click=${() => void this.#move(job, job.position! - 1, 'up')}>↑</button>
                <button type="button" class="icon" data-move="down" aria-label="Move ${name} down" title="Move down" ?disabled=${index === queued.length - 1 || job.position === null} @click=${() => void this.#move(job, job.position! + 1, 'down')}>↓</button>
                <button type="button" class="icon" data-move="front" aria-label="Move ${name} to the front" title="Move to front" ?disabled=${index === 0} @click=${() => void this.#move(job, 1, 'front')}>⤒</button>`
            : nothing}
          ${finished
            ? nothing
            : html`<button type="button" class="icon danger" aria-label="Cancel ${name}" title="Cancel" ?disabled=${job.cancel_requested} @click=${() => void this.#cancel(job)}>✕</button>`}
        </div>
      </td>
    </tr>`;
  }

  override render() {
    const state = this.#store.state;
    const rows = queueRows(state, { seat: this.seatFilter, state: this.stateFilter });
    const queued = queuedInOrder(state);
    const seats = knownSeats(state);
    const seatHasWork = this.seatFilter !== '' && Object.values(state.jobs).some((j) => j.seat === this.seatFilter && !isTerminal(j.state));
    return html`<section class="panel" aria-labelledby="queue-title">
      <div class="panel-head">
        <h2 id="queue-title">Queue</h2>
        <span class="badge count">${queued.length} queued</span>
        <span class="spacer"></span>
        <div class="filters">
          <label>Seat
            <select name="seat-filter" .value=${this.seatFilter} @change=${(e: Event) => (this.seatFilter = (e.target as HTMLSelectElement).value)}>
              <option value="" ?selected=${this.seatFilter === ''}>All seats</option>
              ${seats.map((s) => html`<option value=${s} ?selected=${s === this.seatFilter}>${s}</option>`)}
            </select>
          </label>
          <label>State
            <select name="state-filter" .value=${this.stateFilter} @change=${(e: Event) => (this.stateFilter = (e.target as HTMLSelectElement).value as StateFilter)}>
              ${STATE_FILTERS.map((f) => html`<option value=${f} ?selected=${f === this.stateFilter}>${STATE_FILTER_LABELS[f]}</option>`)}
            </select>
          </label>
          ${this.seatFilter
            ? html`<button type="button" class="danger" ?disabled=${!seatHasWork} @click=${() => void this.#cancelSeat(this.seatFilter)}>Cancel all of ${this.seatFilter}'s jobs</button>`
            : nothing}
        </div>
      </div>
      <div class="scroll">
        <table>
          <caption class="visually-hidden">Jobs; drag a queued row onto another to take its place, or use the move buttons</caption>
          <thead>
            <tr>
              <th><span class="visually-hidden">Drag</span></th>
              <th>#</th>
              <th>Workflow</th>
              <th>Seat</th>
              <th>State</th>
              <th>Priority</th>
              <th>Waited</th>
              <th>ETA</th>
              <th title="Attempts">Att.</th>
              <th><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${repeat(rows, (job) => job.id, (job) => this.#row(job, queued))}
          </tbody>
        </table>
        ${rows.length === 0 ? html`<p class="empty">No jobs match these filters.</p>` : nothing}
      </div>
    </section>`;
  }
}

customElements.define('cm-queue-panel', CmQueuePanel);
