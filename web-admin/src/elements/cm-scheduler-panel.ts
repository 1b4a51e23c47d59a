/** The scheduler: which policy picks the next job, the caps, and pausing submissions or dispatch. */
import { css, html, LitElement, nothing } from 'lit';
import { actions } from '../actions.ts';
import type { Paused } from '../api-types.ts';
import { policyLabel } from '../format.ts';
import { StoreController } from './store-controller.ts';
import { base } from './styles.ts';

const POLICY_HELP: Record<string, string> = {
  fifo: 'Oldest job first, whoever sent it.',
  round_robin: 'Seats take turns, so one seat’s batch never starves the others.',
  priority: 'instructor > high > normal > low; fair inside a class.',
};

export class CmSchedulerPanel extends LitElement {
  static override styles = [
    base,
    css`
      fieldset {
        border: 0;
        padding: 0;
        margin: 0 0 0.7rem;
      }
      legend {
        font-size: 0.8rem;
        color: var(--muted);
        margin-bottom: 0.3rem;
      }
      .policies {
        display: grid;
        gap: 0.25rem;
      }
      .policy {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 0 0.5rem;
        align-items: start;
        padding: 0.35rem 0.5rem;
        border: 1px solid var(--border);
        border-radius: 7px;
        color: var(--text);
        font-size: 0.85rem;
        cursor: pointer;
      }
      .policy.current {
        border-color: var(--accent);
        background: color-mix(in srgb, var(--accent) 9%, transparent);
      }
      .policy input {
        margin: 0.2rem 0 0;
        min-height: 0;
      }
      .policy small {
        grid-column: 2;
        color: var(--muted);
      }
      .caps {
        display: flex;
        gap: 0.5rem;
        align-items: end;
        flex-wrap: wrap;
      }
      .caps label {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
      }
      .caps input {
        width: 7rem;
      }
      .pause {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 0.4rem 0.6rem;
        align-items: center;
        font-size: 0.85rem;
      }
    `,
  ];

  // Lit re-commits an input's value only when the server's value changes, so typing is never overwritten.
  readonly #store = new StoreController(this, (s) => [s.scheduler]);

  #saveCaps(event: SubmitEvent): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const perSeat = Number(form.get('max_queued_per_seat'));
    const depth = Number(form.get('max_depth'));
    void actions.setCaps({ max_queued_per_seat: perSeat, max_depth: depth });
  }

  #pauseRow(what: keyof Paused, paused: boolean) {
    const noun = what === 'submissions' ? 'New submissions' : 'Dispatch to workers';
    return html`<span>
        ${noun}: <span class="badge ${paused ? 'warn' : 'ok'}" data-role="${what}-state">${paused ? 'paused' : what === 'submissions' ? 'open' : 'running'}</span>
      </span>
      <button type="button" data-role="${what}-toggle" @click=${() => void actions.setPaused(what, !paused)}>
        ${paused ? `Resume ${what}` : `Pause ${what}`}
      </button>`;
  }

  override render() {
    const scheduler = this.#store.state.scheduler;
    if (!scheduler) {
      return html`<section class="panel" aria-labelledby="scheduler-title">
        <div class="panel-head"><h2 id="scheduler-title">Scheduler</h2></div>
        <p class="empty">Loading…</p>
      </section>`;
    }
    const policies = scheduler.policies.length ? scheduler.policies : [scheduler.policy];
    return html`<section class="panel" aria-labelledby="scheduler-title">
      <div class="panel-head"><h2 id="scheduler-title">Scheduler</h2></div>
      <fieldset>
        <legend>Policy</legend>
        <div class="policies">
          ${policies.map(
            (policy) => html`<label class="policy ${policy === scheduler.policy ? 'current' : ''}">
              <input
                type="radio"
                name="policy"
                value=${policy}
                .checked=${policy === scheduler.policy}
                @change=${() => void actions.setPolicy(policy)}
              />
              <span>${policyLabel(policy)}</span>
              ${POLICY_HELP[policy] ? html`<small>${POLICY_HELP[policy]}</small>` : nothing}
            </label>`,
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>Pause</legend>
        <div class="pause">${this.#pauseRow('submissions', scheduler.paused.submissions)} ${this.#pauseRow('dispatch', scheduler.paused.dispatch)}</div>
      </fieldset>
      <form class="caps" @submit=${(e: SubmitEvent) => this.#saveCaps(e)}>
        <label>Max queued per seat
          <input name="max_queued_per_seat" type="number" min="0" step="1" required .value=${String(scheduler.caps.max_queued_per_seat)} />
        </label>
        <label>Max queue depth
          <input name="max_depth" type="number" min="0" step="1" required .value=${String(scheduler.caps.max_depth)} />
        </label>
        <button type="submit">Save caps</button>
      </form>
      <p class="small muted">0 means no limit.</p>
    </section>`;
  }
}

customElements.define('cm-scheduler-panel', CmSchedulerPanel);
