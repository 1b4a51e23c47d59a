/**
 * Always in view: whether the panel is live, the scheduler's policy and pause
 * state, and how much work there is. Offline says when it retries.
 */
import { css, html, LitElement, nothing } from 'lit';
import { policyLabel } from '../format.ts';
import { summary } from '../selectors.ts';
import { reconnectNow } from '../sync.ts';
import { StoreController, TickController } from './store-controller.ts';
import { base } from './styles.ts';

export class CmStatusBar extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: contents;
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        align-items: center;
        font-size: 0.8rem;
      }
      .conn {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
      }
      .conn::before {
        content: '';
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: var(--muted);
      }
      .conn.online::before {
        background: var(--ok);
        box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 25%, transparent);
      }
      .conn.offline::before {
        background: var(--danger);
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.connection, s.scheduler, s.queue, s.workers, s.jobs]);
  readonly #clock = new TickController(this);

  #connection() {
    const { status, retryAt } = this.#store.state.connection;
    if (status === 'online') return html`<span class="badge conn online" data-role="connection">Live</span>`;
    if (status === 'offline') {
      const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - this.#clock.now) / 1000)) : 0;
      return html`<span class="badge conn offline bad" data-role="connection">Offline · retrying in ${seconds}s</span>
        <button type="button" @click=${() => reconnectNow()}>Reconnect now</button>`;
    }
    return html`<span class="badge conn" data-role="connection">Connecting…</span>`;
  }

  override render() {
    const state = this.#store.state;
    const scheduler = state.scheduler;
    const counts = summary(state);
    const policy = scheduler?.policy ?? state.queue?.policy;
    const paused = scheduler?.paused ?? state.queue?.paused;
    return html`<div class="bar" role="group" aria-label="Live status">
      ${this.#connection()}
      ${policy ? html`<span class="badge" data-role="policy" title="Scheduling policy">${policyLabel(policy)}</span>` : nothing}
      ${paused
        ? html`<span class="badge ${paused.submissions ? 'warn' : 'ok'}" data-role="submissions">Submissions ${paused.submissions ? 'paused' : 'open'}</span>
            <span class="badge ${paused.dispatch ? 'warn' : 'ok'}" data-role="dispatch">Dispatch ${paused.dispatch ? 'paused' : 'running'}</span>`
        : nothing}
      <span class="badge" data-role="counts">${counts.queued} queued · ${counts.running} running${counts.starting ? ` · ${counts.starting} up next` : ''}</span>
      <span class="badge">${counts.workersReady}/${counts.workersTotal} workers up</span>
    </div>`;
  }
}

customElements.define('cm-status-bar', CmStatusBar);
