/** The ComfyUI worker client: drive one ComfyUI over HTTP + WebSocket. */
export { Backoff, type BackoffOptions, backoffDelay } from './backoff.ts';
export {
  BINARY_EVENT,
  type DecodedFrame,
  decodeBinaryFrame,
  encodePreviewFrame,
  encodePreviewWithMetadataFrame,
  encodeTextFrame,
} from './binary-frames.ts';
export { ComfyRequestError } from './comfy-http.ts';
export { ComfyRest, type ComfyRestOptions, type SubmitResult, type UploadOptions } from './comfy-rest.ts';
export {
  ComfyWorkerClient,
  type ComfyWorkerClientEvents,
  type ComfyWorkerClientOptions,
  type SubmitOptions,
} from './comfy-worker-client.ts';
export type {
  ExecutionErrorData,
  ExecutionInterruptedData,
  FileRef,
  HistoryItem,
  JobDetail,
  NodeInfo,
  NodeOutput,
  PreviewMetadata,
  PromptMessage,
  PromptMessageType,
  SystemStats,
  UploadResult,
} from './messages.ts';
export { parseServerMessage } from './messages.ts';
export type { PreviewEvent, TextEvent } from './prompt-tracker.ts';
export type { TerminalResult, TerminalStatus } from './terminal.ts';
