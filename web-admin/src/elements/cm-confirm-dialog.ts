/**
 * The confirmation every destructive action asks for: a modal <dialog> (focus
 * stays inside, Escape cancels, "Cancel" has the initial focus so Enter is safe).
 * `confirmAction()` opens the one instance the app renders.
 */
import { css, html, LitElement } from 'lit';
import { base } from './styles.ts';

export interface ConfirmRequest {
  title: string;
  message: string;
  /** The button that goes ahead, e.g. "Cancel job". */
  confirmLabel: string;
}

let instance: CmConfirmDialog | null = null;

/** Asks the instructor; resolves true only when they pressed the confirm button. */
export function confirmAction(request: ConfirmRequest): Promise<boolean> {
  if (!instance) return Promise.resolve(false);
  return instance.ask(request);
}

export class CmConfirmDialog extends LitElement {
  static override properties = { request: { state: true } };
  static override styles = [
    base,
    css`
      dialog {
        background: var(--surface);
        color: var(--text);
        border: 1px solid var(--border);
        border-radius: 12px;
        padding: 1.1rem 1.2rem 1rem;
        width: min(92vw, 26rem);
        box-shadow: 0 18px 50px rgb(0 0 0 / 0.35);
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 0.45);
      }
      h2 {
        font-size: 1.05rem;
        margin-bottom: 0.5rem;
      }
      p {
        margin: 0 0 1rem;
        line-height: 1.45;
        font-size: 0.9rem;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 0.5rem;
      }
    `,
  ];

  declare request: ConfirmRequest | null;
  #resolve: ((answer: boolean) => void) | null = null;

  constructor() {
    super();
    this.request = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    instance = this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (instance === this) instance = null;
    this.#finish(false);
  }

  async ask(request: ConfirmRequest): Promise<boolean> {
    this.#finish(false);
    this.request = request;
    await this.updateComplete;
    const dialog = this.renderRoot.querySelector('dialog')!;
    dialog.showModal();
    this.renderRoot.querySelector<HTMLButtonElement>('button[data-role="dismiss"]')?.focus();
    return new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  #finish(answer: boolean): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    const dialog = this.renderRoot?.querySelector('dialog');
    if (dialog?.open) dialog.close();
    resolve?.(answer);
  }

  override render() {
    const request = this.request;
    return html`<dialog
      aria-labelledby="confirm-title"
      aria-describedby="confirm-message"
      @cancel=${(e: Event) => {
        e.preventDefault();
        this.#finish(false);
      }}
    >
      <h2 id="confirm-title">${request?.title ?? ''}</h2>
      <p id="confirm-message">${request?.message ?? ''}</p>
      <div class="buttons">
        <button type="button" data-role="dismiss" @click=${() => this.#finish(false)}>Keep it</button>
        <button type="button" class="danger solid" data-role="confirm" @click=${() => this.#finish(true)}>
          ${request?.confirmLabel ?? 'Confirm'}
        </button>
      </div>
    </dialog>`;
  }
}

customElements.define('cm-confirm-dialog', CmConfirmDialog);
