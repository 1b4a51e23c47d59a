/**
 * Reading ComfyUI's /object_info input specs, which come in two shapes:
 * the old `[[choice, …], {config}]` combo and the newer `["COMBO", {options: […], …}]`.
 */

export type NodeInfoMap = Record<string, unknown>;

export interface InputSpec {
  /** 'COMBO' for choice lists, else the declared type (INT, FLOAT, STRING, IMAGE, …). */
  type: string;
  /** The allowed values of a combo. */
  options: unknown[] | null;
  config: Record<string, unknown>;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The spec of one input of a node class, or null when the class does not declare it. */
export function inputSpec(info: NodeInfoMap, classType: string, name: string): InputSpec | null {
  const node = asRecord(info[classType]);
  const input = asRecord(node['input']);
  for (const section of ['required', 'optional'] as const) {
    const spec = asRecord(input[section])[name];
    if (!Array.isArray(spec) || spec.length === 0) continue;
    const config = asRecord(spec[1]);
    if (Array.isArray(spec[0])) return { type: 'COMBO', options: spec[0], config };
    if (spec[0] === 'COMBO') return { type: 'COMBO', options: Array.isArray(config['options']) ? config['options'] : null, config };
    return { type: String(spec[0]), options: null, config };
  }
  return null;
}

/** Inputs whose value names a file the user uploaded (LoadImage, LoadVideo, LoadAudio, Load3D…). */
export function isUploadInput(spec: InputSpec | null): boolean {
  if (!spec) return false;
  return Object.entries(spec.config).some(([key, value]) => key.endsWith('_upload') && value === true);
}

export function isOutputNode(info: NodeInfoMap, classType: string): boolean {
  return asRecord(info[classType])['output_node'] === true;
}

/** `name.png [output]` → {name: 'name.png', folder: 'output'}; no annotation → folder 'input'. */
export function splitAnnotation(value: string): { name: string; folder: 'input' | 'output' | 'temp' } {
  const match = /^(.*) \[(input|output|temp)\]$/.exec(value);
  return match ? { name: match[1]!, folder: match[2] as 'input' | 'output' | 'temp' } : { name: value, folder: 'input' };
}
