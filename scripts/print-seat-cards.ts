#!/usr/bin/env node
/**
 * Printable seat cards: one card per seat with its address and access code in
 * large type, to cut out and hand to participants. Reads the table that
 * `comfy-multi seats urls` prints, so codes never pass through anything else.
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';

const HELP = `usage: node scripts/print-seat-cards.ts [FILE] [--title TEXT] > seat-cards.html

Reads the table printed by "comfy-multi seats urls" (from FILE, or from standard input) and
writes a printable HTML page: one card per seat with its address and access code in large
type, eight to an A4 page, to cut out and hand out. Open it in a browser and print it.

  --title TEXT   printed on every card (default "ComfyUI workshop")

Codes are shown by "seats urls" only when they are known: run "comfy-multi seats urls --rotate"
for a table with a fresh code for every seat (the old codes then stop working).
`;

export interface SeatCard {
  seat: string;
  /** The seat's address without the code. */
  url: string;
  code: string | null;
}

/** The lines "user01     https://host/user/user01/?code=…" of `comfy-multi seats urls`; anything else is skipped. */
export function parseSeatTable(table: string): SeatCard[] {
  const cards: SeatCard[] = [];
  for (const line of table.split('\n')) {
    const match = /^\s*(\S+)\s+(https?:\/\/\S+)\s*$/.exec(line);
    if (!match) continue;
    const url = new URL(match[2]!);
    const code = url.searchParams.get('code');
    url.search = '';
    cards.push({ seat: match[1]!, url: url.toString(), code });
  }
  return cards;
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font: 12pt/1.35 system-ui, sans-serif; margin: 0; color: #000; }
.sheet { display: grid; grid-template-columns: 1fr 1fr; gap: 0; }
.card { border: 1px dashed #888; padding: 7mm 6mm; height: 68mm; break-inside: avoid; display: flex; flex-direction: column; gap: 2.5mm; }
.title { font-size: 10pt; color: #444; }
.seat { font-size: 22pt; font-weight: 700; }
.label { font-size: 9pt; color: #444; text-transform: uppercase; letter-spacing: .05em; }
.url { font: 600 13pt/1.2 ui-monospace, monospace; word-break: break-all; }
.code { font: 700 24pt/1.1 ui-monospace, monospace; letter-spacing: .06em; }
.missing { font-size: 12pt; color: #a00; }
.hint { margin-top: auto; font-size: 8.5pt; color: #444; }`;

export function seatCardsHtml(cards: readonly SeatCard[], title: string): string {
  const card = (c: SeatCard): string => `<section class="card">
<div class="title">${escapeHtml(title)}</div>
<div class="seat">Seat ${escapeHtml(c.seat)}</div>
<div><div class="label">Open</div><div class="url">${escapeHtml(c.url)}</div></div>
<div><div class="label">Access code</div>${c.code ? `<div class="code">${escapeHtml(c.code)}</div>` : '<div class="missing">no code known: ask the instructor</div>'}</div>
<div class="hint">Your seat keeps your workflows and outputs. Do not share this card.</div>
</section>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}: seat cards</title>
<style>${STYLE}</style></head>
<body><main class="sheet">
${cards.map(card).join('\n')}
</main></body></html>
`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { title: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void process.stdout.write(HELP);
  const [file, ...extra] = positionals;
  if (extra.length > 0) throw new Error(`one input file at most, got ${positionals.length}`);
  const table = file === undefined || file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  const cards = parseSeatTable(table);
  if (cards.length === 0) throw new Error(`no seat lines in ${file ?? 'the input'}; expected the output of "comfy-multi seats urls"`);
  process.stdout.write(seatCardsHtml(cards, values.title ?? 'ComfyUI workshop'));
  const missing = cards.filter((c) => c.code === null).map((c) => c.seat);
  if (missing.length > 0) {
    process.stderr.write(`print-seat-cards: no code for ${missing.join(', ')}; "comfy-multi seats urls --rotate" issues new codes\n`);
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`print-seat-cards: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
