/**
 * SVG geometry for the panel's small charts (no chart library): series become
 * path strings, categories become bar rectangles. Pure, so it is tested in Node.
 */

export interface Box {
  width: number;
  height: number;
  /** Inner margin on every side, so strokes are not clipped. */
  pad: number;
}

export interface SeriesPoint {
  /** Time (ms) or any increasing x value. */
  x: number;
  /** null = no data: the line breaks there. */
  y: number | null;
}

export interface Domain {
  x0: number;
  x1: number;
  yMax: number;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** A round upper bound for an axis: 0 → 1, 7 → 8, 13 → 15, 130 → 150. */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

export function domainOf(points: readonly SeriesPoint[][]): Domain {
  const all = points.flat();
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y ?? 0);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  return { x0, x1: x1 > x0 ? x1 : x0 + 1, yMax: niceMax(ys.length ? Math.max(...ys) : 0) };
}

function project(point: { x: number; y: number }, box: Box, domain: Domain): [number, number] {
  const w = box.width - 2 * box.pad;
  const h = box.height - 2 * box.pad;
  const x = box.pad + ((point.x - domain.x0) / (domain.x1 - domain.x0)) * w;
  const y = box.pad + h - (Math.min(point.y, domain.yMax) / domain.yMax) * h;
  return [round(x), round(y)];
}

/** Runs of consecutive points with data. */
function segments(points: readonly SeriesPoint[]): { x: number; y: number }[][] {
  const runs: { x: number; y: number }[][] = [];
  let current: { x: number; y: number }[] = [];
  for (const point of points) {
    if (point.y === null || !Number.isFinite(point.y)) {
      if (current.length) runs.push(current);
      current = [];
    } else {
      current.push({ x: point.x, y: point.y });
    }
  }
  if (current.length) runs.push(current);
  return runs;
}

/** "M x y L x y …" per run of data; a lone point becomes a short dash so it stays visible. */
export function linePath(points: readonly SeriesPoint[], box: Box, domain: Domain): string {
  return segments(points)
    .map((run) => {
      const coords = run.map((p) => project(p, box, domain));
      if (coords.length === 1) {
        const [x, y] = coords[0]!;
        return `M${x} ${y}h1`;
      }
      return coords.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x} ${y}`).join('');
    })
    .join('');
}

/** The line closed down to the baseline, for a filled area under it. */
export function areaPath(points: readonly SeriesPoint[], box: Box, domain: Domain): string {
  const base = round(box.height - box.pad);
  return segments(points)
    .map((run) => {
      const coords = run.map((p) => project(p, box, domain));
      const first = coords[0]!;
      const last = coords[coords.length - 1]!;
      const line = coords.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x} ${y}`).join('');
      return `${line}L${last[0]} ${base}L${first[0]} ${base}Z`;
    })
    .join('');
}

/** A sparkline over evenly spaced values (e.g. health check latencies). */
export function sparkPath(values: readonly (number | null)[], box: Box, yMax?: number): string {
  const points = values.map((y, x) => ({ x, y }));
  const domain = domainOf([points]);
  return linePath(points, box, { x0: 0, x1: Math.max(1, values.length - 1), yMax: yMax ?? domain.yMax });
}

export interface Bar {
  label: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Horizontal bars, one row per category, scaled to the largest value (or `max`). */
export function barLayout(items: readonly (readonly [string, number])[], box: Box, max?: number): Bar[] {
  if (items.length === 0) return [];
  const top = max ?? niceMax(Math.max(...items.map(([, v]) => v)));
  const rowHeight = (box.height - 2 * box.pad) / items.length;
  const gap = Math.min(4, rowHeight * 0.25);
  const w = box.width - 2 * box.pad;
  return items.map(([label, value], i) => ({
    label,
    value,
    x: box.pad,
    y: round(box.pad + i * rowHeight + gap / 2),
    width: round(top > 0 ? (Math.max(0, Math.min(value, top)) / top) * w : 0),
    height: round(rowHeight - gap),
  }));
}

/** A series of ISO-timed samples as chart points. */
export function toPoints<T extends { at: string }>(samples: readonly T[], value: (sample: T) => number | null): SeriesPoint[] {
  return samples
    .map((sample) => ({ x: Date.parse(sample.at), y: value(sample) }))
    .filter((point) => Number.isFinite(point.x))
    .sort((a, b) => a.x - b.x);
}
