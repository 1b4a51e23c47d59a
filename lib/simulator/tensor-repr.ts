/**
 * `str(tensor)` as PyTorch prints a float32 IMAGE batch: ComfyUI puts exactly this text into
 * `execution_error.current_inputs` (format_value falls back to str()). Reproduces torch's
 * summarisation (more than 1000 elements -> 3 edge items per dimension), its fixed/int/scientific
 * formatter choice and its line layout.
 */
import type { Rgb } from './images.ts';

const EDGE = 3;
const THRESHOLD = 1000;
const LINEWIDTH = 80;
const PRECISION = 4;

interface View {
  shape: number[];
  get(index: number[]): number;
}

function batchView(batch: Rgb[]): View {
  const first = batch[0];
  const h = first?.height ?? 0;
  const w = first?.width ?? 0;
  return {
    shape: [batch.length, h, w, 3],
    get: ([b = 0, y = 0, x = 0, c = 0]) => Math.fround(((batch[b]?.data[(y * w + x) * 3 + c] as number) ?? 0) / 255),
  };
}

/** Indices torch shows along a dimension of the given size. */
function shownIndices(size: number, summarize: boolean): number[] {
  if (summarize && size > 2 * EDGE) return [0, 1, 2, size - 3, size - 2, size - 1];
  return Array.from({ length: size }, (_, i) => i);
}

function collect(view: View, summarize: boolean, dim: number, prefix: number[], out: number[]): void {
  const size = view.shape[dim] as number;
  for (const i of shownIndices(size, summarize)) {
    const idx = [...prefix, i];
    if (dim === view.shape.length - 1) out.push(view.get(idx));
    else collect(view, summarize, dim + 1, idx, out);
  }
}

function pyFixed(v: number, digits: number): string {
  return v.toFixed(digits);
}

function pyExp(v: number): string {
  const [m = '', e = '0'] = v.toExponential(PRECISION).split('e');
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function makeFormatter(values: number[]): (v: number) => string {
  const nonzero = values.filter((v) => Number.isFinite(v) && v !== 0);
  let intMode = true;
  let sciMode = false;
  let width = 1;
  if (nonzero.length > 0) {
    const abs = nonzero.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    intMode = nonzero.every((v) => v === Math.ceil(v));
    if (intMode) {
      sciMode = max / min > 1000 || max > 1e8;
      for (const v of nonzero) width = Math.max(width, sciMode ? pyExp(v).length : pyFixed(v, 0).length + 1);
    } else {
      sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
      for (const v of nonzero) width = Math.max(width, sciMode ? pyExp(v).length : pyFixed(v, PRECISION).length);
    }
  }
  return (v: number) => {
    let s: string;
    if (sciMode) s = pyExp(v);
    else if (intMode) s = `${pyFixed(v, 0)}${Number.isFinite(v) ? '.' : ''}`;
    else s = pyFixed(v, PRECISION);
    return s.padStart(width, ' ');
  };
}

function render(view: View, fmt: (v: number) => string, summarize: boolean, dim: number, prefix: number[], indent: number): string {
  const size = view.shape[dim] as number;
  const ndim = view.shape.length - dim;
  const cut = summarize && size > 2 * EDGE;
  if (ndim === 1) {
    const items = shownIndices(size, summarize).map((i) => fmt(view.get([...prefix, i])));
    if (cut) items.splice(EDGE, 0, ' ...');
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt(0).length + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices = shownIndices(size, summarize).map((i) => render(view, fmt, summarize, dim + 1, [...prefix, i], indent + 1));
  if (cut) slices.splice(EDGE, 0, '...');
  return `[${slices.join(`,${'\n'.repeat(ndim - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** `str(image_tensor)` for a batch of RGB images. */
export function tensorRepr(batch: Rgb[]): string {
  const view = batchView(batch);
  const numel = view.shape.reduce((a, b) => a * b, 1);
  const summarize = numel > THRESHOLD;
  const values: number[] = [];
  collect(view, summarize, 0, [], values);
  const fmt = makeFormatter(values);
  return `tensor(${render(view, fmt, summarize, 0, [], 'tensor('.length)})`;
}
