/**
 * Python's int() and float() on JSON values, with the messages ComfyUI puts into
 * invalid_input_type errors ("invalid literal for int() with base 10: 'wide'").
 */
import { PyFloat, isPyInt, isPyNumber, pyFloat, pyRepr, pyTypeName, toNumber } from './py-json.ts';

export function pyIntOf(val: unknown): number | bigint {
  if (typeof val === 'boolean') return val ? 1 : 0;
  if (isPyInt(val)) return val;
  if (isPyNumber(val)) {
    const n = toNumber(val);
    if (Number.isNaN(n)) throw new Error('cannot convert float NaN to integer');
    if (!Number.isFinite(n)) throw new Error('cannot convert float infinity to integer');
    return Math.trunc(n);
  }
  if (typeof val === 'string') {
    const t = val.trim();
    if (/^[+-]?\d+(?:_\d+)*$/.test(t)) {
      const clean = t.replaceAll('_', '');
      const n = Number(clean);
      return Number.isSafeInteger(n) ? n : BigInt(clean);
    }
    throw new Error(`invalid literal for int() with base 10: ${pyRepr(val)}`);
  }
  throw new Error(`int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(val)}'`);
}

export function pyFloatOf(val: unknown): number | PyFloat {
  if (typeof val === 'boolean') return new PyFloat(val ? 1 : 0);
  if (isPyNumber(val)) return pyFloat(toNumber(val));
  if (typeof val === 'string') {
    const t = val.trim().toLowerCase();
    if (/^[+-]?(?:inf|infinity)$/.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (/^[+-]?nan$/.test(t)) return Number.NaN;
    if (/^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:e[+-]?\d+(?:_\d+)*)?$/.test(t)) {
      return pyFloat(Number(t.replaceAll('_', '')));
    }
    throw new Error(`could not convert string to float: ${pyRepr(val)}`);
  }
  throw new Error(`float() argument must be a string or a real number, not '${pyTypeName(val)}'`);
}
