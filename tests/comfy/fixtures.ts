/**
 * Reads the recorded ComfyUI 0.8.0 scenarios (tests/fixtures/comfyui-0.8.0) for the comfy client tests.
 * Text frames are returned verbatim (the exact bytes the server sent); binary frames are rebuilt
 * from the recorded header, the verbatim metadata JSON and the recorded payload head.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, '../fixtures/comfyui-0.8.0');
const SCENARIO_DIR = join(FIXTURE_DIR, 'scenarios');

export interface RecordedBinary {
  binary: true;
  event_type: number;
  header: { image_format?: number; image_format_name?: string; metadata_length?: number; metadata?: Record<string, unknown> };
  payload_length: number;
  payload_base64: string;
  payload_image: { mime: string; width: number; height: number };
  frame_length: number;
  frame_head_hex: string;
}

export interface HttpEntry {
  event: 'http';
  label?: string;
  request: { method: string; path: string; body?: unknown };
  response: { status: number; headers: Record<string, string>; body_length: number; body?: unknown };
}

/** One frame a client received, in arrival order: verbatim text, or rebuilt binary bytes. */
export type ReceivedFrame =
  | { kind: 'text'; client: string; text: string; parsed: { type: string; data: Record<string, unknown> } }
  | { kind: 'binary'; client: string; bytes: Uint8Array; recorded: RecordedBinary };

export interface Scenario {
  name: string;
  clients: Record<string, { client_id: string }>;
  timeline: Array<Record<string, unknown>>;
  /** Each timeline line as written in the file (one entry per line). */
  lines: string[];
}

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

export function loadScenario(name: string): Scenario {
  const text = readFileSync(join(SCENARIO_DIR, `${name}.json`), 'utf8');
  const json = JSON.parse(text) as Omit<Scenario, 'lines' | 'name'>;
  const lines = text.split('\n').filter((line) => line.trimStart().startsWith('{"t_ms"'));
  if (lines.length !== json.timeline.length) throw new Error(`${name}: expected one timeline entry per line`);
  return { name, clients: json.clients, timeline: json.timeline, lines };
}

/** The raw value of `"frame": {...}` in a timeline line: the text frame exactly as the server sent it. */
function rawFrame(line: string): string {
  const start = line.indexOf('"frame": ') + '"frame": '.length;
  // The entry is `{..., "frame": <frame>}`: the frame runs to the line's final closing brace.
  const end = line.trimEnd().replace(/,$/, '').lastIndexOf('}');
  return line.slice(start, end);
}

function buildBinary(line: string, recorded: RecordedBinary): Uint8Array {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(recorded.event_type, 0);
  let metadata = Buffer.alloc(0);
  if (recorded.event_type === 4) {
    const match = /"metadata": (\{[^}]*\})/.exec(line);
    if (!match?.[1]) throw new Error('type-4 frame without verbatim metadata');
    metadata = Buffer.from(match[1], 'utf8');
    head.writeUInt32BE(metadata.byteLength, 4);
  } else {
    head.writeUInt32BE(recorded.header.image_format ?? 0, 4);
  }
  // Only the first 256 payload bytes were recorded; the rest is padded to the recorded length.
  const payload = Buffer.alloc(recorded.payload_length);
  Buffer.from(recorded.payload_base64, 'base64').copy(payload);
  return new Uint8Array(Buffer.concat([head, metadata, payload]));
}

export function receivedFrames(scenario: Scenario, client?: string): ReceivedFrame[] {
  const frames: ReceivedFrame[] = [];
  scenario.timeline.forEach((entry, index) => {
    if (entry['event'] !== 'recv') return;
    const who = String(entry['client']);
    if (client !== undefined && who !== client) return;
    const frame = entry['frame'] as Record<string, unknown>;
    const line = scenario.lines[index] ?? '';
    if (frame['binary'] === true) {
      const recorded = frame as unknown as RecordedBinary;
      frames.push({ kind: 'binary', client: who, bytes: buildBinary(line, recorded), recorded });
    } else {
      const text = rawFrame(line);
      frames.push({ kind: 'text', client: who, text, parsed: JSON.parse(text) });
    }
  });
  return frames;
}

export function httpEntries(scenario: Scenario): HttpEntry[] {
  return scenario.timeline.filter((entry) => entry['event'] === 'http') as unknown as HttpEntry[];
}

/** The prompt id the server answered the first accepted POST /prompt with. */
export function submittedPromptId(scenario: Scenario): string {
  const post = httpEntries(scenario).find((e) => e.request.method === 'POST' && e.request.path === '/prompt' && e.response.status === 200);
  const body = post?.response.body as { prompt_id?: string } | undefined;
  if (!body?.prompt_id) throw new Error(`${scenario.name}: no accepted POST /prompt`);
  return body.prompt_id;
}
