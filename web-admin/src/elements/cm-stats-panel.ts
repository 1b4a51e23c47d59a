/** The last hour at a glance: queue depth, waiting time, jobs per seat, worker utilisation. */
import { css, html, LitElement } from 'lit';
import { toPoints } from '../charts.ts';
import { formatPercent } from '../format.ts';
import { refreshStats } from '../sync.ts';
import './cm-bar-chart.ts';
import './cm-line-chart.ts';
import { StoreController } from './store-controller.ts';
import { base } from './styles.ts';

export class CmStatsPanel extends LitElement {
  static override styles = [
    base,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr));
        gap: 0.9rem 1.2rem;
      }
      figure {
        margin: 0;
      }
      figcaption {
        font-size: 0.8rem;
        color: var(--muted);
        margin-bottom: 0.25rem;
      }
    `,
  ];

  readonly #store = new StoreController(this, (s) => [s.stats]);

  override render() {
    const stats = this.#store.state.stats;
    const depth = stats?.depth_series ?? [];
    const wait = stats?.wait_series ?? [];
    const perSeat = Object.entries(stats?.jobs_per_seat ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([seat, n]) => [seat, n] as [string, number]);
    const utilisation = Object.entries(stats?.utilisation ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([worker, u]) => [worker, u] as [string, number]);
    return html`<section class="panel" aria-labelledby="stats-title">
      <div class="panel-head">
        <h2 id="stats-title">Last hour</h2>
        <span class="spacer"></span>
        <button type="button" @click=${() => void refreshStats()}>Refresh stats</button>
      </div>
      <div class="grid">
        <figure>
          <figcaption>Queue depth</figcaption>
          <cm-line-chart
            label="Queue depth over the last hour"
            .series=${[
              { name: 'queued', points: toPoints(depth, (s) => s.queued), colour: 'var(--accent)', filled: true },
              { name: 'running', points: toPoints(depth, (s) => s.running), colour: 'var(--ok)' },
            ]}
          ></cm-line-chart>
        </figure>
        <figure>
          <figcaption>Wait before start (median)</figcaption>
          <cm-line-chart
            label="Median wait over the last hour"
            unit="s"
            .series=${[{ name: 'median wait', points: toPoints(wait, (s) => s.p50), colour: 'var(--warn)', filled: true }]}
          ></cm-line-chart>
        </figure>
        <figure>
          <figcaption>Jobs per seat</figcaption>
          <cm-bar-chart label="Jobs per seat in the last hour" .items=${perSeat}></cm-bar-chart>
        </figure>
        <figure>
          <figcaption>Worker utilisation</figcaption>
          <cm-bar-chart label="Worker utilisation" .items=${utilisation} .max=${1} .format=${(u: number) => formatPercent(u)}></cm-bar-chart>
        </figure>
      </div>
    </section>`;
  }
}

customElements.define('cm-stats-panel', CmStatsPanel);
