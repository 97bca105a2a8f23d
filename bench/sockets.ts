// npm run bench:sockets [-- --sockets 50000 --samples 200 --sample-ms <ms> --clients <n> --sources <n>]
// How many idle gateway sockets one service process holds, what each costs it in memory, and
// whether it still answers while it holds them:
//   1. the service as its own process (open-files limit raised as far as the hard limit lets),
//      a fresh database with one gateway key a socket;
//   2. at 0 sockets: GET /health/ready, GET /health/live and a one-reading batch on a WebSocket,
//      timed, `--samples` times; then the service's memory after a full garbage collection;
//   3. N authenticated sockets opened from child processes (bench/sockets-client.ts), spread
//      over loopback source addresses 127.0.0.2, 127.0.0.3, …, then left idle;
//   4. memory again, the same timings while they are held (spread over at least one ping
//      interval, so the heartbeat's pings to every socket are inside), memory once more.
// Memory per socket is (held − baseline) / N, from the same run. The service admits at most
// INGEST_MAX_SOCKETS, lowered under its open-files limit: with too low a hard limit the run
// says so and holds what is admitted.
// Options: --samples rounds (200), --sample-ms between rounds (enough for 1.2 ping intervals),
// --clients processes, --sources addresses, --concurrency upgrades in flight a client (50),
// --settle s before measuring (5), --heap-snapshots dir (bench/heap-diff.ts compares them).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { createSite } from '../src/admin/commands.ts';
import { generateGatewayKey, hashGatewayKey, keyPrefix } from '../src/auth/keys.ts';
import { freePort, openFilesLimit, withOpenFiles } from '../test/helpers/process.ts';
import { Inspector } from './inspect.ts';
import { benchDatabase, percentile, startBenchService } from './lib.ts';
import type { ClientReport, OpenOrder } from './sockets-client.ts';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '50000' },
    samples: { type: 'string', default: '200' },
    'sample-ms': { type: 'string' },
    clients: { type: 'string' },
    sources: { type: 'string' },
    concurrency: { type: 'string', default: '50' },
    settle: { type: 'string', default: '5' },
    // A directory: the service writes a V8 heap snapshot there at 0 sockets and with them held
    // (bench/heap-diff.ts compares the two). Writing one costs RSS: the RSS figures of such a run
    // are not the service's.
    'heap-snapshots': { type: 'string' },
  },
});
const SNAPSHOTS = values['heap-snapshots'];
const ASKED = Number(values.sockets);
const SAMPLES = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);
const SETTLE_MS = Number(values.settle) * 1000;
/** The service's INGEST_PING_MS (its default): the timings span at least this long. */
const PING_MS = 30_000;
/** Descriptors a client process keeps for itself. */
const CLIENT_FDS_MARGIN = 100;
const T0 = Date.UTC(2026, 0, 1);
const MiB = 2 ** 20;

const int = (n: number) => Math.round(n).toLocaleString('en');
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const limitText = (l: { soft: number | null; hard: number | null }) => `soft ${l.soft ?? 'unlimited'}, hard ${l.hard ?? 'unlimited'}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Memory {
  label: string;
  sockets: number;
  /** VmRSS before the collection, as the service was found. */
  rssFound: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  fds: number;
}

interface Timings {
  label: string;
  sockets: number;
  seconds: number;
  ready: number[];
  live: number[];
  ack: number[];
  errors: number;
  /** The slowest answers: what, when (s into the phase), ms. */
  slowest: Array<{ what: string; at: number; ms: number }>;
  /** The service's event-loop delay over the phase, ms. */
  loop: { p50: number; p99: number; max: number };
}

function vmRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const openFds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

async function gauge(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

const socketsOpen = (port: number) => gauge(port, 'telemetry_ingest_sockets_open');
/** Gateway sockets the service admits at once. */
const socketsMax = (port: number) => gauge(port, 'telemetry_ingest_sockets_max');

/** With --heap-snapshots: the service writes one (SIGUSR2) and this waits until the file is complete. */
async function heapSnapshot(pid: number): Promise<string | null> {
  if (!SNAPSHOTS) return null;
  const before = new Set(fs.readdirSync(SNAPSHOTS));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await sleep(500);
    const file = fs.readdirSync(SNAPSHOTS).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = fs.statSync(`${SNAPSHOTS}/${file}`).size;
    await sleep(1000);
    if (fs.statSync(`${SNAPSHOTS}/${file}`).size === size && size > 0) return `${SNAPSHOTS}/${file}`;
  }
}

async function memory(label: string, pid: number, port: number, inspector: Inspector): Promise<Memory> {
  const rssFound = vmRssBytes(pid);
  const m = await inspector.memory();
  const snapshot = await heapSnapshot(pid);
  if (snapshot) console.log(`  heap snapshot, ${label}: ${snapshot}`);
  return { label, sockets: await socketsOpen(port), rssFound, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, fds: openFds(pid) };
}

/** Ephemeral ports a source address offers for one destination (net.ipv4.ip_local_port_range). */
function ephemeralPorts(): number {
  const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return hi! - lo! + 1;
}

/** One gateway key a socket (as in the field), and one for the probe; straight into the table. */
async function createKeys(db: Parameters<typeof createSite>[0], n: number): Promise<string[]> {
  const siteId = (await createSite(db, 'bench', 'Benchmark site')).id;
  const keys: string[] = [];
  for (let from = 0; from < n; from += 5000) {
    const names: string[] = [], hashes: Buffer[] = [], prefixes: string[] = [];
    for (let i = from; i < Math.min(n, from + 5000); i++) {
      const key = generateGatewayKey();
      keys.push(key);
      names.push(`bench-${i}`);
      hashes.push(hashGatewayKey(key));
      prefixes.push(keyPrefix(key));
    }
    await sql`INSERT INTO gateways (site_id, name, key_hash, key_prefix)
      SELECT ${siteId}, n, h, p FROM unnest(${names}::text[], ${hashes}::bytea[], ${prefixes}::text[]) AS t(n, h, p)`.execute(db);
  }
  return keys;
}

/** A gateway socket of the bench's own that times one-reading batches. */
class Probe {
  private seq = 0;
  private waiting: ((m: { type: string }) => void) | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(JSON.parse(data.toString()) as { type: string });
    });
  }

  static async open(port: number, key: string): Promise<Probe> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ingest`, { headers: { Authorization: `Bearer ${key}` }, perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new Probe(ws);
  }

  /** ms until the batch's answer; NaN when it is not an ack. */
  async batch(): Promise<number> {
    const seq = this.seq++;
    const reading = `{"device":"SOCKETS-PROBE","seq":${seq},"at":"${new Date(T0 + seq * 60_000).toISOString()}","metric":"heart_rate","value":${70 + (seq % 7)}}`;
    const t = performance.now();
    const answer = await new Promise<{ type: string }>((resolve) => {
      this.waiting = resolve;
      this.ws.send(`{"type":"readings","id":"p${seq}","readings":[${reading}]}`);
    });
    return answer.type === 'ack' ? performance.now() - t : NaN;
  }

  close(): void {
    this.ws.close();
  }
}

async function timeGet(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.ok ? performance.now() - t : NaN;
}

/** `SAMPLES` rounds of ready, live and a batch, one round every `intervalMs`. */
async function timings(label: string, port: number, probe: Probe, inspector: Inspector, sockets: number, intervalMs: number): Promise<Timings> {
  const r: Timings = { label, sockets, seconds: 0, ready: [], live: [], ack: [], errors: 0, slowest: [], loop: { p50: NaN, p99: NaN, max: NaN } };
  await inspector.watchLoopDelay();
  const start = performance.now();
  const all: Timings['slowest'] = [];
  const time = async (what: string, into: number[], measure: () => Promise<number>) => {
    const at = (performance.now() - start) / 1000;
    const ms = await measure().catch(() => NaN);
    if (Number.isNaN(ms)) r.errors++;
    else {
      into.push(ms);
      all.push({ what, at, ms });
    }
  };
  for (let i = 0; i < SAMPLES; i++) {
    const due = start + i * intervalMs;
    const now = performance.now();
    if (due > now) await sleep(due - now);
    await time('ready', r.ready, () => timeGet(`http://127.0.0.1:${port}/health/ready`));
    await time('live', r.live, () => timeGet(`http://127.0.0.1:${port}/health/live`));
    await time('ack', r.ack, () => probe.batch());
    if ((i + 1) % 50 === 0) console.log(`    ${label}: ${i + 1} / ${SAMPLES} rounds`);
  }
  r.seconds = (performance.now() - start) / 1000;
  r.loop = await inspector.loopDelay();
  r.slowest = all.sort((a, b) => b.ms - a.ms).slice(0, 5);
  return r;
}

function stats(xs: number[]): string {
  const s = Float64Array.from(xs).sort();
  return `${fmt(percentile(s, 50))} / ${fmt(percentile(s, 99))} / ${fmt(s[s.length - 1] ?? NaN)}`;
}

function startClient(openFiles: number): ChildProcess {
  const [command, args] = withOpenFiles(openFiles, process.execPath, ['--import', 'tsx', 'bench/sockets-client.ts']);
  // Through the shell that raises the limit, so not fork(): an 'ipc' stdio entry does the same.
  return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function main() {
  const ownLimit = openFilesLimit(process.pid);
  const clientCapacity = Math.min(ownLimit.hard ?? 65_536, 65_536) - CLIENT_FDS_MARGIN;
  const clients = Number(values.clients ?? Math.max(1, Math.ceil(ASKED / Math.min(clientCapacity, 20_000))));
  const perSource = Math.floor(ephemeralPorts() * 0.9);
  const sources = Number(values.sources ?? Math.max(2, Math.ceil(ASKED / perSource)));
  const intervalMs = Number(values['sample-ms'] ?? Math.max(100, Math.ceil((1.2 * PING_MS) / SAMPLES)));

  const database = await benchDatabase();
  const tk = performance.now();
  const keys = await createKeys(database.db, ASKED + 1).catch(async (err: unknown) => {
    await database.dispose();
    throw err;
  });
  const probeKey = keys.pop()!;
  console.log(`idle sockets benchmark: ${int(ASKED)} sockets asked, ${database.where}; ${int(keys.length + 1)} gateway keys made in ${fmt((performance.now() - tk) / 1000)} s`);
  console.log(`  machine: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}`);

  const inspectPort = await freePort();
  const nodeArgs = [`--inspect=127.0.0.1:${inspectPort}`, ...(SNAPSHOTS ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${SNAPSHOTS}`] : [])];
  const svc = await startBenchService(database.url, { INGEST_MAX_SOCKETS: String(ASKED + 1) }, nodeArgs, { openFiles: ASKED + 2000 });
  const pid = svc.child.pid!;
  const children: ChildProcess[] = [];
  let inspector: Inspector | null = null;
  let probe: Probe | null = null;
  const mem: Memory[] = [];
  const times: Timings[] = [];
  let n = ASKED;
  let openSeconds = NaN;
  let lost = 0;
  const errors = new Set<string>();
  const limits: string[] = [`bench process: ${limitText(ownLimit)}`];
  try {
    const serviceLimit = openFilesLimit(pid);
    limits.push(`service (pid ${pid}): ${limitText(serviceLimit)}, asked ${int(ASKED + 2000)}`);
    // The service admits INGEST_MAX_SOCKETS (asked: N and the probe), or fewer under its
    // open-files limit (src/ingest/capacity.ts); it says how many.
    const admitted = await socketsMax(svc.port);
    if (admitted - 1 < ASKED) {
      n = Math.max(0, admitted - 1);
      console.log(`  THE SERVICE ADMITS ${int(n)} IDLE SOCKETS ONLY (and the probe's), NOT ${int(ASKED)}: its open-files limit is ${limitText(serviceLimit)}`);
      console.log('  (a process may raise its soft limit up to the hard one only; raising the hard limit takes root with CAP_SYS_RESOURCE, LimitNOFILE= in a systemd unit or --ulimit nofile= for a container)');
    }
    inspector = await Inspector.connect(inspectPort);
    probe = await Probe.open(svc.port, probeKey);
    console.log(`  service pid ${pid}; timing ${SAMPLES} rounds every ${intervalMs} ms at 0 sockets`);
    times.push(await timings('0 sockets', svc.port, probe, inspector, 0, intervalMs));
    mem.push(await memory('0 sockets (baseline)', pid, svc.port, inspector));

    // The sockets: clients in parallel, each over every source address.
    const addresses = Array.from({ length: sources }, (_, i) => `127.0.0.${2 + i}`);
    const share = Math.ceil(n / clients);
    console.log(`  opening ${int(n)} sockets from ${clients} client processes over ${sources} source addresses (${addresses[0]}–${addresses.at(-1)}), ${CONCURRENCY} upgrades in flight each`);
    const progress = new Map<number, { open: number; failed: number; lost: number }>();
    const t0 = performance.now();
    const done: Array<Promise<void>> = [];
    for (let c = 0; c < clients; c++) {
      const slice = keys.slice(c * share, Math.min(n, (c + 1) * share));
      const child = startClient(slice.length + CLIENT_FDS_MARGIN);
      children.push(child);
      progress.set(c, { open: 0, failed: 0, lost: 0 });
      done.push(new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`socket client ${c} exited with ${code}`)));
        child.on('message', (m: ClientReport) => {
          const p = progress.get(c)!;
          if (m.type === 'lost') {
            p.lost = m.lost;
            for (const e of m.errors) errors.add(e);
            return;
          }
          Object.assign(p, { open: m.open, failed: m.failed, lost: m.lost });
          if (m.type === 'opened') {
            for (const e of m.errors) errors.add(e);
            resolve();
          }
        });
      }));
      const order: OpenOrder = { type: 'open', url: `ws://127.0.0.1:${svc.port}/v1/ingest`, keys: slice, sources: addresses, concurrency: CONCURRENCY };
      child.send(order);
    }
    const ticker = setInterval(() => {
      const open = [...progress.values()].reduce((s, p) => s + p.open, 0);
      const failed = [...progress.values()].reduce((s, p) => s + p.failed, 0);
      const secs = (performance.now() - t0) / 1000;
      console.log(`    ${int(open)} / ${int(n)} open, ${int(failed)} failed, ${fmt(secs)} s (${int(open / secs)}/s), service RSS ${fmt(vmRssBytes(pid) / MiB, 0)} MiB`);
    }, 2000);
    await Promise.all(done).finally(() => clearInterval(ticker));
    openSeconds = (performance.now() - t0) / 1000;
    const failed = [...progress.values()].reduce((s, p) => s + p.failed, 0);
    console.log(`  ${int(n - failed)} open in ${fmt(openSeconds)} s, ${int(failed)} failed${errors.size ? `: ${[...errors].join('; ')}` : ''}`);
    for (const [i, child] of children.entries()) limits.push(`client ${i} (pid ${child.pid}): ${limitText(openFilesLimit(child.pid!))}`);

    await sleep(SETTLE_MS);
    mem.push(await memory('held, settled', pid, svc.port, inspector));
    console.log(`  service: ${int(mem[1]!.sockets)} sockets open, RSS ${fmt(mem[1]!.rss / MiB)} MiB; timing ${SAMPLES} rounds every ${intervalMs} ms`);
    times.push(await timings(`${int(mem[1]!.sockets)} sockets`, svc.port, probe, inspector, mem[1]!.sockets, intervalMs));
    mem.push(await memory('held, after the timings', pid, svc.port, inspector));
    lost = [...progress.values()].reduce((s, p) => s + p.lost, 0);
  } finally {
    probe?.close();
    inspector?.close();
    for (const child of children) {
      if (child.connected) child.send({ type: 'close' });
    }
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await svc.stop();
    await database.dispose();
  }

  const base = mem[0]!;
  const held = mem.at(-1)!;
  const per = (f: (m: Memory) => number, m: Memory) => (f(m) - f(base)) / Math.max(1, m.sockets - base.sockets) / 1024;
  console.log(`\nload average at the end: ${os.loadavg().map((l) => fmt(l, 2)).join(' ')} (${os.cpus().length} cores)`);
  console.log(`open-files limits: ${limits.join('; ')}`);
  console.log(`loopback: ${int(ephemeralPorts())} ephemeral ports a source address; sockets opened in ${fmt(openSeconds)} s; ${lost} closed by the service while held`);
  console.log('\n| service | sockets open | RSS MiB (found) | RSS MiB (after full GC) | heap used MiB | heap total MiB | external MiB | open fds |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of mem) {
    console.log(`| ${m.label} | ${int(m.sockets)} | ${fmt(m.rssFound / MiB)} | ${fmt(m.rss / MiB)} | ${fmt(m.heapUsed / MiB)} | ${fmt(m.heapTotal / MiB)} | ${fmt(m.external / MiB)} | ${int(m.fds)} |`);
  }
  console.log('\n| per socket, KiB | RSS (found) | RSS (after GC) | heap used | heap total | external |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const m of mem.slice(1)) {
    console.log(`| ${m.label} | ${fmt(per((x) => x.rssFound, m), 2)} | ${fmt(per((x) => x.rss, m), 2)} | ${fmt(per((x) => x.heapUsed, m), 2)} | ${fmt(per((x) => x.heapTotal, m), 2)} | ${fmt(per((x) => x.external, m), 2)} |`);
  }
  console.log('\n| held | rounds | over s | GET /health/ready ms p50 / p99 / max | GET /health/live ms p50 / p99 / max | batch ack ms p50 / p99 / max | errors | service event-loop delay ms p50 / p99 / max |');
  console.log('|---|---:|---:|---|---|---|---:|---|');
  for (const t of times) {
    console.log(`| ${t.label} | ${t.ack.length} | ${fmt(t.seconds)} | ${stats(t.ready)} | ${stats(t.live)} | ${stats(t.ack)} | ${t.errors} | ${fmt(t.loop.p50)} / ${fmt(t.loop.p99)} / ${fmt(t.loop.max)} |`);
  }
  for (const t of times) console.log(`slowest at ${t.label}: ${t.slowest.map((s) => `${s.what} ${fmt(s.ms)} ms at ${fmt(s.at)} s`).join(', ')}`);
  const loaded = times.at(-1)!;
  const worst = Math.max(...loaded.ready, ...loaded.ack);
  console.log(`\n${int(held.sockets - base.sockets)} idle sockets held of ${int(ASKED)} asked (the probe's socket is open in both counts): ${fmt(per((x) => x.rss, held), 2)} KiB of RSS each (target ≤ 12); slowest answer while held ${fmt(worst)} ms (target ≤ 100)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
