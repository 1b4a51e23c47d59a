/**
 * The seats: who is online, their job counts and outputs, last activity;
 * rotate an access code (shown once), copy the seat's link, disable a seat.
 */
import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { actions } from '../actions.ts';
import type { RotatedCode, Seat } from '../api-types.ts';
import { formatAgo, linkWithCode } from '../format.ts';
import { seatList } from '../selectors.ts';
import { store } from '../store.ts';
import { confirmAction } from './cm-confirm-dialog.ts';
import { StoreController, TickController } from './store-controller.ts';
import { base } from './styles.ts';

export class CmSeatsPanel extends LitElement {
  static override styles = [
    base,
    css`
      .scroll {
        overflow: auto;
        max-height: 26rem;
      }
      .dot {
        display: inline-block;
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: var(--border);
        margin-right: 0.35rem;
      }
      .dot.online {
        background: var(--ok);
      }
      .who {
        white-space: nowrap;
      }
      .num {
        font-variant-numeric: tabular-nums;
        text-align: right;
      }
      .actions {
        display: flex;
        gap: 0.25rem;
        justify-content: flex-end;
      }
      tr.disabled td:not(:last-child) {
        opacity: 0.55;
      }
      .revealed {
        border: 1px solid var(--warn);
        border-radius: 8px;
        padding: 0.5rem 0.7rem;
        margin-bottom: 0.6rem;
        display: flex;
        gap: 0.6rem;
        align-items: center;
        flex-wrap: wrap;
        background: color-mix(in srgb, var(--warn) 8%, var(--surface));
      }
      .code {
        font-size: 1.05rem;
        font-weight: 700;
        letter-spacing: 0.06em;
      }
      .revealed input {
        flex: 1;
        min-width: 12rem;
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.seats, s.revealed]);
  readonly #clock = new TickController(this, 15_000);

  #link(seat: Seat): { link: string; withCode: boolean } {
    const revealed = this.#store.state.revealed[seat.seat];
    const url = revealed?.url ?? seat.url;
    return { link: linkWithCode(url, revealed?.code ?? null, location.origin), withCode: Boolean(revealed) };
  }

  async #rotate(seat: Seat): Promise<void> {
    const ok = await confirmAction({
      title: `New access code for ${seat.seat}?`,
      message: `The current code of ${seat.seat} stops working at once; the new one is shown here only once.`,
      confirmLabel: 'Rotate code',
    });
    if (ok) await actions.rotateCode(seat.seat);
  }

  async #toggle(seat: Seat): Promise<void> {
    if (!seat.disabled) {
      const ok = await confirmAction({
        title: `Disable ${seat.seat}?`,
        message: `${seat.seat} can no longer submit jobs until you enable it again.`,
        confirmLabel: 'Disable seat',
      });
      if (!ok) return;
    }
    await actions.setSeatDisabled(seat.seat, !seat.disabled);
  }

  async #cancelAll(seat: Seat): Promise<void> {
    const ok = await confirmAction({
      title: `Cancel all of ${seat.seat}'s jobs?`,
      message: `Every queued and running job of ${seat.seat} is cancelled. This cannot be undone.`,
      confirmLabel: 'Cancel all',
    });
    if (ok) await actions.cancelSeat(seat.seat);
  }

  #revealed(rotated: RotatedCode) {
    const link = linkWithCode(rotated.url, rotated.code, location.origin);
    return html`<div class="revealed" role="group" aria-label="New access code for ${rotated.seat}" data-seat=${rotated.seat}>
      <span>New code for <strong>${rotated.seat}</strong>:</span>
      <span class="code mono" data-role="code">${rotated.code}</span>
      <label class="visually-hidden" for="link-${rotated.seat}">Link for ${rotated.seat} with its code</label>
      <input id="link-${rotated.seat}" class="mono" readonly .value=${link} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
      <button type="button" class="primary" @click=${() => void actions.copyLink(rotated.seat, link, true)}>Copy link</button>
      <button type="button" @click=${() => store.dispatch({ type: 'code.dismissed', seat: rotated.seat })}>Hide code</button>
    </div>`;
  }

  #row(seat: Seat) {
    const { link, withCode } = this.#link(seat);
    const busy = seat.queued + seat.running > 0;
    return html`<tr data-seat=${seat.seat} class=${seat.disabled ? 'disabled' : ''}>
      <td class="who">
        <span class="dot ${seat.online ? 'online' : ''}" title=${seat.online ? 'online' : 'offline'}></span><span class="visually-hidden">${seat.online ? 'online' : 'offline'}</span>
        <strong>${seat.seat}</strong>
        ${seat.name && seat.name !== seat.seat ? html`<span class="muted small">${seat.name}</span>` : nothing}
        ${seat.disabled ? html`<span class="badge disabled">disabled</span>` : nothing}
      </td>
      <td class="num">${seat.queued}</td>
      <td class="num">${seat.running}</td>
      <td class="num">${seat.done}</td>
      <td class="num">${seat.outputs}</td>
      <td class="small muted">${formatAgo(seat.last_activity, this.#clock.now)}</td>
      <td>
        <div class="actions">
          <button type="button" aria-label="Copy link for ${seat.seat}" @click=${() => void actions.copyLink(seat.seat, link, withCode)}>Copy link</button>
          <button type="button" aria-label="Rotate access code of ${seat.seat}" @click=${() => void this.#rotate(seat)}>New code</button>
          <button type="button" class="danger" aria-label="Cancel all jobs of ${seat.seat}" ?disabled=${!busy} @click=${() => void this.#cancelAll(seat)}>Cancel jobs</button>
          <button type="button" class=${seat.disabled ? '' : 'danger'} aria-label="${seat.disabled ? 'Enable' : 'Disable'} ${seat.seat}" @click=${() => void this.#toggle(seat)}>
            ${seat.disabled ? 'Enable' : 'Disable'}
          </button>
        </div>
      </td>
    </tr>`;
  }

  override render() {
    const state = this.#store.state;
    const seats = seatList(state);
    const online = seats.filter((s) => s.online).length;
    return html`<section class="panel" aria-labelledby="seats-title">
      <div class="panel-head">
        <h2 id="seats-title">Seats</h2>
        <span class="badge">${online} / ${seats.length} online</span>
      </div>
      ${Object.values(state.revealed).map((r) => this.#revealed(r))}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Seat</th>
              <th class="num">Queued</th>
              <th class="num">Running</th>
              <th class="num">Done</th>
              <th class="num">Outputs</th>
              <th>Last activity</th>
              <th><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>${repeat(seats, (s) => s.seat, (s) => this.#row(s))}</tbody>
        </table>
      </div>
      ${seats.length === 0 ? html`<p class="empty">No seats configured.</p>` : nothing}
    </section>`;
  }
}

customElements.define('cm-seats-panel', CmSeatsPanel);
