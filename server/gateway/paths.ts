/**
 * Gateway path hygiene. Anything that could climb out of a folder on the
 * upstream or in our stores ("..", its encodings, backslashes, NUL) is refused
 * before a request goes anywhere. Encoded slashes stay allowed inside one
 * segment because ComfyUI's own userdata routes use them (workflows%2Fa.json),
 * but the decoded parts are checked too.
 */
import { QueueError } from '../../lib/errors.ts';

const BAD_RAW = /\\|%5c|%00|\0/i;
/** Query parameters that name files or folders on the upstream. */
const PATH_PARAMS = ['filename', 'subfolder', 'dir', 'path', 'file', 'type'];

function badParts(decoded: string): boolean {
  return decoded.includes('\\') || decoded.includes('\0') || decoded.split('/').some((part) => part === '..' || part === '.');
}

/** Throws 400 `invalid_request` for a path or query that tries to escape. */
export function assertSafeRequestTarget(rawUrl: string): void {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  if (BAD_RAW.test(path)) throw new QueueError('invalid_request', 'the path contains a backslash or NUL', { field: 'path' });
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new QueueError('invalid_request', 'the path is not valid URL encoding', { field: 'path' });
    }
    if (badParts(decoded)) throw new QueueError('invalid_request', 'the path tries to leave its folder', { field: 'path' });
  }
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    throw new QueueError('invalid_request', 'the query string is not valid', { field: 'query' });
  }
  for (const name of PATH_PARAMS) {
    for (const value of params.getAll(name)) {
      if (badParts(value) || value.startsWith('/')) {
        throw new QueueError('invalid_request', `query parameter ${name} tries to leave its folder`, { field: name });
      }
    }
  }
}

/** "/user/user01/api/view?x" -> { sub: "/api/view", query: "?x" } (the seat segment as sent, encoded or not). */
export function splitSeatUrl(rawUrl: string): { sub: string; query: string } {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rest = path.split('/').slice(3);
  return { sub: `/${rest.join('/')}`, query: q < 0 ? '' : rawUrl.slice(q) };
}
