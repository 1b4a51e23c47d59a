/**
 * Prompt, queue, history, interrupt and jobs routes (server.py post_prompt & co).
 */
import { randomUUID } from 'node:crypto';
import { type RequestCtx, type Router, sendEmpty, sendJson, sendServerError } from './http-kit.ts';
import type { Instance } from './instance.ts';
import { getJob, listJobs, parsePyInt } from './jobs.ts';
import { publicTuple } from './prompt-queue.ts';
import { pyFloatOf } from './py-convert.ts';
import { type PyFloat, isPlainObject, parseJson, pyRepr, pyStr, pyTruthy } from './py-json.ts';
import { ServerCrash, validatePrompt } from './validation.ts';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SENSITIVE_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

/** request.json(): raises (-> 500) on anything that is not JSON. */
async function jsonBody(ctx: RequestCtx): Promise<unknown> {
  return parseJson((await ctx.body()).toString('utf8'));
}

/** float(json_data['number']): a ValueError there is a 500. */
function priorityOf(v: unknown): number | PyFloat {
  try {
    return pyFloatOf(v);
  } catch (err) {
    throw new ServerCrash((err as Error).message);
  }
}

async function postPrompt(ctx: RequestCtx, inst: Instance): Promise<void> {
  if (inst.faults.rejectSubmits) return sendServerError(ctx);
  const body = await jsonBody(ctx);
  if (!isPlainObject(body)) throw new ServerCrash('body is not a dict');
  let number: number | PyFloat;
  if (Object.hasOwn(body, 'number')) number = priorityOf(body['number']);
  else {
    number = Object.hasOwn(body, 'front') && pyTruthy(body['front']) ? -inst.number : inst.number;
    inst.number++;
  }
  if (!Object.hasOwn(body, 'prompt')) {
    const error = { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} };
    return sendJson(ctx, { error, node_errors: {} }, 400);
  }
  let promptId: string;
  if (inst.version === '0.8.0') {
    promptId = Object.hasOwn(body, 'prompt_id') ? pyStr(body['prompt_id']) : randomUUID();
  } else {
    const given = body['prompt_id'];
    if (given === undefined || given === null) promptId = randomUUID();
    else if (typeof given !== 'string' || !CANONICAL_UUID.test(given)) {
      const error = {
        type: 'invalid_prompt_id',
        message: 'prompt_id must be a valid UUID',
        details: 'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one',
        extra_info: {},
      };
      return sendJson(ctx, { error, node_errors: {} }, 400);
    } else if (inst.queue.has(given)) {
      return sendJson(ctx, { error: 'prompt_id already exists' }, 409);
    } else promptId = given;
  }
  const partial = Object.hasOwn(body, 'partial_execution_targets') ? body['partial_execution_targets'] : null;
  const outcome = validatePrompt(inst.validation, body['prompt'], partial);
  const extraData = Object.hasOwn(body, 'extra_data') ? body['extra_data'] : {};
  if (!isPlainObject(extraData)) throw new ServerCrash('extra_data is not a dict');
  if (Object.hasOwn(body, 'client_id')) extraData['client_id'] = body['client_id'];
  if (!outcome.ok) return sendJson(ctx, { error: outcome.error, node_errors: outcome.nodeErrors }, 400);
  const sensitive: Record<string, unknown> = {};
  for (const key of SENSITIVE_KEYS) {
    if (Object.hasOwn(extraData, key)) {
      sensitive[key] = extraData[key];
      delete extraData[key];
    }
  }
  extraData['create_time'] = Date.now();
  inst.queue.put({
    number,
    promptId,
    prompt: body['prompt'] as Record<string, unknown>,
    extraData,
    outputs: outcome.outputs,
    sensitive,
  });
  sendJson(ctx, { prompt_id: promptId, number, node_errors: outcome.nodeErrors });
}

function iterable(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isPlainObject(v)) return Object.keys(v);
  throw new ServerCrash('not iterable');
}

function cancelJob(inst: Instance, id: string): boolean {
  if (inst.queue.isRunning(id)) {
    inst.executor.interrupt();
    return true;
  }
  return inst.queue.deleteWhere((item) => item.promptId === id);
}

export function addPromptRoutes(router: Router, inst: Instance): void {
  router.add('GET', '/prompt', (ctx) => sendJson(ctx, inst.queueInfo()));
  router.add('POST', '/prompt', (ctx) => postPrompt(ctx, inst));

  router.add('GET', '/queue', (ctx) =>
    sendJson(ctx, {
      queue_running: inst.queue.runningItems().map(publicTuple),
      queue_pending: inst.queue.pendingItems().map(publicTuple),
    }),
  );
  router.add('POST', '/queue', async (ctx) => {
    const body = await jsonBody(ctx);
    if (isPlainObject(body)) {
      if (Object.hasOwn(body, 'clear') && pyTruthy(body['clear'])) inst.queue.wipe();
      if (Object.hasOwn(body, 'delete')) {
        for (const id of iterable(body['delete'])) inst.queue.deleteWhere((item) => item.promptId === id);
      }
    }
    sendEmpty(ctx);
  });

  router.add('POST', '/interrupt', async (ctx) => {
    let body: unknown;
    try {
      body = await jsonBody(ctx);
    } catch {
      body = {};
    }
    if (!isPlainObject(body)) throw new ServerCrash("'list' object has no attribute 'get'");
    const promptId = body['prompt_id'];
    if (pyTruthy(promptId)) {
      if (typeof promptId === 'string' && inst.queue.isRunning(promptId)) inst.executor.interrupt();
    } else inst.executor.interrupt();
    sendEmpty(ctx);
  });

  router.add('POST', '/free', async (ctx) => {
    await jsonBody(ctx);
    sendEmpty(ctx);
  });

  router.add('GET', '/history', (ctx) => {
    const maxText = ctx.query.get('max_items');
    const offsetText = ctx.query.get('offset');
    const maxItems = maxText === null ? null : parsePyInt(maxText);
    const offset = offsetText === null ? -1 : parsePyInt(offsetText);
    if ((maxText !== null && maxItems === null) || offset === null) throw new ServerCrash('invalid literal for int()');
    sendJson(ctx, inst.queue.historySlice(maxItems, offset));
  });
  router.add('GET', '/history/{prompt_id}', (ctx) => {
    const id = ctx.params['prompt_id'] as string;
    const entry = inst.queue.history.get(id);
    sendJson(ctx, entry ? new Map([[id, entry]]) : {});
  });
  router.add('POST', '/history', async (ctx) => {
    const body = await jsonBody(ctx);
    if (isPlainObject(body)) {
      if (Object.hasOwn(body, 'clear') && pyTruthy(body['clear'])) inst.queue.wipeHistory();
      if (Object.hasOwn(body, 'delete')) for (const id of iterable(body['delete'])) inst.queue.deleteHistory(String(id));
    }
    sendEmpty(ctx);
  });

  router.add('GET', '/api/jobs', (ctx) => {
    const result = listJobs(ctx.query, inst.jobSources());
    if (result.ok) sendJson(ctx, result.body);
    else sendJson(ctx, { error: result.error }, 400);
  });
  router.add('GET', '/api/jobs/{job_id}', (ctx) => {
    const job = getJob(ctx.params['job_id'] as string, inst.jobSources());
    if (job) sendJson(ctx, job);
    else sendJson(ctx, { error: 'Job not found' }, 404);
  });

  if (inst.version === '0.8.0') return;
  router.add('POST', '/api/jobs/{job_id}/cancel', (ctx) => {
    sendJson(ctx, { cancelled: cancelJob(inst, ctx.params['job_id'] as string) });
  });
  router.add('POST', '/api/jobs/cancel', async (ctx) => {
    let body: unknown;
    try {
      body = await jsonBody(ctx);
    } catch {
      return sendJson(ctx, { error: 'Request body must be valid JSON' }, 400);
    }
    const ids = isPlainObject(body) ? body['job_ids'] : undefined;
    if (!Array.isArray(ids)) return sendJson(ctx, { error: 'job_ids must be a list' }, 400);
    const invalid = ids.filter((id) => typeof id !== 'string' || !CANONICAL_UUID.test(id)).map((id) => (typeof id === 'string' ? id : pyRepr(id)));
    if (invalid.length > 0) return sendJson(ctx, { error: 'job_ids contains invalid id(s)', invalid_ids: invalid }, 400);
    let cancelled = false;
    for (const id of ids as string[]) if (cancelJob(inst, id)) cancelled = true;
    sendJson(ctx, { cancelled });
  });
}
