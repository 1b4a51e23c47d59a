// ComfyUI's runtime shim for /scripts/api.js. In the "legacy" harness (a frontend before 1.15.4)
// comfyAPI.api has no PromptExecutionError, so this export is undefined like a missing one.
export const api = window.comfyAPI.api.api;
export const ComfyApi = window.comfyAPI.api.ComfyApi;
export const PromptExecutionError = window.comfyAPI.api.PromptExecutionError;
export const UnauthorizedError = window.comfyAPI.api.UnauthorizedError;
