import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import {
  ComfyErrorBodySchema,
  FeatureFlagsSchema,
  HistoryResponseSchema,
  JobDetailSchema,
  ObjectInfoSchema,
  PromptResponseSchema,
  parseServerMessage,
  QueueResponseSchema,
  SystemStatsSchema,
  UploadResponseSchema,
} from '../../lib/comfy/messages.ts';
import { FIXTURE_DIR, httpEntries, loadScenario, receivedFrames, scenarioNames } from './fixtures.ts';

const scenarios = scenarioNames().map(loadScenario);

describe('WebSocket text frames recorded from ComfyUI 0.8.0', () => {
  const withFrames = scenarios.filter((scenario) => receivedFrames(scenario).some((frame) => frame.kind === 'text'));

  it('are present in every scenario except the HTTP-only ones', () => {
    assert.deepEqual(
      scenarios.filter((scenario) => !withFrames.includes(scenario)).map((scenario) => scenario.name),
      ['10-view', '11b-info-multi-user'],
    );
  });

  for (const scenario of withFrames) {
    it(`${scenario.name}: every received text frame parses as a known message`, () => {
      for (const frame of receivedFrames(scenario)) {
        if (frame.kind !== 'text') continue;
        const parsed = parseServerMessage(frame.text);
        assert.ok(parsed.ok, `${frame.text.slice(0, 120)} → ${parsed.ok ? '' : parsed.reason}`);
        assert.equal(parsed.message.type, frame.parsed.type);
      }
    });
  }

  it('keeps keys the schemas do not name (e.g. a newer core’s workflow_id)', () => {
    const parsed = parseServerMessage('{"type": "executing", "data": {"node": "3", "prompt_id": "p", "workflow_id": "w1"}}');
    assert.ok(parsed.ok);
    assert.equal((parsed.message.data as Record<string, unknown>)['workflow_id'], 'w1');
  });

  it('reports unknown types, bad shapes and non-JSON as values', () => {
    const unknown = parseServerMessage('{"type": "notification", "data": {"value": "hi"}}');
    assert.deepEqual(unknown.ok ? null : [unknown.type, unknown.data], ['notification', { value: 'hi' }]);
    const badShape = parseServerMessage('{"type": "progress", "data": {"value": "x"}}');
    assert.equal(badShape.ok, false);
    assert.equal(badShape.ok ? null : badShape.type, 'progress');
    assert.equal(parseServerMessage('not json').ok, false);
    assert.equal(parseServerMessage('[1, 2]').ok, false);
  });
});

describe('HTTP bodies recorded from ComfyUI 0.8.0', () => {
  const entries = scenarios.flatMap((scenario) => httpEntries(scenario).map((entry) => ({ scenario: scenario.name, entry })));
  const cases: Array<{ what: string; match: (method: string, path: string, status: number) => boolean; schema: z.ZodType }> = [
    { what: 'POST /prompt 200', match: (m, p, s) => m === 'POST' && p === '/prompt' && s === 200, schema: PromptResponseSchema },
    { what: 'POST /prompt 400', match: (m, p, s) => m === 'POST' && p === '/prompt' && s === 400, schema: ComfyErrorBodySchema },
    { what: 'GET /history/{id}', match: (m, p, s) => m === 'GET' && p.startsWith('/history/') && s === 200, schema: HistoryResponseSchema },
    { what: 'GET /api/jobs/{id} 200', match: (m, p, s) => m === 'GET' && p.startsWith('/api/jobs/') && s === 200, schema: JobDetailSchema },
    { what: 'GET /api/jobs/{id} 404', match: (m, p, s) => m === 'GET' && p.startsWith('/api/jobs/') && s === 404, schema: ComfyErrorBodySchema },
    { what: 'GET /queue', match: (m, p, s) => m === 'GET' && p === '/queue' && s === 200, schema: QueueResponseSchema },
    { what: 'POST /upload/image 200', match: (m, p, s) => m === 'POST' && p === '/upload/image' && s === 200, schema: UploadResponseSchema },
    { what: 'GET /system_stats', match: (m, p, s) => m === 'GET' && p === '/system_stats' && s === 200, schema: SystemStatsSchema },
    { what: 'GET /features', match: (m, p, s) => m === 'GET' && p.endsWith('/features') && s === 200, schema: FeatureFlagsSchema },
  ];
  for (const { what, match, schema } of cases) {
    it(`${what} parses`, () => {
      const found = entries.filter(({ entry }) => match(entry.request.method, entry.request.path, entry.response.status));
      assert.ok(found.length > 0, `no recording of ${what}`);
      for (const { scenario, entry } of found) {
        const parsed = schema.safeParse(entry.response.body);
        assert.ok(parsed.success, `${scenario} ${entry.label ?? ''}: ${parsed.success ? '' : parsed.error.message}`);
      }
    });
  }

  it('POST /prompt 200 keeps a float-capable number and node_errors', () => {
    const parsed = PromptResponseSchema.parse({ prompt_id: 'p', number: 12.5, node_errors: {} });
    assert.equal(parsed.number, 12.5);
  });

  it('the full /object_info (446 node types) parses', () => {
    const body = JSON.parse(readFileSync(join(FIXTURE_DIR, 'object_info.json'), 'utf8'));
    const parsed = ObjectInfoSchema.parse(body);
    assert.equal(Object.keys(parsed).length, 446);
    assert.equal(parsed['SaveImage']?.output_node, true);
  });
});
