/** What every worker is running right now: the job, its live progress and its latest preview. */
import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { formatDuration, formatPercent, secondsSince } from '../format.ts';
import { type RunningCard, runningCards } from '../selectors.ts';
import { StoreController, TickController } from './store-controller.ts';
import { base } from './styles.ts';

export class CmRunningPanel extends LitElement {
  static override styles = [
    base,
    css`
      .cards {
        display: grid;
        gap: 0.6rem;
      }
      .card {
        display: grid;
        grid-template-columns: 88px 1fr;
        gap: 0.7rem;
        align-items: center;
        padding: 0.5rem;
        border: 1px solid var(--border);
        border-radius: 8px;
        background: var(--surface-2);
      }
      .thumb {
        width: 88px;
        height: 88px;
        border-radius: 6px;
        background: var(--surface);
        border: 1px solid var(--border);
        display: grid;
        place-items: center;
        overflow: hidden;
        color: var(--muted);
        font-size: 0.7rem;
        text-align: center;
      }
      .thumb img {
        width: 100%;
        height: 100%;
        object-fit: cover;
      }
      .line {
        display: flex;
        gap: 0.4rem;
        align-items: baseline;
        min-width: 0;
      }
      .title {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      progress {
        width: 100%;
        height: 8px;
        margin: 0.35rem 0 0.2rem;
        accent-color: var(--accent);
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.workers, s.jobs, s.progress, s.previews]);
  readonly #clock = new TickController(this);

  #card(card: RunningCard) {
    const job = card.job;
    const title = job?.title ?? 'untitled';
    const elapsed = secondsSince(job?.started_at ?? null, this.#clock.now);
    const label = `Progress of ${title} on ${card.worker.id}`;
    return html`<article class="card" data-worker=${card.worker.id} data-job-id=${card.jobId ?? ''}>
      <div class="thumb">
        ${card.preview ? html`<img src=${card.preview} alt="Latest preview of ${title}" />` : html`<span>no preview yet</span>`}
      </div>
      <div>
        <div class="line">
          <span class="title">${title}</span>
          <span class="muted small">${job?.seat ?? ''}</span>
        </div>
        <div class="line small muted">
          <span>${card.worker.id}</span>
          ${elapsed === null ? nothing : html`<span>· ${formatDuration(elapsed)}</span>`}
          ${card.node ? html`<span>· node ${card.node}</span>` : nothing}
        </div>
        ${card.progress === null
          ? html`<progress aria-label=${label}></progress>`
          : html`<progress aria-label=${label} max="1" .value=${card.progress}></progress>`}
        <div class="small muted" data-role="progress">${card.progress === null ? 'starting…' : formatPercent(card.progress)}</div>
      </div>
    </article>`;
  }

  override render() {
    const cards = runningCards(this.#store.state);
    return html`<section class="panel" aria-labelledby="running-title">
      <div class="panel-head">
        <h2 id="running-title">Running</h2>
        <span class="badge">${cards.length} active</span>
      </div>
      <div class="cards">
        ${repeat(cards, (c) => c.worker.id, (c) => this.#card(c))}
      </div>
      ${cards.length === 0 ? html`<p class="empty">No worker is running a job.</p>` : nothing}
    </section>`;
  }
}

customElements.define('cm-running-panel', CmRunningPanel);
