/** A tiny health history: latency as a line, failed checks as red ticks. */
import { css, html, LitElement, svg } from 'lit';
import type { HealthSample } from '../api-types.ts';
import { sparkPath } from '../charts.ts';

const BOX = { width: 120, height: 28, pad: 2 };

export class CmSparkline extends LitElement {
  static override properties = { samples: { attribute: false }, label: {} };
  static override styles = css`
    :host {
      display: inline-block;
      line-height: 0;
    }
    svg {
      width: 120px;
      height: 28px;
      overflow: visible;
    }
    .line {
      fill: none;
      stroke: var(--accent);
      stroke-width: 1.5;
    }
    .fail {
      stroke: var(--danger);
      stroke-width: 2;
    }
    .base {
      stroke: var(--border);
    }
  `;

  declare samples: readonly HealthSample[];
  declare label: string;

  constructor() {
    super();
    this.samples = [];
    this.label = 'Health history';
  }

  override render() {
    const samples = this.samples;
    const values = samples.map((s) => (s.ok ? s.ms : null));
    const step = samples.length > 1 ? (BOX.width - 2 * BOX.pad) / (samples.length - 1) : 0;
    const failures = samples.filter((s) => !s.ok).length;
    const summary = samples.length === 0 ? 'no checks yet' : `${samples.length - failures} of ${samples.length} checks ok`;
    return html`<svg viewBox="0 0 ${BOX.width} ${BOX.height}" role="img" aria-label="${this.label}: ${summary}">
      <title>${this.label}: ${summary}</title>
      <line class="base" x1="0" x2=${BOX.width} y1=${BOX.height - 1} y2=${BOX.height - 1}></line>
      <path class="line" d=${sparkPath(values, BOX)}></path>
      ${samples.map((s, i) =>
        s.ok ? null : svg`<line class="fail" x1=${BOX.pad + i * step} x2=${BOX.pad + i * step} y1="4" y2=${BOX.height - 2}></line>`,
      )}
    </svg>`;
  }
}

customElements.define('cm-sparkline', CmSparkline);
