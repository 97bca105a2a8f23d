import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { TestGateway } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { startEscalation } from '../../src/alerts/escalation.ts';

// GET /metrics through the real service: HTTP latency by route pattern (never a raw id),
// the alert counters and gauges as alerts open, are acknowledged, resolved and escalated,
// the live stream gauge, and the engine's decisions and readings.

const MIN = 60_000;
const PERIOD = 15 * MIN;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 2);
// The service's own escalation timer stays out of the way of the injected clock below.
const QUIET = { ALERT_ESCALATION_CHECK_MS: String(PERIOD - 1) };
let tdb: TestDatabase;
let svc: RunningService;
let gatewayKey: string;
let clinician: string;
let deviceCounter = 0;

type Labels = Record<string, string>;

/** Every sample of the exposition text: name, labels and value. */
function parse(text: string): Array<{ name: string; labels: Labels; value: number }> {
  const out: Array<{ name: string; labels: Labels; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(): Promise<{ text: string; samples: ReturnType<typeof parse> }> {
  const res = await fetch(`${svc.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parse(text) };
}

/** The value of the one series of `name` with exactly these labels; 0 when it does not exist yet. */
async function value(name: string, labels: Labels = {}): Promise<number> {
  const { samples } = await scrape();
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  expect(found.length, `${name} ${want}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

/** Waits (no deadline but the test's) until the series has the value. */
async function until(name: string, labels: Labels, expected: number): Promise<void> {
  while ((await value(name, labels)) !== expected) await new Promise((r) => setTimeout(r, 25));
}

/** A new open high alert (ventricular_arrhythmia) on a new device; returns its ids. */
async function raise(): Promise<{ id: number; publicId: string; serial: string; raisedAt: number }> {
  const serial = `met-${++deviceCounter}`;
  const gw = await svc.gateway(gatewayKey);
  const ack = await gw.batch('b', [{ device: serial, seq: 1, at: new Date(T0).toISOString(), metric: 'vt_episodes', value: 1 }]);
  gw.close();
  expect(ack).toMatchObject({ type: 'ack', id: 'b' });
  const r = await sql<{ id: number; raised_ms: number }>`
    SELECT a.id, ceil(extract(epoch FROM a.raised_at) * 1000)::float8 AS raised_ms
    FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${serial}`.execute(tdb.db);
  const id = r.rows[0]!.id;
  return { id, publicId: `a-${String(id).padStart(6, '0')}`, serial, raisedAt: r.rows[0]!.raised_ms };
}

function post(publicId: string, action: string, body: unknown) {
  return fetch(`${svc.httpUrl}/v1/alerts/${publicId}/${action}`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: svc.httpUrl, cookie: clinician }, body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, QUIET);
  gatewayKey = (await seedGateway(tdb.db, 'alpha')).key;
  clinician = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['alpha'])).email);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('HTTP', () => {
  it('times a request by its route pattern and status class, never by the URL asked for', async () => {
    const { publicId, id, serial } = await raise();
    const res = await fetch(`${svc.httpUrl}/v1/alerts/${publicId}/history`, { headers: { cookie: clinician } });
    expect(res.status).toBe(200);
    expect(await value('telemetry_http_request_duration_seconds_count', { method: 'GET', route: '/v1/alerts/:id/history', status_class: '2xx' })).toBe(1);
    expect(await value('telemetry_http_request_duration_seconds_bucket', { method: 'GET', route: '/v1/alerts/:id/history', status_class: '2xx', le: '+Inf' })).toBe(1);

    // A URL no route has: one label value for all of them, whatever was asked.
    expect((await fetch(`${svc.httpUrl}/v1/no-such-thing/${serial}`)).status).toBe(404);
    expect(await value('telemetry_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_class: '4xx' })).toBe(1);

    const { text, samples } = await scrape();
    expect(text).not.toContain(publicId);
    expect(text).not.toContain(serial);
    expect(text).not.toContain(`/${id}/`);
    // Every route label is a pattern the service registered.
    const patterns = new Set([...svc.app.routeTable().map((r) => r.url), 'unmatched']);
    const routes = new Set(samples.filter((s) => s.name.startsWith('telemetry_http_request_duration_seconds')).map((s) => s.labels.route!));
    expect([...routes].filter((r) => !patterns.has(r))).toEqual([]);
    expect(routes).toContain('/v1/alerts/:id/history');
  });

  it('counts requests in flight, and each one leaves once answered', async () => {
    for (let i = 0; i < 10; i++) expect((await fetch(`${svc.httpUrl}/health/live`)).status).toBe(200);
    // The scrape itself is the one request in flight once the others have closed.
    await until('telemetry_http_requests_in_flight', {}, 1);
    expect(await value('telemetry_http_requests_in_flight')).toBe(1);
  });
});

describe('alerts', () => {
  const open = { kind: 'ventricular_arrhythmia', priority: 'high' };

  it('counts an opening by kind and priority, with the engine decision and the scored reading', async () => {
    const opened = await value('telemetry_alerts_opened_total', open);
    const decided = await value('telemetry_engine_decisions_total', { kind: 'ventricular_arrhythmia', action: 'open' });
    const scored = await value('telemetry_engine_readings_total', { outcome: 'scored' });
    const openHigh = await value('telemetry_alerts_unresolved', { priority: 'high', status: 'open' });
    const outboxed = await value('telemetry_alert_outbox_seconds_count');
    await raise();
    expect(await value('telemetry_alerts_opened_total', open)).toBe(opened + 1);
    // Its decision went through the outbox: one group applied after the ack.
    expect(await value('telemetry_alert_outbox_seconds_count')).toBe(outboxed + 1);
    expect(await value('telemetry_engine_decisions_total', { kind: 'ventricular_arrhythmia', action: 'open' })).toBe(decided + 1);
    expect(await value('telemetry_engine_readings_total', { outcome: 'scored' })).toBe(scored + 1);
    expect(await value('telemetry_alerts_unresolved', { priority: 'high', status: 'open' })).toBe(openHigh + 1);
    // Every series of the vocabularies exists from the start, at zero when nothing happened.
    expect(await value('telemetry_alerts_opened_total', { kind: 'battery', priority: 'low' })).toBe(0);
    expect((await scrape()).samples.some((s) => s.name === 'telemetry_alerts_opened_total' && s.labels.kind === 'battery' && s.labels.priority === 'low')).toBe(true);
  });

  it('the unresolved gauge is the database’s count by priority and status', async () => {
    await raise();
    const rows = await sql<{ priority: string; status: string; n: number }>`
      SELECT priority, status, count(*)::int AS n FROM alerts WHERE status <> 'resolved' GROUP BY 1, 2`.execute(tdb.db);
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const r of rows.rows) expect(await value('telemetry_alerts_unresolved', { priority: r.priority, status: r.status })).toBe(r.n);
    expect(await value('telemetry_alerts_unresolved', { priority: 'low', status: 'acknowledged' })).toBe(0);
  });

  it('counts acknowledgements and resolutions, and the gauge follows', async () => {
    const { publicId } = await raise();
    const acked = await value('telemetry_alerts_acknowledged_total');
    const resolved = await value('telemetry_alerts_resolved_total');
    const openHigh = await value('telemetry_alerts_unresolved', { priority: 'high', status: 'open' });
    const ackedHigh = await value('telemetry_alerts_unresolved', { priority: 'high', status: 'acknowledged' });

    expect((await post(publicId, 'acknowledge', {})).status).toBe(200);
    expect(await value('telemetry_alerts_acknowledged_total')).toBe(acked + 1);
    expect(await value('telemetry_alerts_unresolved', { priority: 'high', status: 'open' })).toBe(openHigh - 1);
    expect(await value('telemetry_alerts_unresolved', { priority: 'high', status: 'acknowledged' })).toBe(ackedHigh + 1);

    expect((await post(publicId, 'resolve', { resolution: 'actioned' })).status).toBe(200);
    expect(await value('telemetry_alerts_resolved_total')).toBe(resolved + 1);
    expect(await value('telemetry_alerts_unresolved', { priority: 'high', status: 'acknowledged' })).toBe(ackedHigh);
    // A refused transition counts nothing.
    expect((await post(publicId, 'acknowledge', {})).status).toBe(409);
    expect(await value('telemetry_alerts_acknowledged_total')).toBe(acked + 1);
  });

  it('counts escalations', async () => {
    const { raisedAt } = await raise();
    const before = await value('telemetry_alerts_escalated_total');
    const escalation = startEscalation({
      db: tdb.db, feed: svc.app.alertFeed, periodMs: PERIOD, checkMs: PERIOD, log: pino({ level: 'silent' }), now: () => raisedAt + PERIOD,
    });
    let events;
    try {
      events = await escalation.check();
    } finally {
      await escalation.stop();
    }
    // Every unacknowledged high alert of this file raised by then is escalated at once.
    expect(events.length).toBeGreaterThan(0);
    expect(await value('telemetry_alerts_escalated_total')).toBe(before + events.length);
  });
});

describe('engine', () => {
  const lateDevice = `met-late-${++deviceCounter}`;
  const at = (day: number) => new Date(T0 + day * DAY).toISOString();

  it('counts a reading stored out of event-time order as late, then its replay', async () => {
    const gw = await svc.gateway(gatewayKey);
    try {
      const scored = await value('telemetry_engine_readings_total', { outcome: 'scored' });
      const late = await value('telemetry_engine_readings_total', { outcome: 'late' });
      const replayed = await value('telemetry_engine_readings_total', { outcome: 'replayed' });
      expect(await gw.batch('b1', [{ device: lateDevice, seq: 1, at: at(2), metric: 'thoracic_impedance', value: 70 }])).toMatchObject({ type: 'ack' });
      expect(await gw.batch('b2', [{ device: lateDevice, seq: 2, at: at(1), metric: 'thoracic_impedance', value: 71 }])).toMatchObject({ type: 'ack' });
      expect(await value('telemetry_engine_readings_total', { outcome: 'scored' })).toBe(scored + 1);
      expect(await value('telemetry_engine_readings_total', { outcome: 'late' })).toBe(late + 1);
      // The replay runs after the acknowledgement: both stored readings, taken in again in event order.
      while ((await value('telemetry_engine_readings_total', { outcome: 'replayed' })) < replayed + 2) await new Promise((r) => setTimeout(r, 25));
      expect(await value('telemetry_engine_readings_total', { outcome: 'replayed' })).toBeGreaterThanOrEqual(replayed + 2);
    } finally {
      gw.close();
    }
  });

  it('counts the readings a new instance reloads for a device it had not seen', async () => {
    const other = await startService(tdb.db, tdb.url, QUIET);
    try {
      // The first instance holds the device: its lease is let go as a dead holder's would be,
      // with no handover snapshot, so the new instance loads the stored readings.
      await sql`UPDATE device_leases SET instance_id = NULL WHERE device_id = (SELECT id FROM devices WHERE serial = ${lateDevice})`.execute(tdb.db);
      const res = await fetch(`${other.httpUrl}/metrics`);
      expect(parse(await res.text()).find((s) => s.name === 'telemetry_engine_readings_total' && s.labels.outcome === 'reloaded')?.value).toBe(0);
      const gw = await TestGateway.open(other.wsUrl, gatewayKey);
      try {
        expect(await gw.batch('b3', [{ device: lateDevice, seq: 3, at: at(3), metric: 'thoracic_impedance', value: 72 }])).toMatchObject({ type: 'ack' });
      } finally {
        gw.close();
      }
      // Its state is rebuilt from the two readings stored before this one is scored.
      const samples = parse(await (await fetch(`${other.httpUrl}/metrics`)).text());
      const outcome = (o: string) => samples.find((s) => s.name === 'telemetry_engine_readings_total' && s.labels.outcome === o)?.value;
      expect(outcome('reloaded')).toBe(2);
      expect(outcome('scored')).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('reports the devices held in memory', async () => {
    expect(await value('telemetry_engine_devices_in_memory')).toBe(svc.app.metrics.sources.devicesInMemory!());
    expect(await value('telemetry_engine_devices_in_memory')).toBeGreaterThan(0);
  });
});

describe('alert stream', () => {
  it('counts the dashboards connected to the live stream', async () => {
    expect(await value('telemetry_alert_stream_clients')).toBe(0);
    const ws = new WebSocket(`${svc.httpUrl.replace('http', 'ws')}/v1/alerts/stream`, { headers: { cookie: clinician, origin: svc.httpUrl } });
    // The snapshot is sent once the stream is registered.
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(d.toString()) as { type: string }));
      ws.once('error', reject);
    });
    expect(first.type).toBe('snapshot');
    expect(await value('telemetry_alert_stream_clients')).toBe(1);
    // Upgrades are not HTTP requests in flight.
    await until('telemetry_http_requests_in_flight', {}, 1);
    ws.close();
    await until('telemetry_alert_stream_clients', {}, 0);
    expect(await value('telemetry_alert_stream_clients')).toBe(0);
  });
});
