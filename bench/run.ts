/**
 * `npm run bench`: runs the benchmarks and prints one markdown table per
 * section plus a verdict per target. Never a test: nothing here fails a build.
 *   node bench/run.ts [--quick] [--only store,claim,fairness,dispatch,makespan,events]
 * Progress goes to stderr; the report (stdout) can be pasted into docs/benchmarks.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedis } from '../tests/helpers/redis-server.ts';
import { claimLatency } from './claim-latency.ts';
import { dispatchGap } from './dispatch.ts';
import { eventLatency } from './events.ts';
import { fairness } from './fairness.ts';
import { type Benchmark, createContext, type Section, verdictLine } from './harness.ts';
import { makespan } from './makespan.ts';
import { markdownTable } from './stats.ts';
import { storeThroughput } from './store-throughput.ts';

const BENCHMARKS: readonly Benchmark[] = [storeThroughput, claimLatency, fairness, dispatchGap, makespan, eventLatency];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', default: false } },
});
const ids = BENCHMARKS.map((b) => b.id);
if (values.help) {
  process.stdout.write(`usage: node bench/run.ts [--quick] [--only ${ids.join(',')}]\n`);
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) ?? ids;
const unknown = only.filter((id) => !ids.includes(id));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${ids.join(', ')}\n`);
  process.exit(2);
}

const dir = await mkdtemp(join(tmpdir(), 'cm-bench-'));
const redis = await startRedis();
const ctx = createContext({ quick: values.quick, dir, redis });
const started = performance.now();
const out = (text: string) => process.stdout.write(`${text}\n`);
try {
  const cpu = cpus();
  out('# comfy-multi benchmarks');
  out('');
  out(
    `${new Date().toISOString()} · node ${process.version} · ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'} · ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM · load average ${load()} · ${values.quick ? 'quick sizes' : 'full sizes'}`,
  );
  for (const bench of BENCHMARKS.filter((b) => only.includes(b.id))) {
    const benchStart = performance.now();
    const section = await bench.run(ctx);
    await ctx.flushRedis();
    print(section, (performance.now() - benchStart) / 1000);
  }
  out('');
  out(`Total ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${load()} (other work on the machine skews every number).`);
} finally {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}

function load(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}

function print(section: Section, seconds: number): void {
  out('');
  out(`## ${section.title}`);
  for (const table of section.tables) {
    out('');
    out(markdownTable(table));
  }
  if (section.notes.length > 0) {
    out('');
    for (const note of section.notes) out(`> ${note}`);
  }
  out('');
  for (const verdict of section.verdicts) out(verdictLine(verdict));
  out('');
  out(`_(${seconds.toFixed(1)} s)_`);
}
