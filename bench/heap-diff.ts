// node --import tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--per N] [--top 30]
// What grew between two V8 heap snapshots, by constructor (objects), function name (closures)
// or kind (strings, arrays, code…): count and self size, both divided by --per (e.g. the
// sockets opened between the two, from `npm run bench:sockets -- --heap-snapshots dir`).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '30' } },
});
if (positionals.length !== 2) {
  console.error('usage: bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--per N] [--top 30]');
  process.exit(2);
}
const PER = Number(values.per);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size by group. */
function groups(file: string): Map<string, { count: number; size: number }> {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + fType]!]!;
    const name = s.strings[s.nodes[i + fName]!]!;
    const key = type === 'object' || type === 'native' ? name : type === 'closure' ? `${name || '(anonymous)'}()` : `(${type})`;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += s.nodes[i + fSize]!;
    out.set(key, g);
  }
  return out;
}

const before = groups(positionals[0]!);
const after = groups(positionals[1]!);
const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { count: 0, size: 0 };
  return { key, count: a.count - b.count, size: a.size - b.size };
});
rows.sort((x, y) => y.size - x.size);
const total = rows.reduce((s, r) => s + r.size, 0);
console.log(`self size grown: ${(total / 2 ** 20).toFixed(1)} MiB, ${(total / PER).toFixed(0)} bytes per ${PER === 1 ? 'snapshot' : 'unit'} (/${PER})`);
console.log('| what | count / unit | bytes / unit | share |');
console.log('|---|---:|---:|---:|');
for (const r of rows.slice(0, Number(values.top))) {
  console.log(`| ${r.key.slice(0, 60).replace(/\|/g, '\\|')} | ${(r.count / PER).toFixed(2)} | ${(r.size / PER).toFixed(0)} | ${((100 * r.size) / total).toFixed(1)} % |`);
}
