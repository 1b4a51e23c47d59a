import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryResponseSchema, JobDetailSchema } from '../../lib/comfy/messages.ts';
import { terminalFromHistory, terminalFromJob } from '../../lib/comfy/terminal.ts';
import { httpEntries, loadScenario, submittedPromptId } from './fixtures.ts';

function recorded(name: string) {
  const scenario = loadScenario(name);
  const promptId = submittedPromptId(scenario);
  const entries = httpEntries(scenario);
  const historyBody = entries.find((e) => e.request.path === `/history/${promptId}`)?.response.body;
  const jobBody = entries.find((e) => e.request.path === `/api/jobs/${promptId}` && e.response.status === 200)?.response.body;
  const history = HistoryResponseSchema.parse(historyBody)[promptId];
  assert.ok(history, `${name}: history entry`);
  return { promptId, history, job: jobBody === undefined ? null : JobDetailSchema.parse(jobBody) };
}

describe('results recovered from recorded /history and /api/jobs answers', () => {
  it('01-success: history gives success with the saved image', () => {
    const { promptId, history } = recorded('01-success');
    const result = terminalFromHistory(promptId, history);
    assert.equal(result.status, 'success');
    assert.equal(result.source, 'history');
    assert.deepEqual(result.outputs, { '3': { images: [{ filename: 'fx01_00001_.png', subfolder: '', type: 'output' }] } });
    assert.deepEqual(
      result.messages.map((m) => m.type),
      ['execution_start', 'execution_cached', 'execution_success'],
    );
  });

  it('04-runtime-error: history and job both give error with the execution_error payload', () => {
    const { promptId, history, job } = recorded('04-runtime-error');
    assert.ok(job);
    for (const result of [terminalFromHistory(promptId, history), terminalFromJob(promptId, job)]) {
      assert.equal(result?.status, 'error');
      assert.equal((result?.error as { exception_type?: string } | null)?.exception_type, 'RuntimeError');
      assert.deepEqual(result?.outputs, {});
    }
  });

  it('05-interrupt: 0.8.0 reports the job as "failed", the interrupted message still makes it interrupted', () => {
    const { promptId, history, job } = recorded('05-interrupt');
    assert.equal(job?.status, 'failed');
    assert.ok(job);
    for (const result of [terminalFromHistory(promptId, history), terminalFromJob(promptId, job)]) {
      assert.equal(result?.status, 'interrupted');
      assert.equal(result?.error?.node_id, '2');
    }
  });

  it('07: the client-supplied prompt id is recovered from both routes', () => {
    const { promptId, history, job } = recorded('07-client-prompt-id');
    assert.equal(promptId, '7e57c0de-1a2b-4c3d-8e4f-000000000007');
    assert.ok(job);
    assert.equal(terminalFromHistory(promptId, history).status, 'success');
    assert.equal(terminalFromJob(promptId, job)?.status, 'success');
  });

  it('jobs still pending or running are not terminal; newer cores’ cancelled is interrupted', () => {
    const scenario = loadScenario('08-queue-jobs-history');
    const live = httpEntries(scenario).filter((e) => e.request.path.startsWith('/api/jobs/') && e.response.status === 200);
    const states = live.map((e) => JobDetailSchema.parse(e.response.body));
    assert.deepEqual(states.map((j) => j.status).sort(), ['in_progress', 'pending']);
    for (const job of states) assert.equal(terminalFromJob(job.id, job), null);
    assert.equal(terminalFromJob('x', { id: 'x', status: 'cancelled' })?.status, 'interrupted');
  });
});
