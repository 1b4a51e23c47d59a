/**
 * ComfyUI's binary WebSocket frames: a big-endian u32 event type, then a payload.
 *
 *   1 PREVIEW_IMAGE                [u32 format: 1 JPEG, 2 PNG][image]
 *   3 TEXT                         [u32 node id length][node id][text]
 *   4 PREVIEW_IMAGE_WITH_METADATA  [u32 metadata length][metadata JSON][image]
 *
 * Type 3 has a prompt-id-prefixed form, but a server uses it only for sockets that
 * declared `supports_progress_text_metadata`, which this client never does.
 */
import { type PreviewMetadata, PreviewMetadataSchema } from './messages.ts';

export const BINARY_EVENT = { PREVIEW_IMAGE: 1, TEXT: 3, PREVIEW_IMAGE_WITH_METADATA: 4 } as const;

const IMAGE_FORMATS: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };
const FORMAT_CODES: Record<string, number> = { 'image/jpeg': 1, 'image/png': 2 };

export type DecodedFrame =
  /** Type 1: no metadata; the receiver has to attribute it to the prompt and node running now. */
  | { kind: 'preview'; eventType: 1; imageType: string; image: Uint8Array }
  | { kind: 'preview'; eventType: 4; imageType: string; image: Uint8Array; metadata: PreviewMetadata }
  | { kind: 'text'; eventType: 3; nodeId: string; text: string }
  | { kind: 'unknown'; eventType: number }
  | { kind: 'invalid'; eventType: number | null; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

function u32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

/** Decodes one binary frame. Malformed frames come back as `kind: 'invalid'`, never as a throw. */
export function decodeBinaryFrame(frame: Uint8Array): DecodedFrame {
  if (frame.byteLength < 8) return { kind: 'invalid', eventType: null, reason: `frame of ${frame.byteLength} bytes is too short` };
  const eventType = u32(frame, 0);
  const word = u32(frame, 4);
  switch (eventType) {
    case BINARY_EVENT.PREVIEW_IMAGE:
      return {
        kind: 'preview',
        eventType,
        imageType: IMAGE_FORMATS[word] ?? 'application/octet-stream',
        image: frame.subarray(8),
      };
    case BINARY_EVENT.PREVIEW_IMAGE_WITH_METADATA: {
      if (8 + word > frame.byteLength) {
        return { kind: 'invalid', eventType, reason: `metadata length ${word} exceeds the frame` };
      }
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(frame.subarray(8, 8 + word)));
      } catch {
        return { kind: 'invalid', eventType, reason: 'preview metadata is not JSON' };
      }
      const metadata = PreviewMetadataSchema.safeParse(json);
      if (!metadata.success) return { kind: 'invalid', eventType, reason: 'preview metadata lacks node_id/prompt_id/image_type' };
      return {
        kind: 'preview',
        eventType,
        imageType: metadata.data.image_type,
        image: frame.subarray(8 + word),
        metadata: metadata.data,
      };
    }
    case BINARY_EVENT.TEXT: {
      if (8 + word > frame.byteLength) return { kind: 'invalid', eventType, reason: `node id length ${word} exceeds the frame` };
      return {
        kind: 'text',
        eventType,
        nodeId: decoder.decode(frame.subarray(8, 8 + word)),
        text: decoder.decode(frame.subarray(8 + word)),
      };
    }
    default:
      return { kind: 'unknown', eventType };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function u32Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, false);
  return bytes;
}

/** A type-1 frame, as cores send to sockets that did not declare `supports_preview_metadata`. */
export function encodePreviewFrame(image: Uint8Array, imageType: 'image/jpeg' | 'image/png'): Uint8Array {
  return concat([u32Bytes(BINARY_EVENT.PREVIEW_IMAGE), u32Bytes(FORMAT_CODES[imageType] ?? 1), image]);
}

/**
 * A type-4 frame. `metadataJson` may be given verbatim (e.g. Python's `", "` spacing);
 * otherwise the metadata is serialised with JSON.stringify.
 */
export function encodePreviewWithMetadataFrame(
  metadata: PreviewMetadata,
  image: Uint8Array,
  metadataJson: string = JSON.stringify(metadata),
): Uint8Array {
  const json = encoder.encode(metadataJson);
  return concat([u32Bytes(BINARY_EVENT.PREVIEW_IMAGE_WITH_METADATA), u32Bytes(json.byteLength), json, image]);
}

/** A type-3 frame in the form cores send without text metadata. */
export function encodeTextFrame(nodeId: string, text: string): Uint8Array {
  const node = encoder.encode(nodeId);
  return concat([u32Bytes(BINARY_EVENT.TEXT), u32Bytes(node.byteLength), node, encoder.encode(text)]);
}
