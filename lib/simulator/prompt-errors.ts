/**
 * The prompt-level errors for unknown or untyped nodes, which changed between ComfyUI 0.8.0
 * (invalid_prompt) and newer cores (missing_node_type with the node's id, class and title).
 */
import { isPlainObject, pyStr, pyTruthy } from './py-json.ts';
import type { ErrorInfo, ProtocolVersion } from './validation.ts';

export function missingClassError(version: ProtocolVersion, id: string, node: Record<string, unknown>): ErrorInfo {
  if (version === '0.8.0') {
    return {
      type: 'invalid_prompt',
      message: 'Cannot execute because a node is missing the class_type property.',
      details: `Node ID '#${id}'`,
      extra_info: {},
    };
  }
  const meta = node['_meta'];
  const title = isPlainObject(meta) ? (meta['title'] ?? null) : null;
  return {
    type: 'missing_node_type',
    message: `Node '${pyTruthy(title) ? pyStr(title) : `ID #${id}`}' has no class_type. The workflow may be corrupted or a custom node is missing.`,
    details: `Node ID '#${id}'`,
    extra_info: { node_id: id, class_type: null, node_title: title },
  };
}

export function unknownClassError(version: ProtocolVersion, id: string, node: Record<string, unknown>, classType: unknown): ErrorInfo {
  if (version === '0.8.0') {
    return {
      type: 'invalid_prompt',
      message: `Cannot execute because node ${pyStr(classType)} does not exist.`,
      details: `Node ID '#${id}'`,
      extra_info: {},
    };
  }
  const meta = node['_meta'];
  const title = isPlainObject(meta) && Object.hasOwn(meta, 'title') ? meta['title'] : classType;
  return {
    type: 'missing_node_type',
    message: `Node '${pyStr(title)}' not found. The custom node may not be installed.`,
    details: `Node ID '#${id}'`,
    extra_info: { node_id: id, class_type: classType, node_title: title },
  };
}
