/**
 * Lit glue: re-renders an element when the parts of the store it reads change,
 * and ticks once a second for elements that show running clocks.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AdminState } from '../reducer.ts';
import { store } from '../store.ts';

export class StoreController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #select: (state: AdminState) => readonly unknown[];
  #unsubscribe: (() => void) | null = null;

  /** `select` names the state slices the element renders; other changes do not re-render it. */
  constructor(host: ReactiveControllerHost, select: (state: AdminState) => readonly unknown[]) {
    this.#host = host;
    this.#select = select;
    host.addController(this);
  }

  get state(): AdminState {
    return store.state;
  }

  hostConnected(): void {
    this.#unsubscribe = store.subscribe((state, previous) => {
      const now = this.#select(state);
      const before = this.#select(previous);
      if (now.some((slice, i) => slice !== before[i])) this.#host.requestUpdate();
    });
  }

  hostDisconnected(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }
}

export class TickController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #everyMs: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(host: ReactiveControllerHost, everyMs = 1000) {
    this.#host = host;
    this.#everyMs = everyMs;
    host.addController(this);
  }

  /** The time to render with: current at every render, whatever caused it. */
  get now(): number {
    return Date.now();
  }

  hostConnected(): void {
    this.#timer = setInterval(() => this.#host.requestUpdate(), this.#everyMs);
  }

  hostDisconnected(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
