/** A ComfyHost that records what the extension does to the frontend, for unit tests without a browser. */
import type { ApiOverrides, ComfyHost, HostEventFilter, QueueFlavour, SidebarTab } from '../../extension/src/comfy-adapter.ts';
import type { ApiEvent } from '../../extension/src/dispatcher.ts';

export class PromptError extends Error {
  readonly response: unknown;
  readonly status: number | undefined;
  constructor(response: unknown, status?: number) {
    super('Prompt execution failed');
    this.response = response;
    this.status = status;
  }
}

export class FakeHost implements ComfyHost {
  dispatched: ApiEvent[] = [];
  toasts: { severity?: string; summary?: string; detail?: string }[] = [];
  filter: HostEventFilter | null = null;
  installed: Partial<ApiOverrides> = {};
  flavour: QueueFlavour = 'jobs';
  workflowName: string | undefined = 'my workflow.json';

  fileURL(route: string): string {
    return `/user/user01${route}`;
  }
  override(overrides: Partial<ApiOverrides>): Partial<ApiOverrides> {
    this.installed = overrides;
    return {};
  }
  async queueFlavour(): Promise<QueueFlavour> {
    return this.flavour;
  }
  promptError(body: unknown, status?: number): unknown {
    return new PromptError(body, status);
  }
  dispatch(event: ApiEvent): void {
    this.dispatched.push(event);
  }
  filterHostEvents(filter: HostEventFilter): void {
    this.filter = filter;
  }
  activeWorkflowName(): string | undefined {
    return this.workflowName;
  }
  toast(message: { severity?: string; summary?: string; detail?: string }): void {
    this.toasts.push(message);
  }
  registerSidebarTab(_tab: SidebarTab): boolean {
    return false;
  }
  topBarSlot(): HTMLElement | null {
    return null;
  }
  registerExtension(): void {}

  /** What the frontend's own socket would end up dispatching for a host event. */
  hostEvent(type: string, detail: unknown): { detail: unknown } | null {
    return this.filter ? this.filter(type, detail) : { detail };
  }

  types(): string[] {
    return this.dispatched.map((event) => event.type);
  }
}
