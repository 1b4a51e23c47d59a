/**
 * multipart/form-data (and urlencoded) bodies as aiohttp's request.post() sees them: parts with
 * a filename are files, the rest are text fields; the first occurrence of a name wins on lookup.
 */

export interface FormFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export type FormValue = string | FormFile;

export class Form {
  private readonly fields: [string, FormValue][] = [];
  add(name: string, value: FormValue): void {
    this.fields.push([name, value]);
  }
  get(name: string): FormValue | undefined {
    return this.fields.find(([n]) => n === name)?.[1];
  }
  text(name: string): string | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? v : undefined;
  }
}

export function isFile(v: FormValue | undefined): v is FormFile {
  return typeof v === 'object' && v !== null;
}

function params(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of header.matchAll(re)) {
    const key = (m[1] as string).toLowerCase();
    let value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    if (key.endsWith('*')) {
      const ext = /^[^']*'[^']*'(.*)$/.exec(value);
      try {
        value = decodeURIComponent(ext ? (ext[1] as string) : value);
      } catch {
        // keep the raw value
      }
      out[key.slice(0, -1)] = value;
      continue;
    }
    out[key] ??= value;
  }
  return out;
}

export function parseForm(contentType: string | undefined, body: Buffer): Form {
  const form = new Form();
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) form.add(k, v);
    return form;
  }
  if (type !== 'multipart/form-data') return form;
  const boundary = params(contentType ?? '')['boundary'];
  if (!boundary) return form;
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    let end = next;
    if (body.subarray(end - 2, end).toString() === '\r\n') end -= 2;
    const part = body.subarray(start, end);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const headers: Record<string, string> = {};
      for (const line of part.subarray(0, split).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const disposition = params(`;${(headers['content-disposition'] ?? '').replace(/^[^;]*;?/, '')}`);
      const name = disposition['name'];
      const data = Buffer.from(part.subarray(split + 4));
      if (name !== undefined) {
        if (disposition['filename']) {
          form.add(name, { filename: disposition['filename'], contentType: headers['content-type'] ?? 'application/octet-stream', data });
        } else form.add(name, data.toString('utf8'));
      }
    }
    pos = next;
  }
  return form;
}
