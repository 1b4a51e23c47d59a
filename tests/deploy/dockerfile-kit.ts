/**
 * A small Dockerfile reader for lint checks (hadolint is not packaged for Debian 12):
 * continuation lines joined, comments and parser directives dropped, instructions split
 * into build stages, and ARG defaults applied to FROM lines.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined with single spaces. */
  args: string;
  line: number;
}

export interface Stage {
  /** The image after ARG defaults are filled in, e.g. node:24.22.3-bookworm-slim. */
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  path: string;
  stages: Stage[];
  /** The stage the image is (the last one). */
  final: Stage;
}

export function readDockerfile(path: string): Dockerfile {
  const instructions: Instruction[] = [];
  let current: Instruction | null = null;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line.startsWith('#') || (line === '' && current === null)) return;
      const continues = line.endsWith('\\');
      const text = continues ? line.slice(0, -1).trim() : line;
      if (current) current.args = `${current.args} ${text}`.trim();
      else {
        const [keyword = '', ...rest] = text.split(/\s+/);
        current = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: index + 1 };
      }
      if (!continues) {
        instructions.push(current);
        current = null;
      }
    });
  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      const resolved = image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, arg: string) => globals.get(arg) ?? whole);
      stages.push({ image: resolved, name: as?.toUpperCase() === 'AS' ? (name ?? null) : null, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [arg, value = ''] = instruction.args.split('=');
      globals.set(arg!, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new Error(`${path}: no FROM`);
  return { path, stages, final: stages.at(-1)! };
}

/** The instructions of a stage with this keyword. */
export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** ENV values of a stage (KEY=VALUE pairs, double quotes removed). */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of all(stage, 'ENV')) {
    for (const m of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env.set(m[1]!, m[3] ?? m[2]!);
  }
  return env;
}

/** The JSON array of an exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK … CMD), or null for shell form. */
export function execForm(args: string): string[] | null {
  const start = args.indexOf('[');
  if (start < 0) return null;
  try {
    const parsed = JSON.parse(args.slice(start)) as unknown;
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : null;
  } catch {
    return null;
  }
}
