/** Horizontal bars with labels and values, e.g. jobs per seat or worker utilisation. */
import { css, html, LitElement, svg } from 'lit';
import { barLayout } from '../charts.ts';

const LABEL_WIDTH = 64;
const VALUE_WIDTH = 40;
const ROW = 18;

export class CmBarChart extends LitElement {
  static override properties = { items: { attribute: false }, label: {}, max: { type: Number }, format: { attribute: false } };
  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: auto;
      display: block;
    }
    .label,
    .value {
      fill: var(--muted);
      font-size: 11px;
    }
    .bar {
      fill: var(--accent);
    }
    .track {
      fill: var(--surface-2);
    }
    p {
      color: var(--muted);
      font-size: 0.8rem;
      margin: 0.3rem 0;
    }
  `;

  declare items: [string, number][];
  declare label: string;
  declare max: number | undefined;
  declare format: (value: number) => string;

  constructor() {
    super();
    this.items = [];
    this.label = '';
    this.max = undefined;
    this.format = (value) => String(value);
  }

  override render() {
    if (this.items.length === 0) return html`<p>no data yet</p>`;
    const width = 300;
    const height = this.items.length * ROW + 4;
    const box = { width: width - LABEL_WIDTH - VALUE_WIDTH, height, pad: 2 };
    const bars = barLayout(this.items, box, this.max);
    const summary = this.items.map(([name, value]) => `${name} ${this.format(value)}`).join(', ');
    return html`<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${this.label}: ${summary}">
      ${bars.map(
        (bar) => svg`
          <text class="label" x=${LABEL_WIDTH - 6} y=${bar.y + bar.height / 2 + 3.5} text-anchor="end">${bar.label}</text>
          <rect class="track" x=${LABEL_WIDTH + bar.x} y=${bar.y} width=${box.width - 2 * box.pad} height=${bar.height} rx="2"></rect>
          <rect class="bar" x=${LABEL_WIDTH + bar.x} y=${bar.y} width=${bar.width} height=${bar.height} rx="2"></rect>
          <text class="value" x=${width - VALUE_WIDTH + 6} y=${bar.y + bar.height / 2 + 3.5}>${this.format(bar.value)}</text>`,
      )}
    </svg>`;
  }
}

customElements.define('cm-bar-chart', CmBarChart);
