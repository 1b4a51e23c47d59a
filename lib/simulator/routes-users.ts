/**
 * Users, settings and userdata (app/user_manager.py, app/app_settings.py): single-user servers
 * always act as "default"; --multi-user servers require a known Comfy-User header.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { guessMime, isWithin } from './data-dirs.ts';
import { type RequestCtx, type Router, sendEmpty, sendFile, sendJson, sendText } from './http-kit.ts';
import type { Instance } from './instance.ts';
import { isPlainObject, parseJson } from './py-json.ts';
import { ServerCrash } from './validation.ts';

const SYSTEM_PREFIX = '__';

class UnknownUser extends Error {}

export class UserStore {
  private readonly dir: string;
  private readonly multi: boolean;
  private users: Record<string, string>;

  constructor(userDir: string, multi: boolean) {
    this.dir = userDir;
    this.multi = multi;
    const file = join(userDir, 'users.json');
    this.users = multi ? (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {}) : { default: 'default' };
  }

  listBody(): Record<string, unknown> {
    if (this.multi) return { storage: 'server', users: this.users };
    return { storage: 'server', migrated: existsSync(join(this.dir, 'default')) };
  }

  add(name: string): string {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('username not provided');
    if (trimmed.startsWith(SYSTEM_PREFIX)) throw new Error('System User prefix not allowed');
    const base = trimmed.replace(/[^a-zA-Z0-9-_]+/g, '-');
    if (base.startsWith(SYSTEM_PREFIX)) throw new Error('System User prefix not allowed');
    const id = `${base}_${randomUUID()}`;
    this.users[id] = trimmed;
    writeFileSync(join(this.dir, 'users.json'), JSON.stringify(this.users));
    return id;
  }

  hasName(name: string): boolean {
    return Object.values(this.users).includes(name);
  }

  /** get_request_user_id: the Comfy-User header counts only with --multi-user. */
  userId(ctx: RequestCtx): string {
    let user = 'default';
    const header = ctx.header('comfy-user');
    if (this.multi && header !== undefined) {
      user = header;
      if (user.startsWith(SYSTEM_PREFIX)) throw new UnknownUser(user);
    }
    if (!Object.hasOwn(this.users, user)) throw new UnknownUser(user);
    return user;
  }

  /** get_request_user_filepath: null when the path leaves the user's directory. */
  userPath(ctx: RequestCtx, file: string | null, createDir = true): string | null {
    const root = join(this.dir, this.userId(ctx));
    let path = root;
    if (file !== null) {
      const decoded = file.includes('%') ? decodeURIComponent(file) : file;
      path = resolve(root, decoded);
      if (!isWithin(root, path)) return null;
    }
    if (createDir) mkdirSync(dirname(path), { recursive: true });
    return path;
  }
}

function settingsFile(users: UserStore, ctx: RequestCtx): string {
  try {
    return users.userPath(ctx, 'comfy.settings.json') as string;
  } catch (err) {
    if (err instanceof UnknownUser) throw new HttpUnauthorized();
    throw err;
  }
}

class HttpUnauthorized extends Error {}

function readSettings(users: UserStore, ctx: RequestCtx): Record<string, unknown> {
  const file = settingsFile(users, ctx);
  if (!existsSync(file)) return {};
  try {
    const value = parseJson(readFileSync(file, 'utf8'));
    return isPlainObject(value) ? value : {};
  } catch {
    return {};
  }
}

function fileInfo(path: string, base: string): Record<string, unknown> {
  const st = statSync(path);
  return {
    path: relative(base, path).split(sep).join('/'),
    size: st.size,
    modified: Math.trunc(st.mtimeMs),
    created: Math.trunc(st.ctimeMs),
  };
}

function walk(dir: string, recurse: boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isFile()) out.push(full);
    else if (recurse && entry.isDirectory()) out.push(...walk(full, true));
  }
  return out;
}

async function guarded(ctx: RequestCtx, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof HttpUnauthorized) return sendText(ctx, 401, '401: Unauthorized');
    if (err instanceof UnknownUser) throw new ServerCrash(`Unknown user: ${err.message}`);
    throw err;
  }
}

export function addUserRoutes(router: Router, inst: Instance): void {
  const users = inst.users;
  router.add('GET', '/users', (ctx) => sendJson(ctx, users.listBody()));
  router.add('POST', '/users', async (ctx) => {
    const body = parseJson((await ctx.body()).toString('utf8'));
    if (!isPlainObject(body) || !Object.hasOwn(body, 'username')) throw new ServerCrash("KeyError: 'username'");
    const name = String(body['username']);
    if (users.hasName(name)) return sendJson(ctx, { error: 'Duplicate username.' }, 400);
    try {
      sendJson(ctx, users.add(name));
    } catch (err) {
      sendJson(ctx, { error: (err as Error).message }, 400);
    }
  });
  router.add('GET', '/settings', (ctx) => guarded(ctx, () => sendJson(ctx, readSettings(users, ctx))));
  router.add('GET', '/settings/{id}', (ctx) =>
    guarded(ctx, () => {
      const settings = readSettings(users, ctx);
      const id = ctx.params['id'] as string;
      sendJson(ctx, Object.hasOwn(settings, id) ? settings[id] : null);
    }),
  );
  router.add('POST', '/settings', (ctx) =>
    guarded(ctx, async () => {
      const settings = readSettings(users, ctx);
      const update = parseJson((await ctx.body()).toString('utf8'));
      const merged = { ...settings, ...(isPlainObject(update) ? update : {}) };
      writeFileSync(settingsFile(users, ctx), JSON.stringify(merged, null, 4));
      sendEmpty(ctx);
    }),
  );
  router.add('POST', '/settings/{id}', (ctx) =>
    guarded(ctx, async () => {
      const settings = readSettings(users, ctx);
      settings[ctx.params['id'] as string] = parseJson((await ctx.body()).toString('utf8'));
      writeFileSync(settingsFile(users, ctx), JSON.stringify(settings, null, 4));
      sendEmpty(ctx);
    }),
  );

  router.add('GET', '/userdata', (ctx) =>
    guarded(ctx, () => {
      const dir = ctx.query.get('dir') ?? '';
      if (!dir) return sendText(ctx, 400, 'Directory not provided');
      const path = users.userPath(ctx, dir);
      if (!path) return sendText(ctx, 403, 'Invalid directory');
      if (!existsSync(path)) return sendText(ctx, 404, 'Directory not found');
      const flag = (k: string) => (ctx.query.get(k) ?? '').toLowerCase() === 'true';
      const files = walk(path, flag('recurse')).map((full) => {
        if (flag('full_info')) return fileInfo(full, path);
        const rel = relative(path, full).split(sep).join('/');
        return flag('split') ? [rel, ...rel.split('/')] : rel;
      });
      sendJson(ctx, files);
    }),
  );
  const userFile = (ctx: RequestCtx, param: string, mustExist: boolean): string | number => {
    const file = ctx.params[param];
    if (!file) return 400;
    const path = users.userPath(ctx, file);
    if (!path) return 403;
    if (mustExist && !existsSync(path)) return 404;
    return path;
  };
  router.add('GET', '/userdata/{file}', (ctx) =>
    guarded(ctx, () => {
      const path = userFile(ctx, 'file', true);
      if (typeof path === 'number') return sendEmpty(ctx, path);
      sendFile(ctx, path, { 'Content-Type': guessMime(path) ?? 'application/octet-stream' });
    }),
  );
  router.add('POST', '/userdata/{file}', (ctx) =>
    guarded(ctx, async () => {
      const path = userFile(ctx, 'file', false);
      if (typeof path === 'number') return sendEmpty(ctx, path);
      if (ctx.query.get('overwrite') === 'false' && existsSync(path)) return sendText(ctx, 409, 'File already exists');
      writeFileSync(path, await ctx.body());
      const root = users.userPath(ctx, null, false) as string;
      sendJson(ctx, ctx.query.get('full_info') === 'true' ? fileInfo(path, root) : relative(root, path).split(sep).join('/'));
    }),
  );
  router.add('DELETE', '/userdata/{file}', (ctx) =>
    guarded(ctx, () => {
      const path = userFile(ctx, 'file', true);
      if (typeof path === 'number') return sendEmpty(ctx, path);
      unlinkSync(path);
      sendEmpty(ctx, 204);
    }),
  );
  router.add('POST', '/userdata/{file}/move/{dest}', (ctx) =>
    guarded(ctx, () => {
      const source = userFile(ctx, 'file', true);
      if (typeof source === 'number') return sendEmpty(ctx, source);
      const dest = userFile(ctx, 'dest', false);
      if (typeof dest === 'number') return sendEmpty(ctx, dest);
      if (ctx.query.get('overwrite') === 'false' && existsSync(dest)) return sendText(ctx, 409, 'File already exists');
      renameSync(source, dest);
      const root = users.userPath(ctx, null, false) as string;
      sendJson(ctx, ctx.query.get('full_info') === 'true' ? fileInfo(dest, root) : relative(root, dest).split(sep).join('/'));
    }),
  );
}
