/** How times, sizes and links read in the panel. Pure functions. */

/** 0 → "0s", 65 → "1m 05s", 3725 → "1h 02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Seconds between an ISO time and now (or another ISO time). */
export function secondsSince(iso: string | null, now: number, until?: string | null): number | null {
  if (!iso) return null;
  const start = Date.parse(iso);
  const end = until ? Date.parse(until) : now;
  if (!Number.isFinite(start) || !Number.isFinite(end)) return null;
  return Math.max(0, (end - start) / 1000);
}

/**
 * The ETA as a range "starts in A, done in B" — or honest when the server has
 * no run-time history for this workflow yet.
 */
export function formatEta(etaStart: number | null, eta: number | null): string {
  if (eta === null) return 'no history yet';
  if (etaStart === null || Math.round(etaStart) === Math.round(eta)) return `~${formatDuration(eta)}`;
  return `${formatDuration(etaStart)}–${formatDuration(eta)}`;
}

/** "just now", "5m ago", "2h ago", or "never". */
export function formatAgo(iso: string | null, now: number): string {
  const seconds = secondsSince(iso, now);
  if (seconds === null) return 'never';
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatPercent(fraction: number | null): string {
  return fraction === null ? '–' : `${Math.round(fraction * 100)}%`;
}

/** The seat's link carrying its access code, absolute against the panel's origin. */
export function linkWithCode(url: string, code: string | null, origin: string): string {
  const link = new URL(url, origin);
  if (code && !link.searchParams.has('code')) link.searchParams.set('code', code);
  return link.toString();
}

export function policyLabel(policy: string): string {
  if (policy === 'fifo') return 'First come, first served';
  if (policy === 'round_robin') return 'Round robin (fair share)';
  if (policy === 'priority') return 'Priority classes';
  return policy;
}
