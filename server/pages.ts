/** The few HTML pages the server renders itself: seat login and short notices. No scripts. */

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;background:#1e1e24;color:#eee;display:grid;place-items:center;min-height:90vh;margin:0}
main{background:#2b2b33;padding:2rem 2.5rem;border-radius:12px;max-width:26rem;width:100%}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;box-sizing:border-box;padding:.55rem;border-radius:6px;border:1px solid #555;background:#15151a;color:#eee;font:inherit}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#4a7dff;color:#fff;font:inherit;cursor:pointer}
.error{color:#ff8a8a}code{background:#15151a;padding:.1rem .3rem;border-radius:4px}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function loginPage(options: { seat?: string; next?: string; error?: string }): string {
  const seat = options.seat ?? '';
  return page(
    'comfy-multi: log in',
    `<h1>Log in to your ComfyUI seat</h1>
${options.error ? `<p class="error">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="/login">
<label for="seat">Seat</label><input id="seat" name="seat" value="${escapeHtml(seat)}" autocomplete="username" required>
<label for="code">Access code</label><input id="code" name="code" autocomplete="current-password" ${seat ? 'autofocus' : ''} required>
<input type="hidden" name="next" value="${escapeHtml(options.next ?? '')}">
<button type="submit">Open ComfyUI</button></form>`,
  );
}

export function noticePage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}
