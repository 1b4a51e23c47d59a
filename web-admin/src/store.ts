/**
 * The panel's one client store: holds AdminState, applies actions through the
 * pure reducer and tells subscribers. Elements render from `store.state`.
 */
import { type Action, type AdminState, initialState, reduce } from './reducer.ts';

export type Listener = (state: AdminState, previous: AdminState) => void;

export interface Store {
  readonly state: AdminState;
  dispatch(action: Action): void;
  /** Calls the listener after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void;
}

export interface StoreOptions {
  initial?: AdminState;
  /** Frees a preview's object URL once no state refers to it (URL.revokeObjectURL in a browser). */
  releasePreview?: (url: string) => void;
}

export function createStore(options: StoreOptions = {}): Store {
  let state = options.initial ?? initialState();
  const listeners = new Set<Listener>();
  const release = options.releasePreview;
  return {
    get state() {
      return state;
    },
    dispatch(action) {
      const previous = state;
      state = reduce(previous, action);
      if (state === previous) return;
      if (release && state.previews !== previous.previews) {
        const kept = new Set(Object.values(state.previews));
        for (const url of Object.values(previous.previews)) if (!kept.has(url)) release(url);
      }
      for (const listener of [...listeners]) listener(state, previous);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The panel's store; URL.revokeObjectURL exists wherever the panel runs. */
export const store: Store = createStore({
  releasePreview: (url) => globalThis.URL?.revokeObjectURL?.(url),
});
