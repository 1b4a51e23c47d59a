/** Small numeric and printing helpers shared by the benchmarks. */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/**
 * Jain's fairness index (Σx)² / (n·Σx²): 1 when every party got the same
 * share, 1/n when one party got everything.
 */
export function jain(shares: readonly number[]): number {
  const sum = shares.reduce((total, x) => total + x, 0);
  const squares = shares.reduce((total, x) => total + x * x, 0);
  return squares === 0 ? Number.NaN : (sum * sum) / (shares.length * squares);
}

/** Fixed decimals, with "n/a" for missing values. */
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Milliseconds with a precision that suits their size (sub-ms values keep 3 decimals). */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 1 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(0);
}

export interface Table {
  headers: readonly string[];
  rows: readonly (readonly string[])[];
}

/** A GitHub-flavoured markdown table with padded columns, readable in a terminal too. */
export function markdownTable(table: Table): string {
  const widths = table.headers.map((header, i) => Math.max(header.length, ...table.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(table.headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.rows.map(line)].join('\n');
}
