/**
 * Keeps the store in step with the server: checks the session, opens the
 * events socket, loads what the stream does not carry (workers, seats,
 * scheduler caps, stats) and refreshes the slow-moving parts on a timer.
 */
import { ApiError, api } from './api.ts';
import { toast } from './actions.ts';
import { EventsConnection } from './events-socket.ts';
import { store } from './store.ts';

const SEATS_EVERY_MS = 10_000;
const STATS_EVERY_MS = 30_000;
/** A burst of job events refreshes the seat counts once. */
const SEAT_REFRESH_DEBOUNCE_MS = 800;

let timers: ReturnType<typeof setInterval>[] = [];
let seatRefresh: ReturnType<typeof setTimeout> | null = null;

const quietly = async (load: () => Promise<void>): Promise<void> => {
  try {
    await load();
  } catch (error) {
    // Loads repeat on a timer and after every reconnect; only a lost session needs the user.
    if (error instanceof ApiError && error.status === 401) signedOut();
  }
};

export const loadWorkers = () =>
  quietly(async () => store.dispatch({ type: 'workers.loaded', workers: (await api.workers()).workers }));
export const loadSeats = () => quietly(async () => store.dispatch({ type: 'seats.loaded', seats: (await api.seats()).seats }));
export const loadStats = () => quietly(async () => store.dispatch({ type: 'stats.loaded', stats: await api.stats() }));
const loadScheduler = () => quietly(async () => store.dispatch({ type: 'scheduler.loaded', scheduler: await api.scheduler() }));
const loadAnnouncements = () =>
  quietly(async () =>
    store.dispatch({ type: 'announcements.loaded', announcements: (await api.announcements()).announcements }),
  );
const loadJobs = () =>
  quietly(async () => {
    const [active, recent] = await Promise.all([
      api.jobs({ state: 'queued,dispatching,running', limit: 500 }),
      api.jobs({ state: 'succeeded,failed,cancelled', limit: 50 }),
    ]);
    store.dispatch({ type: 'jobs.loaded', jobs: [...active.jobs, ...recent.jobs] });
  });

function loadAll(): void {
  void Promise.all([loadWorkers(), loadSeats(), loadScheduler(), loadAnnouncements(), loadStats(), loadJobs()]);
}

const connection = new EventsConnection(store, {
  onFresh: loadAll,
  onJobChange() {
    if (seatRefresh) return;
    seatRefresh = setTimeout(() => {
      seatRefresh = null;
      void loadSeats();
    }, SEAT_REFRESH_DEBOUNCE_MS);
  },
  async stillAuthorised() {
    let authorised: boolean;
    try {
      authorised = (await api.session()).role === 'admin';
    } catch (error) {
      // A server that is down says nothing about the session: keep retrying.
      authorised = !(error instanceof ApiError && error.status === 401);
    }
    if (!authorised) store.dispatch({ type: 'session', auth: 'anonymous' });
    return authorised;
  },
});

function signedIn(): void {
  store.dispatch({ type: 'session', auth: 'admin' });
  connection.start();
  timers.forEach(clearInterval);
  timers = [setInterval(loadSeats, SEATS_EVERY_MS), setInterval(loadStats, STATS_EVERY_MS)];
}

function signedOut(): void {
  connection.stop();
  timers.forEach(clearInterval);
  timers = [];
  store.dispatch({ type: 'session', auth: 'anonymous' });
}

/** Reconnects everything when any call finds the session gone. */
store.subscribe((state, previous) => {
  if (previous.auth === 'admin' && state.auth === 'anonymous') signedOut();
});

export async function boot(): Promise<void> {
  try {
    const session = await api.session();
    if (session.role === 'admin') signedIn();
    else signedOut();
  } catch {
    signedOut();
  }
}

/** Resolves null when the password was right, else the server's words for what went wrong. */
export async function login(password: string): Promise<string | null> {
  try {
    await api.login(password);
    signedIn();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch (error) {
    toast('error', `Signing out failed: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  signedOut();
}

export const reconnectNow = (): void => connection.retryNow();
export const refreshStats = loadStats;
