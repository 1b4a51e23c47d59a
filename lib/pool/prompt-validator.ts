/**
 * Rejects, at submission, prompts no worker could run: unknown node types and
 * model/choice values missing from the workers' /object_info. The error carries
 * ComfyUI's own body (`error` + `node_errors`), so the native UI marks the nodes.
 * Upload inputs (LoadImage…) are left to the input stager: their choices list the
 * worker's own input folder, not the seat's.
 */
import { QueueError } from '../errors.ts';
import { isLink, type Prompt } from '../job.ts';
import { inputSpec, isOutputNode, isUploadInput, type NodeInfoMap } from './object-info.ts';

export interface ComfyNodeErrorEntry {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface ComfyValidationBody {
  error: ComfyNodeErrorEntry;
  node_errors: Record<string, { errors: ComfyNodeErrorEntry[]; dependent_outputs: string[]; class_type: string }>;
}

/** Output nodes that (transitively) consume each node. */
function dependentOutputs(prompt: Prompt, info: NodeInfoMap): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [outputId, node] of Object.entries(prompt)) {
    if (!isOutputNode(info, node.class_type)) continue;
    const seen = new Set<string>();
    const stack = [outputId];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const value of Object.values(prompt[id]?.inputs ?? {})) if (isLink(value)) stack.push(value[0]);
    }
    for (const id of seen) result.set(id, [...(result.get(id) ?? []), outputId]);
  }
  return result;
}

/** Throws `invalid_prompt` with ComfyUI's body in `details` when the prompt cannot run on these workers. */
export function validateAgainstObjectInfo(prompt: Prompt, info: NodeInfoMap): void {
  for (const [id, node] of Object.entries(prompt)) {
    if (info[node.class_type] !== undefined) continue;
    const title = (node as { _meta?: { title?: string } })._meta?.title ?? node.class_type;
    const body: ComfyValidationBody = {
      error: {
        type: 'missing_node_type',
        message: `Cannot execute because node ${node.class_type} does not exist.`,
        details: `Node ID '#${id}'`,
        extra_info: { node_id: id, class_type: node.class_type, node_title: title },
      },
      node_errors: {},
    };
    throw new QueueError('invalid_prompt', `node #${id} uses "${node.class_type}", which no worker has installed`, {
      field: `prompt.${id}.class_type`,
      details: body,
    });
  }

  const nodeErrors: ComfyValidationBody['node_errors'] = {};
  let dependents: Map<string, string[]> | null = null;
  for (const [id, node] of Object.entries(prompt)) {
    for (const [name, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string') continue;
      const spec = inputSpec(info, node.class_type, name);
      if (spec?.type !== 'COMBO' || !spec.options || isUploadInput(spec)) continue;
      if (spec.options.includes(value)) continue;
      dependents ??= dependentOutputs(prompt, info);
      nodeErrors[id] ??= { errors: [], dependent_outputs: dependents.get(id) ?? [], class_type: node.class_type };
      const entry = nodeErrors[id];
      const shown = spec.options.length > 20 ? `${JSON.stringify(spec.options.slice(0, 20)).slice(0, -1)}, …]` : JSON.stringify(spec.options);
      entry.errors.push({
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${name}: '${value}' not in ${shown}`,
        extra_info: { input_name: name, input_config: [spec.options, spec.config], received_value: value },
      });
    }
  }
  const failing = Object.keys(nodeErrors);
  if (failing.length === 0) return;
  const first = nodeErrors[failing[0]!]!;
  throw new QueueError(
    'invalid_prompt',
    `no worker has ${first.errors[0]!.details}${failing.length > 1 ? ` (and ${failing.length - 1} more nodes)` : ''}`,
    {
      field: `prompt.${failing[0]}.inputs.${String(first.errors[0]!.extra_info['input_name'])}`,
      details: {
        error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
        node_errors: nodeErrors,
      } satisfies ComfyValidationBody,
    },
  );
}
