/** Replays recorded ComfyUI 0.8.0 frames through the tracker: attribution, ownership, live results. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBinaryFrame, encodeTextFrame } from '../../lib/comfy/binary-frames.ts';
import { type PromptMessage, parseServerMessage } from '../../lib/comfy/messages.ts';
import { type PreviewEvent, PromptTracker, type TextEvent } from '../../lib/comfy/prompt-tracker.ts';
import type { TerminalResult } from '../../lib/comfy/terminal.ts';
import { loadScenario, type ReceivedFrame, receivedFrames, submittedPromptId } from './fixtures.ts';

interface Relayed {
  messages: PromptMessage[];
  previews: PreviewEvent[];
  texts: TextEvent[];
  settled: TerminalResult[];
  endedUnsettled: string[];
}

function replay(tracker: PromptTracker, frames: ReceivedFrame[]): Relayed {
  const out: Relayed = { messages: [], previews: [], texts: [], settled: [], endedUnsettled: [] };
  for (const frame of frames) {
    if (frame.kind === 'binary') {
      const decoded = decodeBinaryFrame(frame.bytes);
      if (decoded.kind === 'preview') {
        const preview = tracker.acceptPreview(decoded, frame.bytes);
        if (preview) out.previews.push(preview);
      } else if (decoded.kind === 'text') {
        const text = tracker.acceptText(decoded, frame.bytes);
        if (text) out.texts.push(text);
      }
      continue;
    }
    const parsed = parseServerMessage(frame.text);
    assert.ok(parsed.ok);
    const { message } = parsed;
    if (message.type === 'status' || message.type === 'feature_flags') continue;
    const accepted = tracker.acceptMessage(message);
    if (!accepted) continue;
    out.messages.push(accepted.message);
    if (accepted.settled) out.settled.push(accepted.settled);
    if (accepted.endedUnsettled) out.endedUnsettled.push(accepted.message.promptId);
  }
  return out;
}

function scenario(name: string, client = 'submitter') {
  const loaded = loadScenario(name);
  return { promptId: submittedPromptId(loaded), frames: receivedFrames(loaded, client) };
}

describe('PromptTracker on recorded runs', () => {
  it('01-success: relays every prompt message with its id and ends in success with the outputs', () => {
    const { promptId, frames } = scenario('01-success');
    const tracker = new PromptTracker();
    tracker.own(promptId);
    const out = replay(tracker, frames);
    assert.deepEqual(
      out.messages.map((m) => m.type),
      frames.filter((f) => f.kind === 'text' && !['status', 'feature_flags'].includes(f.parsed.type)).map((f) => f.kind === 'text' && f.parsed.type),
    );
    assert.ok(out.messages.every((m) => m.promptId === promptId));
    assert.equal(out.settled.length, 1);
    const result = out.settled[0];
    assert.equal(result?.status, 'success');
    assert.equal(result?.source, 'live');
    assert.deepEqual(result?.outputs, { '3': { images: [{ filename: 'fx01_00001_.png', subfolder: '', type: 'output' }] } });
    assert.equal(tracker.current, null, 'the final executing null ends the running prompt');
  });

  it('02-cache-hit: a fully cached run still reports the cached outputs', () => {
    const { promptId, frames } = scenario('02-cache-hit');
    const tracker = new PromptTracker();
    tracker.own(promptId);
    const result = replay(tracker, frames).settled[0];
    assert.equal(result?.status, 'success');
    assert.deepEqual(Object.keys(result?.outputs ?? {}), ['3']);
  });

  it('04-runtime-error and 05-interrupt: error and interrupted carry the worker payload', () => {
    const failed = scenario('04-runtime-error');
    const tracker = new PromptTracker();
    tracker.own(failed.promptId);
    const error = replay(tracker, failed.frames).settled[0];
    assert.equal(error?.status, 'error');
    assert.match(String((error?.error as { exception_message?: string } | undefined)?.exception_message), /failing at step 2/);

    const interrupted = scenario('05-interrupt');
    tracker.own(interrupted.promptId);
    const stopped = replay(tracker, interrupted.frames).settled[0];
    assert.equal(stopped?.status, 'interrupted');
    assert.equal(stopped?.error?.node_id, '2');
  });

  it('03a: type-4 previews keep their metadata', () => {
    const { promptId, frames } = scenario('03a-progress-previews-ff');
    const tracker = new PromptTracker();
    tracker.own(promptId);
    const { previews } = replay(tracker, frames);
    assert.equal(previews.length, 5);
    for (const preview of previews) {
      assert.deepEqual(
        [preview.promptId, preview.nodeId, preview.displayNodeId, preview.imageType, preview.synthesized],
        [promptId, '2', '2', 'image/jpeg', false],
      );
      assert.deepEqual([...preview.image.subarray(0, 2)], [0xff, 0xd8]);
    }
  });

  it('03b/03c: type-1 previews get metadata synthesised from the running node', () => {
    for (const [name, imageType] of [
      ['03b-progress-previews-noff', 'image/jpeg'],
      ['03c-progress-previews-noff-png', 'image/png'],
    ] as const) {
      const { promptId, frames } = scenario(name);
      const tracker = new PromptTracker();
      tracker.own(promptId);
      const { previews } = replay(tracker, frames);
      assert.equal(previews.length, 5, name);
      for (const preview of previews) {
        assert.deepEqual(
          [preview.promptId, preview.nodeId, preview.displayNodeId, preview.imageType, preview.synthesized],
          [promptId, '2', '2', imageType, true],
        );
      }
    }
  });

  it('12-ws-reconnect: the replayed executing without prompt_id is attributed to the running prompt', () => {
    const { promptId, frames } = scenario('12-ws-reconnect');
    const tracker = new PromptTracker();
    tracker.own(promptId);
    const out = replay(tracker, frames);
    const replayed = out.messages.find((m) => m.type === 'executing' && m.data.display_node === undefined && m.data.node === '2');
    assert.ok(replayed, 'the replay was relayed');
    assert.equal(replayed.promptId, promptId);
    assert.equal(replayed.data.prompt_id, promptId, 'the relayed data is stamped with the prompt id');
    assert.equal(out.previews.length, 6, 'previews before and after the gap (3 and 4 were dropped by the server)');
    assert.equal(out.settled[0]?.status, 'success');
  });

  it('12-ws-reconnect: with no known running prompt, the replay goes to the only unfinished one we own', () => {
    const { promptId, frames } = scenario('12-ws-reconnect');
    const afterReconnect = frames.slice(frames.findIndex((f) => f.kind === 'text' && f.parsed.type === 'executing' && !('prompt_id' in f.parsed.data)));
    const tracker = new PromptTracker();
    tracker.own(promptId);
    const out = replay(tracker, afterReconnect);
    assert.equal(out.messages[0]?.type, 'executing');
    assert.equal(out.messages[0]?.promptId, promptId);
  });

  it('drops a replay it cannot attribute instead of guessing', () => {
    const tracker = new PromptTracker();
    tracker.own('a');
    tracker.own('b');
    const parsed = parseServerMessage('{"type": "executing", "data": {"node": "2"}}');
    assert.ok(parsed.ok && parsed.message.type === 'executing');
    assert.equal(tracker.acceptMessage(parsed.message), null);
  });

  it('01b/03e: broadcasts of a prompt submitted without client_id are not ours', () => {
    for (const name of ['01b-success-no-client-id', '03e-progress-previews-no-client-id']) {
      const loaded = loadScenario(name);
      const frames = receivedFrames(loaded, 'submitter');
      assert.ok(frames.some((f) => f.kind === 'binary' || (f.kind === 'text' && f.parsed.type === 'progress_state')), name);
      const out = replay(new PromptTracker(), frames);
      assert.deepEqual(out, { messages: [], previews: [], texts: [], settled: [], endedUnsettled: [] }, name);
    }
  });

  it('adopts a prompt from targeted messages (e.g. submitted before a restart)', () => {
    const { promptId, frames } = scenario('01-success');
    const tracker = new PromptTracker();
    const out = replay(tracker, frames);
    assert.equal(out.settled[0]?.promptId, promptId);
    assert.equal(out.settled[0]?.status, 'success');
  });

  it('flags an end without a terminal message for recovery, and settles a recovered result once', () => {
    const { promptId, frames } = scenario('01-success');
    const tracker = new PromptTracker();
    tracker.own(promptId);
    const withoutTerminal = frames.filter((f) => !(f.kind === 'text' && f.parsed.type === 'execution_success'));
    const out = replay(tracker, withoutTerminal);
    assert.deepEqual(out.settled, []);
    assert.deepEqual(out.endedUnsettled, [promptId]);
    const recovered: TerminalResult = { promptId, status: 'success', messages: [], outputs: {}, error: null, source: 'history' };
    assert.equal(tracker.settle(recovered), true);
    assert.equal(tracker.settle({ ...recovered, status: 'lost' }), false);
    assert.equal(tracker.get(promptId)?.result?.source, 'history');
  });

  it('attributes type-3 text to the running prompt only', () => {
    const tracker = new PromptTracker();
    const frame = encodeTextFrame('2', 'hello');
    const decoded = decodeBinaryFrame(frame);
    assert.ok(decoded.kind === 'text');
    assert.equal(tracker.acceptText(decoded, frame), null);
    tracker.own('p1');
    const start = parseServerMessage('{"type": "execution_start", "data": {"prompt_id": "p1", "timestamp": 1}}');
    assert.ok(start.ok && start.message.type === 'execution_start');
    tracker.acceptMessage(start.message);
    assert.deepEqual(tracker.acceptText(decoded, frame), { promptId: 'p1', nodeId: '2', text: 'hello', frame });
  });

  it('keeps only the newest settled records', () => {
    const tracker = new PromptTracker(2);
    for (const id of ['a', 'b', 'c']) {
      tracker.own(id);
      tracker.settle({ promptId: id, status: 'success', messages: [], outputs: {}, error: null, source: 'history' });
    }
    tracker.own('open');
    assert.deepEqual(
      ['a', 'b', 'c', 'open'].map((id) => tracker.get(id) !== undefined),
      [false, true, true, true],
    );
  });
});
