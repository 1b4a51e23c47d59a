/** Announcements: write one, send it to every seat, and see what was sent. */
import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { actions } from '../actions.ts';
import { formatAgo } from '../format.ts';
import { StoreController, TickController } from './store-controller.ts';
import { base } from './styles.ts';

const MAX_LENGTH = 1000;

export class CmAnnouncementsPanel extends LitElement {
  static override properties = { draft: { state: true }, sending: { state: true } };
  static override styles = [
    base,
    css`
      form {
        display: grid;
        gap: 0.35rem;
      }
      textarea {
        resize: vertical;
        min-height: 3.6rem;
        width: 100%;
      }
      .row {
        display: flex;
        justify-content: space-between;
        align-items: center;
      }
      ol {
        list-style: none;
        margin: 0.6rem 0 0;
        padding: 0;
        display: grid;
        gap: 0.35rem;
        max-height: 12rem;
        overflow: auto;
      }
      li {
        border-left: 3px solid var(--accent);
        padding: 0.2rem 0.5rem;
        font-size: 0.85rem;
      }
      time {
        display: block;
        font-size: 0.72rem;
        color: var(--muted);
      }
    `,
  ];

  declare draft: string;
  declare sending: boolean;
  readonly #store = new StoreController(this, (s) => [s.announcements]);
  readonly #clock = new TickController(this, 15_000);

  constructor() {
    super();
    this.draft = '';
    this.sending = false;
  }

  async #send(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const text = this.draft.trim();
    if (!text || this.sending) return;
    this.sending = true;
    const ok = await actions.announce(text);
    this.sending = false;
    if (ok) this.draft = '';
  }

  override render() {
    const sent = this.#store.state.announcements;
    return html`<section class="panel" aria-labelledby="announcements-title">
      <div class="panel-head"><h2 id="announcements-title">Announcements</h2></div>
      <form @submit=${(e: SubmitEvent) => void this.#send(e)}>
        <label for="announcement-text">Message to every seat</label>
        <textarea
          id="announcement-text"
          maxlength=${MAX_LENGTH}
          placeholder="e.g. 10 minute break — the queue keeps running"
          .value=${this.draft}
          @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <div class="row">
          <span class="small muted">${this.draft.length} / ${MAX_LENGTH}</span>
          <button type="submit" class="primary" ?disabled=${!this.draft.trim() || this.sending}>Send announcement</button>
        </div>
      </form>
      <h3 class="visually-hidden">Sent</h3>
      <ol aria-label="Sent announcements">
        ${repeat(
          sent,
          (a) => a.id,
          (a) => html`<li data-announcement=${a.id}>${a.text}<time datetime=${a.at} title=${new Date(a.at).toLocaleString()}>${formatAgo(a.at, this.#clock.now)}</time></li>`,
        )}
      </ol>
      ${sent.length === 0 ? html`<p class="empty">Nothing sent yet.</p>` : nothing}
    </section>`;
  }
}

customElements.define('cm-announcements-panel', CmAnnouncementsPanel);
