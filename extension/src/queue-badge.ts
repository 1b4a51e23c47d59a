/**
 * The live queue badge in the top bar: where the participant's job is
 * (queued #N of M, running X%, idle), its ETA, and a Cancel button.
 */
import { badgeText } from './format.ts';
import type { SeatState } from './seat-state.ts';
import { ensureStyles } from './styles.ts';

export interface BadgeOptions {
  state: SeatState;
  /** Where the badge lives; null puts it in a fixed corner of the page. */
  slot: HTMLElement | null;
  cancel(jobId: string): void;
}

function child(parent: HTMLElement, tag: string, className: string): HTMLElement {
  const element = document.createElement(tag);
  element.className = className;
  parent.append(element);
  return element;
}

export function mountQueueBadge({ state, slot, cancel }: BadgeOptions): HTMLElement {
  ensureStyles();
  const badge = document.createElement('div');
  badge.className = slot ? 'cm-badge' : 'cm-badge cm-badge-floating';
  badge.dataset['state'] = 'idle';
  child(badge, 'span', 'cm-badge-dot');
  const text = child(badge, 'span', 'cm-badge-text');
  const eta = child(badge, 'span', 'cm-badge-eta');
  const more = child(badge, 'span', 'cm-badge-more');
  const button = child(badge, 'button', 'cm-badge-cancel') as HTMLButtonElement;
  button.type = 'button';
  button.textContent = 'Cancel';
  button.title = 'Cancel this job';
  (slot ?? document.body).append(badge);

  let focusId: string | null = null;
  button.addEventListener('click', () => {
    if (focusId) cancel(focusId);
  });

  const render = (): void => {
    const job = state.focus();
    focusId = job?.id ?? null;
    const shown = badgeText(job, state.queue?.depth ?? 0, job ? state.percent(job.id) : null);
    const kind = !state.connected ? 'offline' : !job ? 'idle' : job.state === 'queued' ? 'queued' : 'running';
    badge.dataset['state'] = kind;
    text.textContent = state.connected ? shown.text : `Connecting… ${job ? shown.text : ''}`.trim();
    // A held queue is not a slow one: say who holds it rather than show an ETA that is not moving.
    const held = kind === 'queued' && state.queue?.paused.dispatch === true;
    eta.textContent = held ? 'paused by the instructor' : shown.eta;
    const others = state.pendingCount() - (job ? 1 : 0);
    more.textContent = others > 0 ? `+${others} more` : '';
    button.hidden = !job || job.cancel_requested;
    badge.title = job ? `${job.title ?? 'Job'} · ${job.id}` : `Seat ${state.seat}: nothing queued`;
  };
  state.onChange(render);
  render();
  return badge;
}
