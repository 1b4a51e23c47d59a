/** Light, dark, or follow the system (prefers-color-scheme); the choice is remembered. */
import { html, LitElement } from 'lit';
import { base } from './styles.ts';

type Theme = 'auto' | 'light' | 'dark';
const KEY = 'comfy-multi.admin.theme';
const NEXT: Record<Theme, Theme> = { auto: 'light', light: 'dark', dark: 'auto' };
const LABEL: Record<Theme, string> = { auto: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

function stored(): Theme {
  const value = globalThis.localStorage?.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'auto';
}

function apply(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset['theme'];
  else document.documentElement.dataset['theme'] = theme;
}

export class CmThemeToggle extends LitElement {
  static override properties = { theme: { state: true } };
  static override styles = [base];
  declare theme: Theme;

  constructor() {
    super();
    this.theme = stored();
    apply(this.theme);
  }

  #cycle(): void {
    this.theme = NEXT[this.theme];
    apply(this.theme);
    if (this.theme === 'auto') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, this.theme);
  }

  override render() {
    return html`<button type="button" title="Switch between system, light and dark" @click=${() => this.#cycle()}>
      ${LABEL[this.theme]}
    </button>`;
  }
}

customElements.define('cm-theme-toggle', CmThemeToggle);
