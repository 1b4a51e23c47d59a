/** The extension's CSS, added to the page once. Colours follow ComfyUI's theme variables where it has them. */
const CSS = `
.cm-badge { display: inline-flex; align-items: center; gap: 6px; padding: 2px 8px; margin: 0 4px; border-radius: 6px;
  font: 12px/20px system-ui, sans-serif; color: var(--input-text, #ddd); background: var(--comfy-input-bg, #222);
  border: 1px solid var(--border-color, #444); white-space: nowrap; }
.cm-badge-floating { position: fixed; top: 8px; right: 8px; z-index: 10000; }
.cm-badge-dot { width: 8px; height: 8px; border-radius: 50%; background: #888; }
.cm-badge[data-state="queued"] .cm-badge-dot { background: #e0a030; }
.cm-badge[data-state="running"] .cm-badge-dot { background: #3fb950; }
.cm-badge[data-state="offline"] .cm-badge-dot { background: #d9534f; }
.cm-badge-eta, .cm-badge-more { opacity: 0.75; }
.cm-badge button, .cm-queue button { font: inherit; cursor: pointer; padding: 0 6px; border-radius: 4px;
  color: inherit; background: transparent; border: 1px solid var(--border-color, #555); }
.cm-queue { padding: 8px; font: 13px system-ui, sans-serif; color: var(--input-text, #ddd); overflow-y: auto; height: 100%; box-sizing: border-box; }
.cm-queue-head { display: flex; justify-content: space-between; align-items: center; margin-bottom: 8px; }
.cm-queue ol { list-style: none; margin: 0; padding: 0; }
.cm-job { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 6px 8px; margin-bottom: 6px; }
.cm-job-line { display: flex; justify-content: space-between; gap: 8px; }
.cm-job-title { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cm-job-times, .cm-job-error { font-size: 12px; opacity: 0.8; }
.cm-job-error { color: #f08080; opacity: 1; }
.cm-job[data-state="failed"] .cm-job-state { color: #f08080; }
.cm-job[data-state="succeeded"] .cm-job-state { color: #3fb950; }
.cm-job-outputs { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.cm-job-outputs img { width: 64px; height: 64px; object-fit: cover; border-radius: 4px; }
.cm-queue-empty { opacity: 0.7; }
`;

export function ensureStyles(doc: Document = document): void {
  if (doc.getElementById('comfy-multi-style')) return;
  const style = doc.createElement('style');
  style.id = 'comfy-multi-style';
  style.textContent = CSS;
  doc.head.append(style);
}
