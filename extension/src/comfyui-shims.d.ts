/**
 * ComfyUI's runtime shims (/scripts/app.js, /scripts/api.js). The sources import them
 * under these virtual names; extension/build.ts rewrites them to the relative URLs
 * `../../scripts/*.js` and leaves them external, as every ComfyUI extension does.
 * PromptExecutionError is optional: frontends before 1.15.4 do not export it.
 */
declare module 'comfyui:scripts/app.js' {
  import type { ComfyApp } from '@comfyorg/comfyui-frontend-types';
  export const app: ComfyApp;
}

declare module 'comfyui:scripts/api.js' {
  import type { ComfyApi } from '@comfyorg/comfyui-frontend-types';
  export const api: ComfyApi;
  export const PromptExecutionError: (new (response: unknown, status?: number) => Error) | undefined;
}
