/**
 * JSON exactly as ComfyUI's Python server reads and writes it.
 *
 * Python keeps what JavaScript loses: `1.0` stays a float, integers beyond 2^53 stay exact and
 * dict keys keep insertion order even when they look like array indices ("10" before "9").
 * `parseJson` preserves all three (PyFloat, bigint, a recorded key order) and `dumps` prints
 * them back the way `json.dumps` does (", " / ": " separators, ASCII-only output, Python float repr).
 */

/** A float whose value happens to be integral: Python prints it as `1.0`, JavaScript would print `1`. */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
}

/** A Python float: integral values are wrapped so they keep their `.0`. */
export function pyFloat(value: number): number | PyFloat {
  return Number.isInteger(value) || Object.is(value, -0) ? new PyFloat(value) : value;
}

/** The numeric value of an int, float or bigint; NaN for anything else. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return Number(value);
  return Number.NaN;
}

export function isPyNumber(value: unknown): value is number | PyFloat | bigint {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof PyFloat;
}

/** True when Python would see an `int` (bool excluded). */
export function isPyInt(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

// Parsed objects whose insertion order differs from JavaScript's own key order remember it here.
const KEY_ORDER = new WeakMap<object, string[]>();

/** The keys of a parsed (or plain) object in the order Python would iterate them. */
export function orderedKeys(obj: object): string[] {
  const natural = Object.keys(obj);
  const recorded = KEY_ORDER.get(obj);
  if (recorded === undefined) return natural;
  const present = new Set(natural);
  const out = recorded.filter((k) => present.has(k));
  if (out.length !== natural.length) {
    const seen = new Set(out);
    for (const k of natural) if (!seen.has(k)) out.push(k);
  }
  return out;
}

/** Entries of a Map or object in Python iteration order. */
export function orderedEntries(value: object): [string, unknown][] {
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [String(k), v]);
  const rec = value as Record<string, unknown>;
  return orderedKeys(value).map((k) => [k, rec[k]]);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    !(value instanceof PyFloat) &&
    !ArrayBuffer.isView(value)
  );
}

/** `repr(float)` of CPython: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function floatRepr(v: number, jsonStyle = true): string {
  if (Number.isNaN(v)) return jsonStyle ? 'NaN' : 'nan';
  if (v === Number.POSITIVE_INFINITY) return jsonStyle ? 'Infinity' : 'inf';
  if (v === Number.NEGATIVE_INFINITY) return jsonStyle ? '-Infinity' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function intText(v: number): string {
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A JSON string literal as Python's `json.dumps` (ensure_ascii=True) writes it. */
export function quoteString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    const ch = s[i] as string;
    out += SHORT_ESCAPES[ch] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/** `json.dumps(value)` with Python's defaults. Maps serialize as dicts; undefined object members are skipped. */
export function dumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isInteger(value) ? intText(value) : floatRepr(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => dumps(v)).join(', ')}]`;
  }
  const parts: string[] = [];
  for (const [k, v] of orderedEntries(value)) {
    if (v === undefined) continue;
    parts.push(`${quoteString(k)}: ${dumps(v)}`);
  }
  return parts.length === 0 ? '{}' : `{${parts.join(', ')}}`;
}

/** Parses JSON like Python's `json.loads` (NaN/Infinity accepted), keeping float-ness, big ints and key order. */
export function parseJson(text: string): unknown {
  const p = new Parser(text);
  p.ws();
  const value = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('Extra data');
  return value;
}

class Parser {
  readonly s: string;
  i = 0;
  constructor(s: string) {
    this.s = s;
  }
  fail(msg: string): never {
    throw new SyntaxError(`${msg}: char ${this.i}`);
  }
  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }
  value(): unknown {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (this.s.startsWith('true', this.i)) return this.literal('true', true);
    if (this.s.startsWith('false', this.i)) return this.literal('false', false);
    if (this.s.startsWith('null', this.i)) return this.literal('null', null);
    if (this.s.startsWith('NaN', this.i)) return this.literal('NaN', Number.NaN);
    if (this.s.startsWith('Infinity', this.i)) return this.literal('Infinity', Number.POSITIVE_INFINITY);
    if (this.s.startsWith('-Infinity', this.i)) return this.literal('-Infinity', Number.NEGATIVE_INFINITY);
    return this.number();
  }
  literal<T>(word: string, v: T): T {
    this.i += word.length;
    return v;
  }
  number(): number | bigint | PyFloat {
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const match = m.exec(this.s);
    if (match === null) this.fail('Expecting value');
    const text = match[0];
    this.i += text.length;
    const v = Number(text);
    if (match[1] !== undefined || match[2] !== undefined) return pyFloat(v);
    return Number.isSafeInteger(v) ? v : BigInt(text);
  }
  string(): string {
    const s = this.s;
    this.i++;
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('Unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('Invalid control character');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(start, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      if (e === 'u') {
        const hex = s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Invalid \\uXXXX escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 4;
      } else {
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        const r = e === undefined ? undefined : simple[e];
        if (r === undefined) this.fail('Invalid \\escape');
        out += r;
      }
      start = this.i;
    }
  }
  array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("Expecting ',' delimiter");
    }
  }
  object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    const order: string[] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('Expecting property name enclosed in double quotes');
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail("Expecting ':' delimiter");
      this.ws();
      const v = this.value();
      if (!Object.hasOwn(out, key)) order.push(key);
      // defineProperty keeps a "__proto__" key an ordinary member.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') break;
      if (c !== ',') this.fail("Expecting ',' delimiter");
    }
    const natural = Object.keys(out);
    if (natural.some((k, idx) => k !== order[idx])) KEY_ORDER.set(out, order);
    return out;
  }
}

/** Builds an object that serializes its keys in the given order (for server-built dicts keyed by ids). */
export function orderedObject(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const order: string[] = [];
  for (const [k, v] of entries) {
    if (!Object.hasOwn(out, k)) order.push(k);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  KEY_ORDER.set(out, order);
  return out;
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` for JSON-like values (used in validation messages). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return reprString(value);
  if (typeof value === 'number') return Number.isInteger(value) ? intText(value) : floatRepr(value, false);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat) return floatRepr(value.value, false);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v)).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${orderedEntries(value)
      .map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Python's `str()` for JSON-like values. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's type name of a JSON-like value, as used in error messages. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  if (isPyInt(value)) return 'int';
  if (isPyNumber(value)) return 'float';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** Python truthiness. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (isPyNumber(value)) return toNumber(value) !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Python `==` between JSON-like scalars (1 == 1.0, True == 1). */
export function pyEquals(a: unknown, b: unknown): boolean {
  const an = typeof a === 'boolean' ? Number(a) : a;
  const bn = typeof b === 'boolean' ? Number(b) : b;
  if (isPyNumber(an) && isPyNumber(bn)) {
    if (typeof an === 'bigint' || typeof bn === 'bigint') {
      const big = (v: number | bigint | PyFloat): bigint | null =>
        typeof v === 'bigint' ? v : Number.isInteger(toNumber(v)) ? BigInt(toNumber(v)) : null;
      const x = big(an);
      return x !== null && x === big(bn);
    }
    return toNumber(an) === toNumber(bn);
  }
  if (Array.isArray(an) && Array.isArray(bn)) return an.length === bn.length && an.every((v, i) => pyEquals(v, bn[i]));
  return an === bn;
}
