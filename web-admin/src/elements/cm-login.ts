/** The instructor's sign-in: the admin password, and the server's answer when it is wrong. */
import { css, html, LitElement, nothing } from 'lit';
import { login } from '../sync.ts';
import { base } from './styles.ts';

export class CmLogin extends LitElement {
  static override properties = { error: { state: true }, busy: { state: true } };
  static override styles = [
    base,
    css`
      :host {
        display: grid;
        place-items: center;
        min-height: 80vh;
        padding: 1rem;
      }
      form {
        width: min(100%, 22rem);
        display: grid;
        gap: 0.7rem;
        background: var(--surface);
        border: 1px solid var(--border);
        border-radius: 12px;
        padding: 1.4rem;
      }
      h1 {
        font-size: 1.2rem;
        margin: 0;
      }
      p {
        margin: 0;
        font-size: 0.85rem;
      }
      input {
        width: 100%;
        font-size: 1rem;
        padding: 0.45rem 0.6rem;
      }
      .error {
        color: var(--danger);
      }
      button {
        font-size: 0.95rem;
        padding: 0.45rem;
      }
    `,
  ];

  declare error: string | null;
  declare busy: boolean;

  constructor() {
    super();
    this.error = null;
    this.busy = false;
  }

  async #submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const password = String(new FormData(event.target as HTMLFormElement).get('password') ?? '');
    this.busy = true;
    this.error = await login(password);
    this.busy = false;
  }

  override render() {
    return html`<form @submit=${(e: SubmitEvent) => void this.#submit(e)}>
      <h1>comfy-multi · instructor</h1>
      <p class="muted">Sign in with the admin password from the server's configuration.</p>
      <label for="password">Admin password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required autofocus />
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
    </form>`;
  }
}

customElements.define('cm-login', CmLogin);
