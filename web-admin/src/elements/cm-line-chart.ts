/** A small time-series chart: one or two series over the last hour, drawn as SVG paths. */
import { css, html, LitElement, nothing, svg } from 'lit';
import { type SeriesPoint, areaPath, domainOf, linePath } from '../charts.ts';

export interface ChartSeries {
  name: string;
  points: SeriesPoint[];
  /** A CSS colour, usually a custom property. */
  colour: string;
  filled?: boolean;
}

const BOX = { width: 320, height: 100, pad: 4 };
/** Room under the plot for the time labels. */
const AXIS = 14;

const clock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export class CmLineChart extends LitElement {
  static override properties = { series: { attribute: false }, label: {}, unit: {} };
  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: auto;
      display: block;
    }
    .grid {
      stroke: var(--border-soft);
    }
    .axis {
      fill: var(--muted);
      font-size: 10px;
    }
    .legend {
      display: flex;
      gap: 0.8rem;
      font-size: 0.75rem;
      color: var(--muted);
      margin-top: 0.2rem;
    }
    .swatch {
      display: inline-block;
      width: 0.7rem;
      height: 0.22rem;
      border-radius: 2px;
      vertical-align: middle;
      margin-right: 0.25rem;
    }
  `;

  declare series: ChartSeries[];
  declare label: string;
  declare unit: string;

  constructor() {
    super();
    this.series = [];
    this.label = '';
    this.unit = '';
  }

  override render() {
    const domain = domainOf(this.series.map((s) => s.points));
    const empty = this.series.every((s) => s.points.every((p) => p.y === null));
    const latest = this.series.map((s) => {
      const last = [...s.points].reverse().find((p) => p.y !== null);
      return `${s.name} ${last ? `${Math.round(last.y!)}${this.unit}` : 'no data'}`;
    });
    const mid = BOX.pad + (BOX.height - 2 * BOX.pad) / 2;
    return html`<svg viewBox="0 0 ${BOX.width} ${BOX.height + AXIS}" role="img" aria-label="${this.label}: ${empty ? 'no data yet' : `latest ${latest.join(', ')}`}">
        <line class="grid" x1=${BOX.pad} x2=${BOX.width - BOX.pad} y1=${BOX.pad} y2=${BOX.pad}></line>
        <line class="grid" x1=${BOX.pad} x2=${BOX.width - BOX.pad} y1=${mid} y2=${mid}></line>
        <line class="grid" x1=${BOX.pad} x2=${BOX.width - BOX.pad} y1=${BOX.height - BOX.pad} y2=${BOX.height - BOX.pad}></line>
        ${this.series.map(
          (s) => svg`
            ${s.filled ? svg`<path d=${areaPath(s.points, BOX, domain)} style="fill:${s.colour};fill-opacity:0.16"></path>` : nothing}
            <path d=${linePath(s.points, BOX, domain)} style="fill:none;stroke:${s.colour};stroke-width:1.6;stroke-linejoin:round"></path>`,
        )}
        <text class="axis" x=${BOX.width - BOX.pad - 2} y="14" text-anchor="end">max ${domain.yMax}${this.unit}</text>
        ${empty
          ? svg`<text class="axis" x=${BOX.width / 2} y=${mid + 3} text-anchor="middle">no data yet</text>`
          : svg`<text class="axis" x=${BOX.pad} y=${BOX.height + AXIS - 3}>${clock(domain.x0)}</text>
              <text class="axis" x=${BOX.width - BOX.pad} y=${BOX.height + AXIS - 3} text-anchor="end">${clock(domain.x1)}</text>`}
      </svg>
      <div class="legend" aria-hidden="true">
        ${this.series.map((s) => html`<span><span class="swatch" style="background:${s.colour}"></span>${s.name}</span>`)}
      </div>`;
  }
}

customElements.define('cm-line-chart', CmLineChart);
