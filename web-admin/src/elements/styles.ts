/**
 * Styles every panel shares. Colours come from CSS custom properties set in
 * index.html (light, dark, and the instructor's own choice), which pierce shadow roots.
 */
import { css } from 'lit';

export const base = css`
  :host {
    display: block;
    color: var(--text);
    font: inherit;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2 {
    font-size: 0.95rem;
    font-weight: 650;
    letter-spacing: 0.01em;
    margin: 0;
  }
  h3 {
    font-size: 0.85rem;
    font-weight: 600;
    margin: 0 0 0.4rem;
  }
  .panel {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 10px;
    padding: 0.75rem 0.9rem;
    height: 100%;
    min-width: 0;
  }
  .panel-head {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    flex-wrap: wrap;
    margin-bottom: 0.6rem;
  }
  .panel-head .spacer {
    flex: 1;
  }
  .muted {
    color: var(--muted);
  }
  .small {
    font-size: 0.8rem;
  }
  .mono {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.85em;
  }
  .empty {
    color: var(--muted);
    font-size: 0.85rem;
    padding: 0.6rem 0;
  }
  button {
    font: inherit;
    font-size: 0.82rem;
    color: var(--text);
    background: var(--surface-2);
    border: 1px solid var(--border);
    border-radius: 6px;
    padding: 0.3rem 0.6rem;
    cursor: pointer;
    min-height: 30px;
    white-space: nowrap;
  }
  button:hover:not(:disabled) {
    border-color: var(--accent);
  }
  button:disabled {
    opacity: 0.45;
    cursor: not-allowed;
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--accent-text);
  }
  button.danger {
    color: var(--danger);
  }
  button.danger.solid {
    background: var(--danger);
    border-color: var(--danger);
    color: #fff;
  }
  button.icon {
    padding: 0.2rem 0.4rem;
    min-width: 30px;
  }
  input,
  select,
  textarea {
    font: inherit;
    font-size: 0.85rem;
    color: var(--text);
    background: var(--surface-2);
    border: 1px solid var(--border);
    border-radius: 6px;
    padding: 0.3rem 0.45rem;
    min-height: 30px;
  }
  :focus-visible {
    outline: 2px solid var(--focus);
    outline-offset: 2px;
  }
  label {
    font-size: 0.8rem;
    color: var(--muted);
  }
  .badge {
    display: inline-block;
    font-size: 0.72rem;
    font-weight: 600;
    padding: 0.1rem 0.45rem;
    border-radius: 999px;
    background: var(--surface-2);
    border: 1px solid var(--border);
    white-space: nowrap;
  }
  .badge.ok,
  .badge.ready,
  .badge.succeeded {
    color: var(--ok);
    border-color: color-mix(in srgb, var(--ok) 45%, transparent);
  }
  .badge.busy,
  .badge.running,
  .badge.dispatching {
    color: var(--accent);
    border-color: color-mix(in srgb, var(--accent) 45%, transparent);
  }
  .badge.draining,
  .badge.starting,
  .badge.queued,
  .badge.warn {
    color: var(--warn);
    border-color: color-mix(in srgb, var(--warn) 45%, transparent);
  }
  .badge.down,
  .badge.failed,
  .badge.disabled,
  .badge.bad {
    color: var(--danger);
    border-color: color-mix(in srgb, var(--danger) 45%, transparent);
  }
  .badge.cancelled {
    color: var(--muted);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .meter {
    height: 6px;
    border-radius: 3px;
    background: var(--surface-2);
    border: 1px solid var(--border);
    overflow: hidden;
  }
  .meter > span {
    display: block;
    height: 100%;
    background: var(--accent);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.84rem;
  }
  th {
    text-align: left;
    font-weight: 600;
    color: var(--muted);
    font-size: 0.74rem;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 0.3rem 0.4rem;
    border-bottom: 1px solid var(--border);
    white-space: nowrap;
  }
  td {
    padding: 0.3rem 0.4rem;
    border-bottom: 1px solid var(--border-soft);
    vertical-align: middle;
  }
`;
