/**
 * The result of every action, as the server worded it. Successes are polite
 * status messages that fade; errors are alerts that stay until dismissed.
 */
import { css, html, LitElement } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Toast } from '../reducer.ts';
import { store } from '../store.ts';
import { StoreController } from './store-controller.ts';
import { base } from './styles.ts';

const OK_VISIBLE_MS = 6000;

export class CmToasts extends LitElement {
  static override styles = [
    base,
    css`
      /* Top right, under the header: over the running cards, which have no controls. */
      :host {
        position: fixed;
        right: 1rem;
        top: 3.6rem;
        z-index: 20;
        width: min(26rem, calc(100vw - 2rem));
      }
      .stack {
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
      }
      .toast {
        display: flex;
        align-items: flex-start;
        gap: 0.5rem;
        padding: 0.55rem 0.7rem;
        border-radius: 8px;
        background: var(--surface);
        border: 1px solid var(--border);
        border-left: 4px solid var(--ok);
        box-shadow: 0 8px 24px rgb(0 0 0 / 0.2);
        font-size: 0.86rem;
      }
      .toast.error {
        border-left-color: var(--danger);
      }
      .toast p {
        margin: 0;
        flex: 1;
        line-height: 1.35;
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.toasts]);
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();

  override updated(): void {
    for (const toast of this.#store.state.toasts) {
      if (toast.kind !== 'ok' || this.#timers.has(toast.id)) continue;
      this.#timers.set(
        toast.id,
        setTimeout(() => {
          this.#timers.delete(toast.id);
          store.dispatch({ type: 'toast.dismiss', id: toast.id });
        }, OK_VISIBLE_MS),
      );
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #item(toast: Toast) {
    return html`<div class="toast ${toast.kind}" data-kind=${toast.kind}>
      <p>${toast.text}</p>
      <button type="button" class="icon" aria-label="Dismiss message" @click=${() => store.dispatch({ type: 'toast.dismiss', id: toast.id })}>
        ✕
      </button>
    </div>`;
  }

  override render() {
    const toasts = this.#store.state.toasts;
    // Two live regions: successes are announced politely, errors interrupt.
    return html`<div class="stack">
      <div role="status" aria-live="polite" class="stack">${repeat(toasts.filter((t) => t.kind === 'ok'), (t) => t.id, (t) => this.#item(t))}</div>
      <div role="alert" class="stack">${repeat(toasts.filter((t) => t.kind === 'error'), (t) => t.id, (t) => this.#item(t))}</div>
    </div>`;
  }
}

customElements.define('cm-toasts', CmToasts);
