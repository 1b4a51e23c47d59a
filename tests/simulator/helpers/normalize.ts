/**
 * Turns recorded and simulated values into comparable text: ids become tokens (the same token on
 * both sides for a recorded id and the simulator's matching id), timestamps become "<int>",
 * machine paths become "<comfyui>". Everything else — key order, ints vs floats, values — must match.
 */
import { PyFloat, dumps, isPlainObject, orderedEntries, orderedObject } from '../../../lib/simulator/py-json.ts';

const TIMESTAMP_KEYS = new Set(['timestamp', 'create_time', 'execution_start_time', 'execution_end_time']);
/** Lists ComfyUI builds from Python sets: their order follows string hashes, which differ per process. */
const SET_KEYS = new Set(['executed', 'current_outputs']);
const MINTED_SID = /^[0-9a-f]{32}$/;

/** Pairs of ids (prompt ids, user ids) seen on both sides, mapped to shared tokens. */
export class IdMap {
  private readonly recorded = new Map<string, string>();
  private readonly actual = new Map<string, string>();
  /** recorded id -> simulator id, to rewrite requests. */
  readonly toActual = new Map<string, string>();

  pair(recordedId: string, actualId: string, kind: string): void {
    if (this.toActual.has(recordedId)) {
      // A client-chosen id is the same on both sides and may be submitted again.
      if (this.toActual.get(recordedId) === actualId) return;
    }
    const token = `<${kind}:${this.recorded.size}>`;
    this.recorded.set(recordedId, token);
    this.actual.set(actualId, token);
    this.toActual.set(recordedId, actualId);
  }

  token(value: string, side: 'recorded' | 'actual'): string | undefined {
    return (side === 'recorded' ? this.recorded : this.actual).get(value);
  }

  /** Replaces recorded ids in a string (URL paths). */
  rewrite(text: string): string {
    let out = text;
    for (const [rec, act] of this.toActual) out = out.replaceAll(rec, act);
    return out;
  }

  /** Replaces recorded ids that are whole string values (request bodies). */
  rewriteValue(value: unknown): unknown {
    if (typeof value === 'string') return this.toActual.get(value) ?? value;
    if (Array.isArray(value)) return value.map((v) => this.rewriteValue(v));
    if (isPlainObject(value)) return orderedObject(orderedEntries(value).map(([k, v]) => [this.toActual.get(k) ?? k, this.rewriteValue(v)]));
    return value;
  }
}

export interface NormalizeContext {
  ids: IdMap;
  side: 'recorded' | 'actual';
  /** The simulator's data dir: shown as "<comfyui>" like the recording's scrubbed paths. */
  root: string;
  /** Compare only types for these keys (host-dependent values such as RAM sizes). */
  shapeOnlyKeys?: Set<string>;
  /** Compare only types everywhere. */
  shapeOnly?: boolean;
}

function kind(v: unknown): string {
  if (v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v))) return '<float>';
  if (typeof v === 'number' || typeof v === 'bigint') return '<int>';
  if (typeof v === 'string') return '<str>';
  if (typeof v === 'boolean') return '<bool>';
  return '<null>';
}

function normalizeValue(value: unknown, ctx: NormalizeContext, key: string | null, shape: boolean): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalizeValue(v, ctx, null, shape || (key !== null && (ctx.shapeOnlyKeys?.has(key) ?? false))));
    // In shape mode a list is described by the distinct shapes of its items, not their count.
    if (shape || (key !== null && ctx.shapeOnlyKeys?.has(key))) return [...new Set(items.map((v) => dumps(v)))].sort();
    return key !== null && SET_KEYS.has(key) ? items.sort((a, b) => (dumps(a) < dumps(b) ? -1 : 1)) : items;
  }
  if (value instanceof Map || isPlainObject(value)) {
    return orderedObject(
      orderedEntries(value).map(([k, v]) => [
        ctx.ids.token(k, ctx.side) ?? k,
        normalizeValue(v, ctx, k, shape || (ctx.shapeOnlyKeys?.has(k) ?? false)),
      ]),
    );
  }
  if (shape && value !== null) return kind(value);
  if (key !== null && TIMESTAMP_KEYS.has(key) && (typeof value === 'number' || typeof value === 'bigint')) return '<int>';
  if (typeof value === 'string') {
    const token = ctx.ids.token(value, ctx.side);
    if (token) return token;
    if (key === 'sid' && MINTED_SID.test(value)) return '<minted-sid>';
    return ctx.side === 'actual' ? value.replaceAll(ctx.root, '<comfyui>') : value;
  }
  return value;
}

/** Normalized value as Python-style JSON text (so 1 and 1.0 stay different). */
export function normalize(value: unknown, ctx: NormalizeContext): string {
  return dumps(normalizeValue(value, ctx, null, ctx.shapeOnly ?? false));
}
