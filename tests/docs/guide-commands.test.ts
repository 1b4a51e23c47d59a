/** The reader's view of a guide's sh blocks: what guides.test.ts runs is exactly what a person would copy. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shellCommands, stripComment } from './guide-commands.ts';

describe('shell commands in Markdown', () => {
  it('takes every line of sh blocks, also indented in list items, and nothing from other blocks', () => {
    const markdown = [
      '# Title',
      '```sh',
      'npm ci',
      '',
      '# a whole-line comment',
      'npm start        # demo: prints the URLs',
      '```',
      '',
      '- [ ] a step:',
      '',
      '  ```sh',
      '  # on your laptop, in your comfy-multi checkout',
      '  curl -fsS https://gpu.example.org/healthz',
      '  ```',
      '',
      '```text',
      'ok   store (sqlite)',
      '```',
      '```ts',
      "import { x } from './y.ts';",
      '```',
    ].join('\n');
    assert.deepEqual(shellCommands(markdown), [
      { line: 3, text: 'npm ci', where: null },
      { line: 6, text: 'npm start', where: null },
      { line: 13, text: 'curl -fsS https://gpu.example.org/healthz', where: 'on your laptop, in your comfy-multi checkout' },
    ]);
  });

  it('joins backslash continuations into one command', () => {
    const markdown = ['```bash', 'docker compose exec comfy-multi \\', '  /app/docker/comfy-multi-entrypoint.sh check', '```'].join('\n');
    assert.deepEqual(shellCommands(markdown), [{ line: 2, text: 'docker compose exec comfy-multi /app/docker/comfy-multi-entrypoint.sh check', where: null }]);
  });

  it('keeps a # inside quotes or words, drops a trailing comment', () => {
    assert.equal(stripComment('node scripts/print-seat-cards.ts seats.txt --title "Room #2" > cards.html'), 'node scripts/print-seat-cards.ts seats.txt --title "Room #2" > cards.html');
    assert.equal(stripComment("echo 'a # b' # note"), "echo 'a # b'");
    assert.equal(stripComment('curl https://host/page#anchor'), 'curl https://host/page#anchor');
  });
});
