/** The panel's shell: sign-in gate, header with the live status, and the dashboard grid. */
import { css, html, LitElement } from 'lit';
import { logout } from '../sync.ts';
import './cm-announcements-panel.ts';
import './cm-confirm-dialog.ts';
import './cm-login.ts';
import './cm-queue-panel.ts';
import './cm-running-panel.ts';
import './cm-scheduler-panel.ts';
import './cm-seats-panel.ts';
import './cm-stats-panel.ts';
import './cm-status-bar.ts';
import './cm-theme-toggle.ts';
import './cm-toasts.ts';
import './cm-workers-panel.ts';
import { StoreController } from './store-controller.ts';
import { base } from './styles.ts';

export class CmApp extends LitElement {
  static override styles = [
    base,
    css`
      header {
        position: sticky;
        top: 0;
        z-index: 10;
        display: flex;
        align-items: center;
        gap: 0.8rem;
        flex-wrap: wrap;
        padding: 0.55rem 1rem;
        background: color-mix(in srgb, var(--bg) 88%, transparent);
        backdrop-filter: blur(6px);
        border-bottom: 1px solid var(--border);
      }
      h1 {
        font-size: 1rem;
        margin: 0;
        white-space: nowrap;
      }
      h1 span {
        color: var(--muted);
        font-weight: 500;
      }
      .spacer {
        flex: 1;
      }
      .tools {
        display: flex;
        gap: 0.4rem;
      }
      main {
        display: grid;
        grid-template-columns: repeat(12, minmax(0, 1fr));
        gap: 0.8rem;
        padding: 0.8rem 1rem 1.5rem;
        max-width: 1800px;
        margin: 0 auto;
      }
      .queue {
        grid-column: span 8;
      }
      .running {
        grid-column: span 4;
      }
      .workers,
      .scheduler,
      .announcements {
        grid-column: span 4;
      }
      .seats,
      .stats {
        grid-column: span 12;
      }
      /* Tablets (portrait and small landscape): two columns, queue full width. */
      @media (max-width: 1100px) {
        .queue {
          grid-column: span 12;
        }
        .running,
        .workers,
        .scheduler,
        .announcements {
          grid-column: span 6;
        }
      }
      @media (max-width: 700px) {
        main > * {
          grid-column: span 12 !important;
        }
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.auth]);

  override render() {
    const auth = this.#store.state.auth;
    const toasts = html`<cm-toasts></cm-toasts><cm-confirm-dialog></cm-confirm-dialog>`;
    if (auth === 'unknown') return html`<p class="empty" style="padding:2rem">Checking your session…</p>${toasts}`;
    if (auth !== 'admin') return html`<cm-login></cm-login>${toasts}`;
    return html`<header>
        <h1>comfy-multi <span>instructor</span></h1>
        <cm-status-bar></cm-status-bar>
        <span class="spacer"></span>
        <div class="tools">
          <cm-theme-toggle></cm-theme-toggle>
          <button type="button" @click=${() => void logout()}>Sign out</button>
        </div>
      </header>
      <main>
        <cm-queue-panel class="queue"></cm-queue-panel>
        <cm-running-panel class="running"></cm-running-panel>
        <cm-workers-panel class="workers"></cm-workers-panel>
        <cm-scheduler-panel class="scheduler"></cm-scheduler-panel>
        <cm-announcements-panel class="announcements"></cm-announcements-panel>
        <cm-seats-panel class="seats"></cm-seats-panel>
        <cm-stats-panel class="stats"></cm-stats-panel>
      </main>
      ${toasts}`;
  }
}

customElements.define('cm-app', CmApp);
