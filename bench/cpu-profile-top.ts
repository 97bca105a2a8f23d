// npx tsx bench/cpu-profile-top.ts <file.cpuprofile> [--top 10] [--from µs --to µs]
// Where a V8 CPU profile (node --cpu-prof, or BENCH_CPU_PROFILE=dir npm run bench:ingest)
// spent its self time: the top functions and the top files, as shares of the busy time
// (idle excluded). --from/--to keep the samples between two CLOCK_MONOTONIC times in µs
// (the realistic ingest bench prints its timed phases' bounds), leaving start-up out.
// --callers <function> adds the frames above that function (--depth, 3) and
// the nearest one in src/, heaviest first.
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

const { values, positionals } = parseArgs({ allowPositionals: true, options: {
  top: { type: 'string', default: '10' }, callers: { type: 'string' }, depth: { type: 'string', default: '3' }, from: { type: 'string', default: '0' }, to: { type: 'string', default: 'Infinity' },
} });
const file = positionals[0];
if (!file) {
  console.error('usage: tsx bench/cpu-profile-top.ts <file.cpuprofile> [--top 10]');
  process.exit(2);
}
const TOP = Number(values.top);
const FROM = Number(values.from);
const TO = Number(values.to);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

/** Shortens a script URL to the part a reader knows: src/…, node_modules/<pkg>/…, node:… */
function where(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 1);
  const src = url.search(/\/(src|bench|simulators)\//);
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, '');
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const frame = (id: number) => {
  const { functionName, url } = byId.get(id)!.callFrame;
  return `${functionName || '(anonymous)'} (${where(url)})`;
};
const self = new Map<number, number>();
let t = profile.startTime;
let kept = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t < FROM || t > TO) return;
  kept++;
  self.set(id, (self.get(id) ?? 0) + dt);
});

const fns = new Map<string, number>();
const files = new Map<string, number>();
let busy = 0;
let idle = 0;
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  busy += us;
  const w = where(url);
  const key = `${functionName || '(anonymous)'}  ${w}${url ? `:${lineNumber + 1}` : ''}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  files.set(w, (files.get(w) ?? 0) + us);
}

const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP);
console.log(`${file}: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s, ${kept} of ${profile.samples.length} samples`);
console.log(`\ntop ${TOP} functions by self time:`);
for (const [k, us] of top(fns)) console.log(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
console.log(`\ntop ${TOP} files by self time:`);
for (const [k, us] of top(files)) console.log(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);

if (values.callers) {
  const stacks = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName !== values.callers) continue;
    total += us;
    const chain: string[] = [];
    let p = parent.get(id);
    for (; p !== undefined && chain.length < Number(values.depth); p = parent.get(p)) chain.push(frame(p));
    // Then the nearest frame of the service's own code: which of its calls paid for it.
    while (p !== undefined && !byId.get(p)!.callFrame.url.includes('/src/')) p = parent.get(p);
    if (p !== undefined) chain.push('…', frame(p));
    const key = chain.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  console.log(`\ncallers of ${values.callers} (${(total / 1000).toFixed(0)} ms):`);
  for (const [k, us] of top(stacks)) console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
}
