/**
 * POST /prompt validation, ported from ComfyUI's execution.validate_prompt / validate_inputs so that
 * the same prompt gets the same error types, messages, details and node_errors. Like ComfyUI it
 * converts widget values in place (an INT input sent as "64" is stored as 64).
 */
import { type InputDef, type NodeCatalog, comboOptions } from './object-info.ts';
import { pyFloatOf, pyIntOf } from './py-convert.ts';
import { missingClassError, unknownClassError } from './prompt-errors.ts';
import { isPlainObject, isPyInt, isPyNumber, orderedKeys, pyEquals, pyRepr, pyStr, pyTruthy, pyTypeName, toNumber } from './py-json.ts';

export type ProtocolVersion = '0.8.0' | '0.38.1';

export interface ErrorInfo {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeError {
  errors: ErrorInfo[];
  dependent_outputs: string[];
  class_type: unknown;
}

export type ValidationOutcome =
  | { ok: true; outputs: string[]; nodeErrors: Map<string, NodeError> }
  | { ok: false; error: ErrorInfo; nodeErrors: Map<string, NodeError> };

/** A Python exception raised while validating: ComfyUI reports it instead of crashing. */
class PyException extends Error {
  readonly pyType: string;
  readonly frames: string[];
  constructor(pyType: string, message: string, frames: string[]) {
    super(message);
    this.pyType = pyType;
    this.frames = frames;
  }
}

/** Thrown when real ComfyUI would answer 500 (the request handler itself raised). */
export class ServerCrash extends Error {}

/** Custom validators of core loader nodes (VALIDATE_INPUTS): input name -> error text or true. */
const FILE_VALIDATORS: Record<string, { input: string; what: string }> = {
  LoadImage: { input: 'image', what: 'image' },
  LoadImageMask: { input: 'image', what: 'image' },
  LoadVideo: { input: 'file', what: 'video' },
  LoadAudio: { input: 'audio', what: 'audio' },
};

export interface ValidationContext {
  catalog: NodeCatalog;
  version: ProtocolVersion;
  /** `folder_paths.exists_annotated_filepath`: does an input file (maybe "sub/x.png" or "x.png [output]") exist. */
  inputFileExists(name: string): boolean;
  /** Path of the simulated ComfyUI checkout, shown in tracebacks. */
  root: string;
}

function frame(ctx: ValidationContext, line: number, fn: string, code: string, marker?: string): string {
  return `  File "${ctx.root}/execution.py", line ${line}, in ${fn}\n    ${code}\n${marker === undefined ? '' : `${marker}\n`}`;
}

const VALIDATE_PROMPT_FRAME = (ctx: ValidationContext) =>
  frame(
    ctx,
    1043,
    'validate_prompt',
    'm = await validate_inputs(prompt_id, prompt, o, validated)',
    `        ${'^'.repeat(54)}`,
  );
const LINK_LOOKUP_FRAME = (ctx: ValidationContext) =>
  frame(ctx, 818, 'validate_inputs', "o_class_type = prompt[o_id]['class_type']", `                   ${'~'.repeat(6)}${'^'.repeat(6)}`);
const INPUTS_FRAME = (ctx: ValidationContext) =>
  frame(ctx, 790, 'validate_inputs', "inputs = prompt[unique_id]['inputs']", `             ${'~'.repeat(17)}${'^'.repeat(10)}`);
const RECURSION_FRAME = (ctx: ValidationContext) =>
  frame(ctx, 846, 'validate_inputs', 'r = await validate_inputs(prompt_id, prompt, o_id, validated)');

/** `dict[key]` with Python's KeyError when missing. */
function getItem(obj: unknown, key: unknown, frames: string[]): unknown {
  if (isPlainObject(obj) && typeof key === 'string' && Object.hasOwn(obj, key)) return obj[key];
  if (!isPlainObject(obj)) {
    throw new PyException('TypeError', `${pyTypeName(obj)} indices must be integers or slices, not ${pyTypeName(key)}`, frames);
  }
  throw new PyException('KeyError', pyRepr(key), frames);
}

/** ComfyUI's validate_node_input: equal types, "*" on either side, or overlapping comma lists. */
export function typesCompatible(received: unknown, expected: unknown): boolean {
  if (received === '*' || expected === '*') return true;
  if (typeof received !== 'string' || typeof expected !== 'string') return pyEquals(received, expected);
  if (received === expected) return true;
  const a = new Set(received.split(',').map((t) => t.trim()));
  return expected.split(',').some((t) => a.has(t.trim()));
}

type Verdict = [boolean, ErrorInfo[], string];

class Validator {
  private readonly validated = new Map<string, Verdict>();
  private readonly ctx: ValidationContext;
  private readonly prompt: Record<string, unknown>;

  constructor(ctx: ValidationContext, prompt: Record<string, unknown>) {
    this.ctx = ctx;
    this.prompt = prompt;
  }

  results(): Map<string, Verdict> {
    return this.validated;
  }

  set(id: string, verdict: Verdict): void {
    this.validated.set(id, verdict);
  }

  inputs(id: string, visiting: string[] = []): Verdict {
    const known = this.validated.get(id);
    if (known) return known;
    if (visiting.includes(id)) return this.cycle(id, visiting);
    const node = this.prompt[id] as Record<string, unknown>;
    const inputs = getItem(node, 'inputs', [INPUTS_FRAME(this.ctx)]);
    if (!isPlainObject(inputs)) throw new PyException('TypeError', `argument of type '${pyTypeName(inputs)}' is not iterable`, []);
    const classType = node['class_type'] as string;
    const def = this.ctx.catalog.def(classType);
    const custom = FILE_VALIDATORS[classType];
    const errors: ErrorInfo[] = [];
    let valid = true;
    for (const input of def.inputs) {
      const x = input.name;
      if (!Object.hasOwn(inputs, x)) {
        if (input.category === 'required') {
          errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: x, extra_info: { input_name: x } });
        }
        continue;
      }
      const val = inputs[x];
      const info = [input.type, input.extra];
      if (Array.isArray(val)) {
        const linkResult = this.link(id, x, val, input, info, visiting);
        if (linkResult === 'invalid') valid = false;
        else if (linkResult !== null) errors.push(linkResult);
        continue;
      }
      const widgetError = this.widget(inputs, x, input, info, custom?.input === x);
      if (widgetError) errors.push(widgetError);
    }
    if (custom && Object.hasOwn(inputs, custom.input) && !Array.isArray(inputs[custom.input])) {
      const name = inputs[custom.input];
      if (typeof name !== 'string' || !this.ctx.inputFileExists(name)) {
        errors.push({
          type: 'custom_validation_failed',
          message: 'Custom validation failed for node',
          details: `${custom.input} - Invalid ${custom.what} file: ${pyStr(name)}`,
          extra_info: { input_name: custom.input },
        });
      }
    }
    const prior = this.validated.get(id) ?? [true, [], id];
    const merged = [...prior[1], ...errors.filter((e) => !prior[1].includes(e))];
    const verdict: Verdict = [prior[0] && valid && errors.length === 0, merged, id];
    this.validated.set(id, verdict);
    return verdict;
  }

  private cycle(id: string, visiting: string[]): Verdict {
    const path = [...visiting.slice(visiting.indexOf(id)), id];
    const nodes = [...new Set(path)];
    const details = path.map((n) => `${n} (${pyStr((this.prompt[n] as Record<string, unknown>)['class_type'])})`).join(' -> ');
    for (const n of nodes) {
      this.validated.set(n, [
        false,
        [
          {
            type: 'dependency_cycle',
            message: 'Dependency cycle detected',
            details,
            extra_info: { node_id: n, cycle_nodes: nodes },
          },
        ],
        n,
      ]);
    }
    return this.validated.get(id) as Verdict;
  }

  /** Checks one linked input; returns an error, 'invalid' (upstream failed) or null. */
  private link(id: string, x: string, val: unknown[], input: InputDef, info: unknown[], visiting: string[]): ErrorInfo | 'invalid' | null {
    if (val.length !== 2) {
      return {
        type: 'bad_linked_input',
        message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      };
    }
    const [oId, slot] = val;
    const frames = [LINK_LOOKUP_FRAME(this.ctx)];
    const upstream = getItem(this.prompt, oId, frames) as Record<string, unknown>;
    const outputs = this.ctx.catalog.def(upstream['class_type'] as string).outputs;
    if (!isPyInt(slot)) throw new PyException('TypeError', `tuple indices must be integers or slices, not ${pyTypeName(slot)}`, frames);
    const index = Number(slot);
    const received = outputs.at(index);
    if (received === undefined || index >= outputs.length || index < -outputs.length) {
      throw new PyException('IndexError', 'tuple index out of range', frames);
    }
    if (!typesCompatible(received, input.type)) {
      return {
        type: 'return_type_mismatch',
        message: 'Return type mismatch between linked nodes',
        details: `${x}, received_type(${received}) mismatch input_type(${pyStr(input.type)})`,
        extra_info: { input_name: x, input_config: info, received_type: received, linked_node: val },
      };
    }
    const upstreamId = oId as string;
    let verdict: Verdict;
    visiting.push(id);
    try {
      verdict = this.inputs(upstreamId, visiting);
    } catch (ex) {
      if (!(ex instanceof PyException)) throw ex;
      this.validated.set(upstreamId, [
        false,
        [
          {
            type: 'exception_during_inner_validation',
            message: 'Exception when validating inner node',
            details: ex.message,
            extra_info: {
              input_name: x,
              input_config: info,
              exception_message: ex.message,
              exception_type: ex.pyType,
              traceback: [RECURSION_FRAME(this.ctx), ...ex.frames],
              linked_node: val,
            },
          },
        ],
        upstreamId,
      ]);
      return 'invalid';
    } finally {
      visiting.pop();
    }
    return verdict[0] ? null : 'invalid';
  }

  /** Converts and range/list-checks one widget value (mutating the prompt like ComfyUI). */
  private widget(inputs: Record<string, unknown>, x: string, input: InputDef, info: unknown[], customChecked: boolean): ErrorInfo | null {
    let val = inputs[x];
    try {
      if (isPlainObject(val) && Object.hasOwn(val, '__value__')) {
        val = val['__value__'];
        inputs[x] = val;
      }
      if (input.type === 'INT') val = pyIntOf(val);
      else if (input.type === 'FLOAT') val = pyFloatOf(val);
      else if (input.type === 'STRING') val = pyStr(val);
      else if (input.type === 'BOOLEAN') val = pyTruthy(val);
      if (['INT', 'FLOAT', 'STRING', 'BOOLEAN'].includes(input.type as string)) inputs[x] = val;
    } catch (ex) {
      const message = (ex as Error).message;
      return {
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(input.type)} value`,
        details: `${x}, ${pyStr(val)}, ${message}`,
        extra_info: { input_name: x, input_config: info, received_value: val, exception_message: message },
      };
    }
    if (customChecked) return null;
    const min = input.extra['min'];
    const max = input.extra['max'];
    const numeric = isPyNumber(val) || typeof val === 'boolean';
    if (numeric && isPyNumber(min) && compareBig(val, min) < 0) {
      return {
        type: 'value_smaller_than_min',
        message: `Value ${pyStr(val)} smaller than min of ${pyStr(min)}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      };
    }
    if (numeric && isPyNumber(max) && compareBig(val, max) > 0) {
      return {
        type: 'value_bigger_than_max',
        message: `Value ${pyStr(val)} bigger than max of ${pyStr(max)}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      };
    }
    const options = comboOptions(input);
    if (options !== null && !options.some((o) => pyEquals(o, val))) {
      const long = options.length > 20;
      return {
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${x}: ${pyRepr(val)} not in ${long ? `(list of length ${options.length})` : pyRepr(options)}`,
        extra_info: { input_name: x, input_config: long ? null : info, received_value: val },
      };
    }
    return null;
  }
}

/** a > b for numbers that may be bigints (seeds go up to 2^64-1). */
function compareBig(a: unknown, b: unknown): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const toBig = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(toNumber(v))));
    const x = toBig(a);
    const y = toBig(b);
    return x > y ? 1 : x < y ? -1 : 0;
  }
  return Math.sign(toNumber(a) - toNumber(b));
}

/** validate_prompt: decides which outputs run; mutates widget values like ComfyUI does. */
export function validatePrompt(ctx: ValidationContext, prompt: unknown, partialTargets: unknown): ValidationOutcome {
  const noOutputs: ValidationOutcome = {
    ok: false,
    error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
    nodeErrors: new Map(),
  };
  if (!isPlainObject(prompt)) {
    if (prompt === '' || (Array.isArray(prompt) && prompt.length === 0)) return noOutputs;
    throw new ServerCrash('prompt is not a dict');
  }
  const outputs: string[] = [];
  for (const id of orderedKeys(prompt)) {
    const node = prompt[id];
    if (!isPlainObject(node)) {
      if (Array.isArray(node) || (typeof node === 'string' && !node.includes('class_type'))) {
        return { ok: false, error: missingClassError(ctx.version, id, {}), nodeErrors: new Map() };
      }
      throw new ServerCrash('node is not a dict');
    }
    if (!Object.hasOwn(node, 'class_type')) return { ok: false, error: missingClassError(ctx.version, id, node), nodeErrors: new Map() };
    const classType = node['class_type'];
    if (!ctx.catalog.has(classType)) {
      return { ok: false, error: unknownClassError(ctx.version, id, node, classType), nodeErrors: new Map() };
    }
    if (ctx.catalog.def(classType).outputNode && inTargets(partialTargets, id)) outputs.push(id);
  }
  if (outputs.length === 0) return noOutputs;

  const v = new Validator(ctx, prompt);
  const good: string[] = [];
  const failures: [string, ErrorInfo[]][] = [];
  const nodeErrors = new Map<string, NodeError>();
  for (const o of outputs) {
    let verdict: Verdict;
    try {
      verdict = v.inputs(o);
    } catch (ex) {
      if (!(ex instanceof PyException)) throw ex;
      verdict = [
        false,
        [
          {
            type: 'exception_during_validation',
            message: 'Exception when validating node',
            details: ex.message,
            extra_info: { exception_type: ex.pyType, traceback: [VALIDATE_PROMPT_FRAME(ctx), ...ex.frames] },
          },
        ],
        o,
      ];
      v.set(o, verdict);
    }
    if (verdict[0]) {
      good.push(o);
      continue;
    }
    failures.push([o, verdict[1]]);
    // Like ComfyUI, every failed node seen so far (not only this output's) gets this output listed.
    for (const [nodeId, [ok, reasons]] of v.results()) {
      if (ok || reasons.length === 0) continue;
      let entry = nodeErrors.get(nodeId);
      if (!entry) {
        entry = { errors: reasons, dependent_outputs: [], class_type: (prompt[nodeId] as Record<string, unknown>)['class_type'] };
        nodeErrors.set(nodeId, entry);
      }
      entry.dependent_outputs.push(o);
    }
  }
  if (good.length === 0) {
    const details = failures.flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return {
      ok: false,
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} },
      nodeErrors,
    };
  }
  return { ok: true, outputs: good, nodeErrors };
}

function inTargets(targets: unknown, id: string): boolean {
  if (targets === null || targets === undefined) return true;
  if (Array.isArray(targets)) return targets.some((t) => t === id);
  if (typeof targets === 'string') return targets.includes(id);
  if (isPlainObject(targets)) return Object.hasOwn(targets, id);
  throw new ServerCrash('partial_execution_targets is not iterable');
}
