import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway } from '../helpers/service.ts';
import { readings, TestGateway, type Reading } from '../helpers/gateway.ts';
import { MllpClient, seg } from '../helpers/mllp.ts';
import { postSession, seedUser, signIn } from '../helpers/people.ts';
import { startTopology, waitUntil, type Topology } from '../helpers/topology.ts';

// Three instances behind HAProxy, their pools through PgBouncer (docs/deployment.md): gateways,
// HTTP ingest, MLLP and a clinician's sign-in through HAProxy; one instance stopped (SIGTERM)
// and another killed (SIGKILL), HAProxy's health checks taking them out; every reading sent is
// stored once. Each gateway sends its own device's readings, so nothing here depends on which
// instance scores a device (instances do not share devices' ownership yet).

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/idco/${name}`, import.meta.url));
const PACER = fixture('pacemaker-legacy-cr.hl7'); // STJ-7788123: 4 readings, MSH-10 MSG-0007
const CRT_D = fixture('crt-d-remote-crlf.hl7'); // BSX-112233: 15 readings, MSH-10 BSX-000042

const SITE = 'lb';
let tdb: TestDatabase;
let topo: Topology;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  key = (await seedGateway(tdb.db, SITE)).key;
  topo = await startTopology({ databaseUrl: tdb.url, instances: 3, mllpGatewayKey: key });
}, 180_000);
afterAll(async () => {
  await topo?.close();
  await tdb?.drop();
}, 120_000);

/** Every (device, seq) sent, over any transport: what the database must hold, once each. */
const sentReadings = new Set<string>();
const note = (rs: readonly Reading[]) => rs.forEach((r) => sentReadings.add(`${r.device}:${r.seq}`));

/**
 * A gateway of one device over HAProxy: numbered batches of 20 readings, each kept until acked
 * (resent on `unavailable`, and on `reconnect` after its connection was lost), as a real one.
 */
class Feeder {
  private gw: TestGateway | null = null;
  private next = 0;
  readonly batches = new Map<string, Reading[]>();
  readonly acked = new Map<string, { accepted: number; duplicates: number }>();
  closeCode: number | null = null;

  constructor(readonly device: string) {}

  async connect(): Promise<this> {
    const gw = await TestGateway.open(topo.wsUrl, key);
    this.gw = gw;
    this.closeCode = null;
    void gw.closed.then((c) => {
      if (this.gw === gw) this.closeCode = c.code;
    });
    gw.ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; id?: string; accepted?: number; duplicates?: number; code?: string; retryAfterMs?: number };
      if (m.type === 'ack' && m.id) this.acked.set(m.id, { accepted: m.accepted!, duplicates: m.duplicates! });
      // Nothing of it was stored (an instance shutting down): resend, as the protocol says.
      if (m.type === 'error' && m.code === 'unavailable' && m.id) {
        const id = m.id;
        setTimeout(() => this.sendBatch(id), Math.min(m.retryAfterMs ?? 500, 500));
      }
    });
    return this;
  }

  /** Send `n` new batches without waiting for their acks. */
  send(n = 1): void {
    for (let i = 0; i < n; i++) {
      const id = `${this.device}-${this.next}`;
      const rs = readings(this.device, this.next * 20, 20);
      this.next++;
      this.batches.set(id, rs);
      note(rs);
      this.sendBatch(id);
    }
  }

  /** A new connection through HAProxy, then every batch without an ack again. */
  async reconnect(): Promise<void> {
    await this.connect();
    for (const id of this.batches.keys()) if (!this.acked.has(id)) this.sendBatch(id);
  }

  get open(): boolean {
    return this.closeCode === null;
  }

  settled(): Promise<void> {
    return waitUntil(`${this.device}'s batches are all acked`, () => [...this.batches.keys()].every((id) => this.acked.has(id)), 60_000,
      () => `unacked: ${[...this.batches.keys()].filter((id) => !this.acked.has(id)).join(', ')}`);
  }

  close(): void {
    this.gw?.close();
  }

  private sendBatch(id: string): void {
    const gw = this.gw;
    if (!gw || gw.ws.readyState !== gw.ws.OPEN) return; // resent by `reconnect`
    gw.sendRaw(JSON.stringify({ type: 'readings', id, readings: this.batches.get(id) }));
  }
}

const feeders: Feeder[] = [];
const feeder = async (device: string) => {
  const f = await new Feeder(device).connect();
  feeders.push(f);
  return f;
};

const postReadings = (rs: Reading[]) => {
  note(rs);
  return fetch(`${topo.httpUrl}/v1/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ readings: rs }),
  });
};

/** Each instance's open gateway sockets, from its own /metrics (not through HAProxy). */
async function socketsPerInstance(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of topo.instances) {
    if (s.process.child.exitCode !== null || s.process.child.signalCode !== null) continue;
    const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
    out[s.name] = Number(/^telemetry_ingest_sockets_open (\d+)/m.exec(text)?.[1] ?? NaN);
  }
  return out;
}

describe('HAProxy and PgBouncer in front of three instances', () => {
  it('the committed HAProxy configuration is valid for this HAProxy', async () => {
    const { stdout, stderr } = await promisify(execFile)('/usr/sbin/haproxy', ['-c', '-f', 'deploy/haproxy/haproxy.cfg']);
    expect(`${stdout}${stderr}`).toContain('Configuration file is valid');
  });

  it('spreads gateways over the instances (leastconn) and acks their batches', async () => {
    for (let g = 0; g < 3; g++) (await feeder(`LB-${g}`)).send(2);
    await Promise.all(feeders.map((f) => f.settled()));
    for (const f of feeders) expect([...f.acked.values()]).toEqual([{ accepted: 20, duplicates: 0 }, { accepted: 20, duplicates: 0 }]);
    // One socket each: HAProxy counted the tunnels, and the instances agree.
    const states = await topo.haproxy.servers();
    expect(Object.fromEntries(Object.entries(states).map(([n, s]) => [n, s.sessions]))).toEqual({ s1: 1, s2: 1, s3: 1 });
    expect(await socketsPerInstance()).toEqual({ s1: 1, s2: 1, s3: 1 });
  }, 120_000);

  it('serves HTTP ingest, MLLP and a clinician\'s session through it, whichever instance answers', async () => {
    const res = await postReadings(readings('LB-HTTP', 0, 10));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 10, duplicates: 0, rejected: [] });

    const mllp = await MllpClient.connect(topo.mllpPort!);
    expect(seg(await mllp.send(PACER), 'MSA')?.slice(1, 3)).toEqual(['AA', 'MSG-0007']);
    mllp.end();

    // Signed in on one instance, the session is read on others: each request is a new
    // connection to the instance with the fewest (http-server-close).
    const user = await seedUser(tdb.db, 'clinician', [SITE]);
    const cookie = await signIn(topo.httpUrl, user.email);
    const before = await topo.haproxy.servers();
    for (let i = 0; i < 6; i++) {
      const me = await fetch(`${topo.httpUrl}/v1/session`, { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ user: { email: user.email } });
    }
    const after = await topo.haproxy.servers();
    const answered = Object.keys(after).filter((n) => after[n]!.total > before[n]!.total);
    expect(answered.length).toBeGreaterThan(1);

    // HAProxy writes X-Forwarded-For itself: a client cannot choose the address the
    // sign-in limit counts (the instances trust HAProxy's, TRUST_PROXY=127.0.0.1).
    const refused = await postSession(topo.httpUrl, { email: 'nobody@clinic.example', password: 'not the password' }, { 'x-forwarded-for': '203.0.113.9' });
    expect(refused.status).toBe(401);
    const addresses = await sql<{ key: string }>`SELECT key FROM sign_in_attempts WHERE kind = 'address'`.execute(tdb.db);
    expect(addresses.rows.map((a) => a.key)).toEqual(['127.0.0.1']);

    // Per-instance figures are for Prometheus, scraping each instance.
    expect((await fetch(`${topo.httpUrl}/metrics`)).status).toBe(403);
  }, 120_000);

  it('after SIGTERM the instance drains (1001), HAProxy takes it out and new gateways go to the others', async () => {
    expect((await socketsPerInstance()).s1).toBe(1);
    expect(await topo.kill('s1', 'SIGTERM')).toBe(0);
    await topo.waitFor('s1', 'DOWN');
    await topo.waitFor('s1', 'DOWN', { backend: 'mllp' });
    await waitUntil('the gateway on s1 sees its socket closed', () => feeders.some((f) => !f.open));
    const drained = feeders.filter((f) => !f.open);
    expect(drained.map((f) => f.closeCode)).toEqual([1001]);
    // Its batches were acked before the close: it reconnects (through HAProxy) and goes on.
    for (const f of drained) {
      await f.reconnect();
      f.send(1);
    }
    for (let g = 3; g < 6; g++) (await feeder(`LB-${g}`)).send(2);
    await Promise.all(feeders.map((f) => f.settled()));
    expect((await topo.haproxy.servers()).s1!.sessions).toBe(0);
    const sockets = await socketsPerInstance();
    expect(Object.keys(sockets).sort()).toEqual(['s2', 's3']);
    expect(sockets.s2! + sockets.s3!).toBe(feeders.length);
  }, 120_000);

  it('after SIGKILL, its gateways reconnect through HAProxy to the last instance and resend; nothing is lost', async () => {
    const onS2 = (await socketsPerInstance()).s2!;
    expect(onS2).toBeGreaterThan(0);
    // Batches in flight on every connection when s2 dies.
    for (const f of feeders) f.send(3);
    expect(await topo.kill('s2', 'SIGKILL')).toBeNull();
    await topo.waitFor('s2', 'DOWN');
    await topo.waitFor('s2', 'DOWN', { backend: 'mllp' });
    await waitUntil(`the ${onS2} gateways on s2 see their sockets closed`, () => feeders.filter((f) => !f.open).length === onS2);
    const cut = feeders.filter((f) => !f.open);
    for (const f of cut) expect(f.closeCode).toBe(1006); // no close frame: the instance is gone
    for (const f of cut) await f.reconnect();
    for (const f of feeders) f.send(1);
    await Promise.all(feeders.map((f) => f.settled()));
    expect(await socketsPerInstance()).toEqual({ s3: feeders.length });

    const res = await postReadings(readings('LB-HTTP', 5, 10));
    expect(await res.json()).toEqual({ accepted: 5, duplicates: 5, rejected: [] });
    const mllp = await MllpClient.connect(topo.mllpPort!);
    expect(seg(await mllp.send(CRT_D), 'MSA')?.slice(1, 3)).toEqual(['AA', 'BSX-000042']);
    mllp.end();
  }, 120_000);

  it('stored every reading sent once, whichever instance took it and however often it was sent', async () => {
    for (const f of feeders) f.close();
    const stored = async (where: 'gateways' | string) =>
      (await sql<{ n: number; distinct_n: number }>`
        SELECT count(*)::int AS n, count(DISTINCT (r.device_id, r.seq))::int AS distinct_n
        FROM readings r JOIN devices d ON d.id = r.device_id
        WHERE ${where === 'gateways' ? sql`d.serial LIKE 'LB-%'` : sql`d.serial = ${where}`}`.execute(tdb.db)).rows[0]!;
    const fromGateways = await stored('gateways');
    expect(fromGateways).toEqual({ n: sentReadings.size, distinct_n: sentReadings.size });
    // The IDCO messages, over MLLP through HAProxy: 4 readings of the pacemaker, 15 of the CRT-D.
    expect(await stored('STJ-7788123')).toEqual({ n: 4, distinct_n: 4 });
    expect(await stored('BSX-112233')).toEqual({ n: 15, distinct_n: 15 });
  }, 120_000);
});
