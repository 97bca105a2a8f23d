// npm run bench:engine [-- --patients 300 --days 365 --seed 7]
// The anomaly engine alone: processReading over a simulated cohort's readings, with every
// reading materialised before the clock starts so generation and parsing are not measured.
import { DEFAULT_CONFIG, newDeviceState, processReading, type DeviceState, type EngineReading } from '../src/engine/index.ts';
import { createCohort } from '../simulators/index.ts';
import { UsageError, parseCohortArgs } from '../simulators/evaluate/args.ts';
import { median } from '../simulators/evaluate/match.ts';
import { readingsByDevice } from '../simulators/evaluate/run.ts';

const PASSES = 3;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

let args;
try {
  args = parseCohortArgs(process.argv.slice(2), { patients: 300, days: 365, seed: '7' });
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`bench:engine: ${e.message}\nUsage: npm run bench:engine -- [--patients N] [--days N] [--seed S]\n`);
  process.exit(2);
}

const cohort = createCohort({ patients: args.patients, days: args.days, seed: args.seed });
const byDevice = readingsByDevice(cohort);
// Interleaved by event time across devices, as the service sees them, each device still in seq
// order (seq follows event time per device, and the sort is stable).
const devices = [...byDevice.keys()];
const stream: { device: number; reading: EngineReading }[] = [];
devices.forEach((d, i) => {
  for (const reading of byDevice.get(d) ?? []) stream.push({ device: i, reading });
});
stream.sort((a, b) => a.reading.at - b.reading.at);
byDevice.clear();

/** One pass over the whole stream with fresh device states; returns ns per reading. */
function pass(): { nsPerReading: number; decisions: number } {
  const states: DeviceState[] = devices.map(() => newDeviceState());
  let decisions = 0;
  const t0 = process.hrtime.bigint();
  for (const { device, reading } of stream) {
    decisions += processReading(states[device] as DeviceState, reading, DEFAULT_CONFIG).decisions.length;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { nsPerReading: ns / stream.length, decisions };
}

process.stderr.write(`bench:engine: ${stream.length} readings of ${devices.length} devices materialised; warming up\n`);
const warm = pass();
const runs: number[] = [];
for (let i = 0; i < PASSES; i++) runs.push(pass().nsPerReading);
const heap = process.memoryUsage();

console.log(`Engine alone: processReading, ${args.patients} patients × ${args.days} days, seed ${args.seed}`);
console.log(`readings:          ${stream.length} (${devices.length} devices, interleaved by event time, seq order per device)`);
console.log(`decisions/pass:    ${warm.decisions}`);
console.log(`ns/reading median: ${median(runs).toFixed(0)}  (passes: ${runs.map((r) => r.toFixed(0)).join(', ')}; 1 warm-up pass untimed)`);
console.log(`heap used:         ${mib(heap.heapUsed)} (of ${mib(heap.heapTotal)} heap, ${mib(heap.rss)} RSS; includes the materialised readings)`);
console.log(`node ${process.version}, ${process.arch}`);
console.log('');
console.log('NOT MEASURED: the end-to-end cost (ingest + scoring + storage against ingest without scoring).');
console.log('The engine is not wired into the service yet, so there is no scoring path to measure there;');
console.log('npm run bench:ingest measures ingest without scoring only.');
