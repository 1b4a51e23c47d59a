/**
 * `npm run bench` keeps working: the store benchmark runs at quick sizes and
 * prints its table and verdicts. Numbers are not checked (benchmarks, not tests).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const RUN = fileURLToPath(new URL('../bench/run.ts', import.meta.url));

test('bench --quick --only store prints the store throughput table with a BullMQ comparison', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [RUN, '--quick', '--only', 'store'], { timeout: 100_000 });
  assert.match(stdout, /^## Store throughput/m);
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| path'));
  assert.ok(header >= 0, 'the table header is printed');
  assert.match(lines[header + 1]!, /^\|-+\|/, 'a markdown separator follows the header');
  const rows = lines.slice(header + 2).filter((line) => line.startsWith('|'));
  // 2 stores x 2 paths x 3 client setups + 3 BullMQ rows
  assert.equal(rows.length, 15);
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1).map((cell) => cell.trim());
    assert.ok(Number(cells[4]) > 0, `jobs/s is a positive number in: ${row}`);
  }
  assert.ok(rows.some((row) => row.includes('BullMQ')), 'BullMQ ran on the same Redis');
  assert.ok(
    rows.filter((row) => row.includes('| redis') && !row.includes('BullMQ')).every((row) => /\d+\.\d+×/.test(row)),
    'every comfy-multi Redis row carries its ratio to BullMQ',
  );
  assert.match(stdout, /^- \*\*(PASS|MISS|INFO)\*\* /m, 'verdict lines are printed');
  assert.doesNotMatch(stdout, /Claim latency/, '--only limits the run to the store benchmark');
});

test('bench rejects an unknown benchmark name with the list of known ones', async () => {
  await assert.rejects(promisify(execFile)(process.execPath, [RUN, '--only', 'nope']), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr ?? '', /unknown benchmark\(s\): nope; known: store, claim, fairness, dispatch, makespan, events/);
    return true;
  });
});
