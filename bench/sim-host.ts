/**
 * Simulated ComfyUI workers in their own process, as real workers are:
 *   node bench/sim-host.ts <count>
 * Prints one JSON line `{"urls": [...]}` once every worker listens, and closes
 * them all when its stdin ends.
 */
import { startSimulator } from '../lib/simulator/index.ts';

const count = Number(process.argv[2] ?? 1);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: node bench/sim-host.ts <count>\n');
  process.exit(2);
}
// Previews off: the benchmarks time scheduling, not JPEG encoding.
const sims = await Promise.all(Array.from({ length: count }, () => startSimulator({ nodeMs: 0, previewMethod: 'none' })));
process.stdout.write(`${JSON.stringify({ urls: sims.map((sim) => sim.url) })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await Promise.all(sims.map((sim) => sim.close()));
  process.exit(0);
});
