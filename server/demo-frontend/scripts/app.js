// ComfyUI's runtime shim for /scripts/app.js, as its build emits it (COMFYUI_PROTOCOL.md B.1).
export const app = window.comfyAPI.app.app;
export const ComfyApp = window.comfyAPI.app.ComfyApp;
