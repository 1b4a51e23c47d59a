#!/usr/bin/env node
/**
 * After the workshop: every seat's outputs as one zip per seat, in a dated
 * folder, ready to hand back to each participant. Either straight from the
 * data folder (on the server) or through the server's admin API (from anywhere).
 * The zips hold the same entries as a participant's own outputs.zip.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { OutputStore, writeAtomically } from '../lib/outputs/output-store.ts';
import { zipStream } from '../server/zip.ts';

const PASSWORD_ENV = 'COMFY_MULTI_ADMIN_PASSWORD';

const HELP = `usage: node scripts/export-outputs.ts --data DIR [--out DIR] [--seat SEAT]...
       node scripts/export-outputs.ts --url URL [--out DIR] [--seat SEAT]...

Writes every seat's output files as one zip per seat: OUT/outputs-YYYY-MM-DD/<seat>.zip
(OUT defaults to ./exports). Seats without outputs get no zip. Inside a zip the files are in
<job id>/<worker>/<file>, as in the participant's own outputs.zip. Running it again the same
day replaces that day's zips.

  --data DIR   read comfy-multi's data folder directly (data_dir in comfy-multi.yaml)
  --url URL    download through the server as the instructor, e.g. https://gpu.example.org;
               the admin password comes from ${PASSWORD_ENV}
  --seat SEAT  only this seat (repeat for several)
`;

export interface ExportResult {
  seat: string;
  file: string;
  bytes: number;
}

/** "2026-11-28" in local time: the folder name of one day's export. */
export function exportFolder(out: string, now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return join(out, `outputs-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`);
}

/** One zip per seat from <data>/outputs/<seat>/, with the server's own listing and zip writer. */
export async function exportFromData(dataDir: string, folder: string, only: readonly string[] = []): Promise<ExportResult[]> {
  const root = join(dataDir, 'outputs');
  let seats: string[];
  try {
    seats = (await readdir(root, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    throw new Error(`${root} does not exist: is ${dataDir} comfy-multi's data folder?`);
  }
  const store = new OutputStore({ root });
  const results: ExportResult[] = [];
  for (const seat of seats.filter((s) => only.length === 0 || only.includes(s)).sort()) {
    const files = await store.listSeat(seat);
    if (files.length === 0) continue;
    const entries = files.map((file) => {
      const slash = file.path.lastIndexOf('/');
      return { name: file.path, path: store.resolve(seat, file.path.slice(0, Math.max(0, slash)), file.path.slice(slash + 1)), size: file.size, mtime: file.mtime };
    });
    await mkdir(folder, { recursive: true });
    const file = join(folder, `${seat}.zip`);
    results.push({ seat, file, bytes: await writeAtomically(file, zipStream(entries)) });
  }
  return results;
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

async function failure(response: Response, what: string): Promise<Error> {
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(`${what}: HTTP ${response.status}${body?.error?.message ? `: ${body.error.message}` : ''}`);
}

/** One zip per seat with outputs, downloaded as the instructor from GET /api/v1/outputs.zip?seat=…. */
export async function exportFromServer(base: string, password: string, folder: string, only: readonly string[] = []): Promise<ExportResult[]> {
  const origin = base.replace(/\/+$/, '');
  const login = await request(`${origin}/api/v1/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  if (!login.ok) throw await failure(login, `admin login at ${origin}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const listing = await request(`${origin}/api/v1/admin/seats`, { headers: { cookie } });
  if (!listing.ok) throw await failure(listing, 'listing the seats');
  const { seats } = (await listing.json()) as { seats: { seat: string; outputs: number }[] };
  const unknown = only.filter((seat) => !seats.some((s) => s.seat === seat));
  if (unknown.length > 0) throw new Error(`no such seat: ${unknown.join(', ')}`);
  const results: ExportResult[] = [];
  for (const { seat, outputs } of seats) {
    if (outputs === 0 || (only.length > 0 && !only.includes(seat))) continue;
    const zip = await request(`${origin}/api/v1/outputs.zip?seat=${encodeURIComponent(seat)}`, { headers: { cookie } });
    if (!zip.ok || !zip.body) throw await failure(zip, `downloading ${seat}'s outputs`);
    await mkdir(folder, { recursive: true });
    const file = join(folder, `${seat}.zip`);
    results.push({ seat, file, bytes: await writeAtomically(file, Readable.fromWeb(zip.body as NodeReadableStream)) });
  }
  return results;
}

const size = (bytes: number): string => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      url: { type: 'string' },
      out: { type: 'string' },
      seat: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if ((values.data === undefined) === (values.url === undefined)) throw new Error(`give either --data DIR or --url URL\n\n${HELP}`);
  const folder = exportFolder(values.out ?? 'exports');
  const only = values.seat ?? [];
  let results: ExportResult[];
  if (values.url !== undefined) {
    const password = process.env[PASSWORD_ENV];
    if (!password) throw new Error(`set ${PASSWORD_ENV} to the admin password first`);
    results = await exportFromServer(values.url, password, folder, only);
  } else {
    results = await exportFromData(values.data!, folder, only);
  }
  for (const result of results) process.stdout.write(`${result.seat.padEnd(10)} ${size(result.bytes).padStart(10)}  ${result.file}\n`);
  process.stdout.write(results.length === 0 ? 'no seat has outputs yet\n' : `${results.length} seat(s) exported to ${folder}\n`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`export-outputs: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
