/**
 * Replays every recorded ComfyUI 0.8.0 scenario against the simulator and requires the same
 * frames per client (types, order, key order, int vs float, values up to ids and timestamps)
 * and the same HTTP status, content type and body for every request.
 *
 * The recordings were made one after another against a single server (prompt numbers and
 * history carry over from scenario to scenario), so they are replayed the same way: in
 * recorded order against one simulator started fresh for the run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../lib/simulator/index.ts';
import { dumps, isPlainObject, orderedEntries, parseJson } from '../../lib/simulator/py-json.ts';
import { IdMap, loadScenario, replayScenario } from './helpers/scenario.ts';

const TIME_SCALE = 0.25;

/** The order the recordings were made in (see the prompt numbers they got). */
const SESSION = [
  '01-success',
  '02-cache-hit',
  '02b-partial-cache',
  '01b-success-no-client-id',
  '03a-progress-previews-ff',
  '03b-progress-previews-noff',
  '03c-progress-previews-noff-png',
  '03d-progress-preview-method-none',
  '03e-progress-previews-no-client-id',
  '04-runtime-error',
  '05-interrupt',
  '05b-interrupt-global',
  '06-validation-errors',
  '07-client-prompt-id',
  '08-queue-jobs-history',
  '09-upload-loadimage',
  '10-view',
  '11-info-single-user',
  '12-ws-reconnect',
];
const TIMING_SENSITIVE = new Set(['05-interrupt', '05b-interrupt-global', '12-ws-reconnect']);

describe('recorded ComfyUI 0.8.0 session', () => {
  let sim: SimulatorHandle;
  const ids = new IdMap();
  before(async () => {
    sim = await startSimulator({ timeScale: TIME_SCALE });
  });
  after(() => sim.close());

  for (const name of SESSION) {
    test(name, async () => {
      const problems = await replayScenario(sim, loadScenario(name), ids, {
        timeScale: TIME_SCALE,
        timingSensitive: TIMING_SENSITIVE.has(name),
      });
      assert.deepEqual(problems, []);
    });
  }
});

test('recorded multi-user server (11b)', async () => {
  const sim = await startSimulator({ multiUser: true, timeScale: TIME_SCALE });
  try {
    const problems = await replayScenario(sim, loadScenario('11b-info-multi-user'), new IdMap(), { timeScale: TIME_SCALE });
    assert.deepEqual(problems, []);
  } finally {
    await sim.close();
  }
});

const WORKFLOWS = new URL('../fixtures/workflows/', import.meta.url);
const WORKFLOW_NAMES = [
  '01_get_started_text_to_image',
  '03_video_wan2_2_14B_i2v_subgraphed',
  'video_hunyuan_video_1.5_720p_t2v',
  'video_wan2_2_14B_t2v',
];

/** node_errors with each node's error list as a set: ComfyUI walks inputs in hash order. */
function nodeErrorsAsSets(body: unknown): Record<string, unknown> {
  const errors = (body as Record<string, unknown>)['node_errors'];
  const out: Record<string, unknown> = {};
  for (const [id, entry] of orderedEntries(errors as object)) {
    const e = entry as Record<string, unknown>;
    out[id] = { ...e, errors: (e['errors'] as unknown[]).map((x) => dumps(x)).sort() };
  }
  return out;
}

describe('the frontend-submitted workflow templates', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim.close());

  for (const name of WORKFLOW_NAMES) {
    test(`${name} is rejected like ComfyUI 0.8.0 rejected it (no models installed)`, async () => {
      const body = readFileSync(new URL(`${name}.post-prompt-body.json`, WORKFLOWS), 'utf8');
      const expected = parseJson(readFileSync(new URL(`${name}.post-prompt-response.json`, WORKFLOWS), 'utf8'));
      const res = await fetch(`${sim.url}/api/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Comfy-User': '' }, body });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      const text = await res.text();
      const got = parseJson(text);
      assert.equal(dumps(got), text, 'Python json.dumps formatting');
      assert.ok(isPlainObject(got) && isPlainObject(expected));
      assert.equal(dumps(got['error']), dumps(expected['error']));
      assert.deepEqual(nodeErrorsAsSets(got), nodeErrorsAsSets(expected));
    });
  }
});
